"""The whole directory: browsing in a daily rotation, filters, what a card shows, the therapist's own
listing status, and the message a client may send with a request."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind, Therapist
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.connection import get_gateway
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.schema import MAPPINGS
from portal.dynamo.therapists import TherapistRepository
from portal.services.therapist_directory import directory_page, listing_status
from tests.accounts import log_in, make_account
from tests.page_links import next_cursor

HTMX = {"HTTP_HX_REQUEST": "true"}
XSS = '<script>alert(1)</script> "quoted" {{ 7*7 }}'


def _therapist(
    name: str,
    specialization: str = "grief",
    *,
    modalities: tuple[str, ...] = ("video",),
    languages: tuple[str, ...] = ("English",),
    licence_type: str = "LCSW",
    licence_state: str = "Oregon",
    fees: str = "$100 a session",
    **options,
):
    therapist = make_account(AccountKind.THERAPIST, name=name, **options)
    card = Therapist(
        therapist_id=therapist.account_id,
        email="",
        name=name,
        specialization=specialization,
        password_hash="",
        licence_type=licence_type,
        licence_state=licence_state,
        modalities=modalities,
        languages=languages,
        fees=fees,
    )
    TherapistRepository().update_profile(
        therapist.account_id,
        name=name,
        specialization=specialization,
        bio=f"About {name}.",
        accepting_clients=True,
        card=card,
    )
    return therapist


@pytest.fixture
def visitor(dynamo):
    client = make_account(AccountKind.CLIENT, name="Casey Client")
    http = HttpClient()
    log_in(http, client)
    return client, http


def _listed(body: str) -> list[str]:
    return re.findall(r'<h3><a href="/client/therapists/([0-9A-Z]+)/">', body)


def _browse_all(http: HttpClient, params: dict[str, str]) -> tuple[list[str], list[dict[str, int]]]:
    seen: list[str] = []
    costs: list[dict[str, int]] = []
    cursor = None
    for _ in range(10):
        with count_dynamodb_calls() as calls:
            response = http.get("/client/therapists/", {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        costs.append(calls.by_operation())
        body = response.content.decode()
        seen += _listed(body)
        cursor = next_cursor(body) if "data-load-more" in body else None
        if not cursor:
            break
    return seen, costs


def test_it_browses_all_45_therapists_once_each_at_a_fixed_cost_a_page(visitor):
    _, http = visitor
    specializations = ("grief", "anxiety", "trauma")
    ids = {_therapist(f"Dr Number {n:02}", specializations[n % 3]).account_id for n in range(45)}
    hidden = _therapist("Dr Not Verified", verified=False)

    seen, costs = _browse_all(http, {})

    assert len(seen) == len(set(seen)) == 45
    assert set(seen) == ids and hidden.account_id not in seen
    # The session, then one Query a page (two on the page where the list wraps round).
    for cost in costs:
        assert cost.get("Query", 0) in (1, 2) and set(cost) <= {"GetItem", "Query"}, costs
        assert cost.get("GetItem", 0) == 1
    assert sum(c.get("Query", 0) for c in costs) <= len(costs) + 1


def test_the_order_rotates_from_day_to_day(dynamo):
    for n in range(12):
        _therapist(f"Dr Rotating {n:02}")
    firsts = set()
    orders = []
    for offset in range(6):
        page = directory_page(today=date(2026, 12, 1) + timedelta(days=offset))
        ids = [t.therapist_id for t in page.items]
        firsts.add(ids[0])
        orders.append(ids)
    assert len(firsts) > 1
    # Every day lists everyone: a rotation, never a different set.
    assert all(sorted(o) == sorted(orders[0]) for o in orders)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"modality": "in_person"}, {"Dr Office"}),
        ({"modality": "video"}, {"Dr Screen", "Dr Both"}),
        ({"language": "Spanish"}, {"Dr Both"}),
        ({"specialization": "trauma", "modality": "video"}, {"Dr Both"}),
        ({"specialization": "grief"}, {"Dr Office", "Dr Screen"}),
    ],
)
def test_it_filters_by_specialization_modality_and_language(visitor, params, expected):
    _, http = visitor
    _therapist("Dr Office", modalities=("in_person",))
    _therapist("Dr Screen", modalities=("video",))
    _therapist("Dr Both", "trauma", modalities=("in_person", "video"), languages=("English", "Spanish"))
    both_in_person = {"Dr Both"} if params == {"modality": "in_person"} else set()
    body = http.get("/client/therapists/", params).content.decode()
    shown = set(re.findall(r'<h3><a href="/client/therapists/[0-9A-Z]+/">([^<]+)</a>', body))
    assert shown == expected | both_in_person


def test_it_refuses_a_filter_value_not_in_the_lists(visitor):
    _, http = visitor
    assert http.get("/client/therapists/", {"modality": "telepathy"}).status_code == 400
    assert http.get("/client/therapists/", {"language": "Klingon"}).status_code == 400


def test_a_card_and_a_profile_show_what_a_client_needs_to_choose(visitor):
    _, http = visitor
    therapist = _therapist(
        "Dr Card",
        modalities=("in_person", "video"),
        languages=("English", "French"),
        licence_type="Clinical psychologist",
        licence_state="Ontario",
        fees="$150; sliding scale",
    )
    for url in ("/client/therapists/", f"/client/therapists/{therapist.account_id}/"):
        body = http.get(url).content.decode()
        assert "Clinical psychologist, licensed in Ontario" in body, url
        assert "In person and video" in body and "English, French" in body, url
        assert "$150; sliding scale" in body and "Taking new clients" in body, url
    # The cards are a list without bullets (directory.css), linked from both pages.
    assert "css/directory.css" in http.get("/client/therapists/").content.decode()


def test_every_text_a_therapist_types_is_escaped(visitor):
    client, http = visitor
    therapist = _therapist(XSS, licence_type=XSS, licence_state=XSS, fees=XSS)
    for url in ("/client/therapists/", f"/client/therapists/{therapist.account_id}/"):
        body = http.get(url).content.decode()
        assert "<script>alert(1)" not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34; {{ 7*7 }}" in body, url
    own = HttpClient()
    log_in(own, therapist)
    body = own.get("/therapist/profile/").content.decode()
    assert "<script>alert(1)" not in body


def test_the_therapist_edits_the_card_and_sees_whether_they_are_listed(dynamo):
    therapist = make_account(AccountKind.THERAPIST, name="Dr Editor")
    http = HttpClient()
    log_in(http, therapist)
    response = http.post(
        "/therapist/profile/",
        {
            "name": "Dr Editor",
            "specialization": "grief",
            "bio": "Hello.",
            "licence_type": "LMFT",
            "licence_state": "California",
            "modalities": ["video"],
            "languages": ["Spanish", "English"],
            "fees": "$90",
            "accepting_clients": "on",
        },
    )
    assert response.status_code == 302
    saved = TherapistRepository().get(therapist.account_id, consistent=True)
    assert (saved.licence_type, saved.licence_state, saved.fees) == ("LMFT", "California", "$90")
    assert saved.modalities == ("video",) and saved.languages == ("English", "Spanish")
    page = http.get("/therapist/profile/").content.decode()
    assert "Listed in the directory" in page and "Not listed" not in page
    assert 'value="LMFT"' in page
    assert re.search(r'<input[^>]*value="Spanish"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="French"[^>]*checked', page)

    TherapistRepository().update_fields(therapist.account_id, acceptingClients=False)
    TherapistRepository().set_listed(therapist.account_id, listed=False)
    page = http.get("/therapist/profile/").content.decode()
    assert "Not listed in the directory" in page
    assert "you are not accepting new clients" in page and "staff have taken your profile out" in page


def test_a_therapist_is_told_each_reason_they_are_not_listed(dynamo):
    therapist = make_account(AccountKind.THERAPIST, name="Dr Unconfirmed", verified=False)
    http = HttpClient()
    log_in(http, therapist)
    page = http.get("/therapist/profile/").content.decode()
    assert "Not listed in the directory" in page and "your email address is not confirmed yet" in page
    without_mfa = replace(TherapistRepository().get(therapist.account_id, consistent=True), mfa_secret=None)
    assert listing_status(without_mfa) == (
        False,
        ["your email address is not confirmed yet", "two-factor authentication is not on"],
    )


def test_the_request_carries_an_encrypted_message_the_therapist_reads(visitor):
    client, http = visitor
    therapist = _therapist("Dr Reader")
    message = "I have panic attacks at work. " + XSS
    response = http.post(f"/client/therapists/{therapist.account_id}/request/", {"message": message})
    assert response.status_code == 302
    raw = get_gateway().get(MAPPINGS, {"clientId": client.account_id, "therapistId": therapist.account_id})
    assert raw is not None and raw.get("requestMessage")
    assert "panic" not in str(raw)
    waiting = MappingRepository().list_pending_for_therapist(therapist.account_id).items
    assert [m.request_message for m in waiting] == [message]
    reader = HttpClient()
    log_in(reader, therapist)
    page = reader.get("/therapist/clients/").content.decode()
    assert "I have panic attacks at work." in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_the_message_is_optional_and_bounded(visitor):
    client, http = visitor
    therapist = _therapist("Dr Quiet")
    too_long = http.post(f"/client/therapists/{therapist.account_id}/request/", {"message": "x" * 1001}, follow=True)
    assert "at most 1000 characters" in too_long.content.decode()
    assert MappingRepository().get(client.account_id, therapist.account_id) is None
    assert http.post(f"/client/therapists/{therapist.account_id}/request/").status_code == 302
    raw = get_gateway().get(MAPPINGS, {"clientId": client.account_id, "therapistId": therapist.account_id})
    assert raw is not None and "requestMessage" not in raw


def test_only_clients_browse_and_only_the_therapist_edits_their_card(dynamo):
    therapist = _therapist("Dr Private")
    anonymous = HttpClient()
    assert anonymous.get("/client/therapists/").status_code == 302
    assert anonymous.get("/therapist/profile/").status_code == 302
    as_therapist = HttpClient()
    log_in(as_therapist, make_account(AccountKind.THERAPIST, name="Dr Other"))
    assert as_therapist.get("/client/therapists/").status_code in (302, 403)
    as_client = HttpClient()
    log_in(as_client, make_account(AccountKind.CLIENT))
    refused = as_client.post("/therapist/profile/", {"name": "Hacked", "specialization": "grief", "fees": "free"})
    assert refused.status_code in (302, 403)
    assert TherapistRepository().get(therapist.account_id, consistent=True).fees == "$100 a session"
