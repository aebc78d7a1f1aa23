"""Staff find accounts by the start of a name or an email, and the audit log by a name or an email."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.account_search import AccountSearchRepository, normalize_search_text, search_key_attributes
from portal.dynamo.connection import get_gateway
from portal.dynamo.schema import (
    ACCOUNT_SEARCH_ATTRIBUTES,
    CLIENTS,
    CLINICAL_ATTRIBUTES,
    SECRET_ATTRIBUTES,
    THERAPISTS,
)
from portal.services.staff_admin import account_deactivate
from tests.accounts import log_in, make_account


def _staff(client: HttpClient):  # type: ignore[no-untyped-def]
    member = make_account(AccountKind.STAFF)
    log_in(client, member)
    return member


def test_mar_finds_maria_santos_by_the_start_of_her_name(dynamo, client):
    maria = make_account(AccountKind.CLIENT, name="Maria Santos")
    make_account(AccountKind.THERAPIST, name="Dr Marco Polo")  # "Mar" is not the start of this name
    make_account(AccountKind.CLIENT, name="Mark Two-factor", mfa_secret="JBSWY3DPEHPK3PXP")
    make_account(AccountKind.CLIENT, name="Someone Else")
    _staff(client)
    response = client.get("/staff/", {"q": "Mar"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Maria Santos" in body and maria.email in body
    assert "Dr Marco Polo" not in body and "Someone Else" not in body
    assert "2 accounts found" in body
    # Two-factor comes from the index's mirror of it: on for Mark, off for Maria.
    rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row for row in body.split("<tr>")[1:]}
    assert "<td>on</td>" in rows["Mark Two-factor"] and "<td>off</td>" in rows["Maria Santos"]


def test_it_ignores_case_accents_and_spaces(dynamo, client):
    make_account(AccountKind.THERAPIST, name="María  Santos")
    _staff(client)
    for text in ("maria s", "MARÍA", "  Ma  "):
        assert "María  Santos" in client.get("/staff/", {"q": text}).content.decode(), text


def test_it_finds_by_the_start_of_an_email(dynamo, client):
    make_account(AccountKind.CLIENT, name="Quiet Person", email="q.person@example.org")
    _staff(client)
    body = client.get("/staff/", {"q": "Q.Pers"}).content.decode()
    assert "Quiet Person" in body


def test_the_form_takes_a_name_not_only_an_email(dynamo, client):
    _staff(client)
    body = client.get("/staff/").content.decode()
    assert 'name="q"' in body and 'type="search"' in body
    assert 'type="email"' not in body


def test_one_letter_is_too_short_and_says_so(dynamo, client):
    make_account(AccountKind.CLIENT, name="Maria Santos")
    _staff(client)
    response = client.get("/staff/", {"q": "M"})
    assert response.status_code == 400
    assert "at least 2 letters" in response.content.decode()


def test_the_index_holds_no_secret(dynamo):
    for table in (CLIENTS, THERAPISTS):
        for name in (f"GSI_{table.name}_ByNamePrefix", f"GSI_{table.name}_ByEmailPrefix"):
            projection = table.index(name).projection_request()
            assert projection["ProjectionType"] == "INCLUDE"
            assert set(projection["NonKeyAttributes"]) == set(ACCOUNT_SEARCH_ATTRIBUTES)
    assert not (SECRET_ATTRIBUTES | CLINICAL_ATTRIBUTES | {"bio"}) & set(ACCOUNT_SEARCH_ATTRIBUTES)
    described = get_gateway().client.describe_table(TableName=get_gateway().table_name(CLIENTS))["Table"]
    by_name = {i["IndexName"]: i for i in described["GlobalSecondaryIndexes"]}
    assert by_name["GSI_Clients_ByNamePrefix"]["Projection"]["ProjectionType"] == "INCLUDE"


def test_the_shard_key_is_two_letters_and_a_number():
    keys = search_key_attributes("01ARZ3NDEKTSV4RRFFQ69G5FAV", "Maria Santos", "M.S@Example.com")
    assert keys["nameKey"] == "maria santos" and keys["nameShard"].startswith("ma#")
    assert keys["emailKey"] == "m.s@example.com" and keys["emailShard"].startswith("m.#")
    assert normalize_search_text("  Ève\tDupont ") == "eve dupont"


def test_the_backfill_gives_older_accounts_their_keys(dynamo):
    old = make_account(AccountKind.CLIENT, name="Marianne Old")
    gateway = get_gateway()
    gateway.update(
        CLIENTS,
        {"clientId": old.account_id},
        set_values=dict.fromkeys(("nameShard", "nameKey", "emailShard", "emailKey")),
    )
    assert AccountSearchRepository().search("Marianne") == []
    call_command("backfill_account_search")
    assert [a.account_id for a in AccountSearchRepository().search("Marianne")] == [old.account_id]
    # Nothing left to write the second time.
    assert AccountSearchRepository().backfill() == 0


def test_escapes_what_a_person_typed_in_results(dynamo, client):
    make_account(AccountKind.CLIENT, name='Ma<script>alert(1)</script> "{{ 7*7 }}"')
    _staff(client)
    body = client.get("/staff/", {"q": "Ma<"}).content.decode()
    assert "Ma&lt;script&gt;alert(1)&lt;/script&gt; &#34;{{ 7*7 }}&#34;" in body
    assert "<script>alert(1)" not in body
    matches = client.get("/staff/audit/", {"who": "Ma<"}).content.decode()
    assert "<script>alert(1)" not in matches


def test_only_staff_may_search(dynamo):
    maria = make_account(AccountKind.CLIENT, name="Maria Santos")
    anonymous = HttpClient()
    response = anonymous.get("/staff/", {"q": "Mar"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for kind in (AccountKind.CLIENT, AccountKind.THERAPIST):
        http = HttpClient()
        log_in(http, make_account(kind))
        for url in ("/staff/", "/staff/audit/"):
            response = http.get(url, {"q": "Mar", "who": "Mar"})
            assert response.status_code in (302, 403), (kind, url)
            assert maria.email not in response.content.decode()


def test_the_audit_log_takes_a_name_or_an_email(dynamo, client):
    member = _staff(client)
    dana = make_account(AccountKind.THERAPIST, name="Dana Reyes")
    account_deactivate(staff=member, kind="therapist", account_id=dana.account_id, reason="Left the practice")
    for who in ("Dana", dana.email):
        body = client.get("/staff/audit/", {"who": who}).content.decode()
        assert "staff.account.deactivate" in body, who
        assert "Left the practice" in body


def test_the_audit_log_offers_a_choice_when_several_match(dynamo, client):
    _staff(client)
    first = make_account(AccountKind.CLIENT, name="Sam One")
    second = make_account(AccountKind.THERAPIST, name="Sam Two")
    response = client.get("/staff/audit/", {"who": "Sam"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 accounts match" in body
    assert f"?subject={first.account_id}" in body and f"?actor=therapist:{second.account_id}" in body


def test_the_audit_log_says_when_nobody_matches(dynamo, client):
    _staff(client)
    response = client.get("/staff/audit/", {"who": "Zz-nobody"})
    assert response.status_code == 400
    assert "No client or therapist" in response.content.decode()
