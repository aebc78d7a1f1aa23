"""Whatever a person typed reaches the account, staff, relationship and directory pages escaped.

Each text a person can type on these pages (names, a therapist's bio, a staff member's reason,
the browser's own description, the address to return to after logging in) holds markup, both
kinds of quotes and template syntax; every page that shows it must show it as text.
"""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.utils.html import escape as django_escape
from markupsafe import escape

from portal.domain import AccountKind
from portal.dynamo.sessions import SessionRepository
from portal.services import relationships as service
from portal.services.staff_admin import account_deactivate
from portal.services.therapist_directory import therapist_profile_update
from tests.accounts import log_in, make_account
from tests.factories import make_session
from tests.relationships import PORTAL_URL, connect

TYPED = "<script>alert(1)</script> \"dq\" 'sq' {{ 7*7 }} {% if 1 %}x{% endif %}"
RAW = ("<script>alert(1)</script>", '"dq"', "'sq'")


def _as(user) -> HttpClient:
    http = HttpClient()
    log_in(http, user)
    return http


def _nothing_raw(body: str) -> None:
    for raw in RAW:
        assert raw not in body


def _shown_escaped(body: str, typed: str = TYPED) -> None:
    _nothing_raw(body)
    # Jinja2 escapes quotes as &#34; and &#39;; Django's filters (linebreaksbr, widgets) as &quot; and &#x27;.
    assert str(escape(typed)) in body or django_escape(typed) in body


@pytest.fixture
def people(dynamo):
    client = make_account(AccountKind.CLIENT, name=f"Client {TYPED}")
    therapist = make_account(AccountKind.THERAPIST, name=f"Dr {TYPED}")
    therapist_profile_update(
        user=therapist, name=f"Dr {TYPED}", specialization="anxiety", bio=f"Bio {TYPED}", accepting_clients=True
    )
    staff = make_account(AccountKind.STAFF, name=f"Staff {TYPED}")
    return client, therapist, staff


def test_the_client_pages_show_the_therapist_as_text(people):
    client, therapist, _ = people
    http = _as(client)
    directory = http.get("/client/therapists/", {"specialization": "anxiety"}).content.decode()
    _shown_escaped(directory, f"Dr {TYPED}")
    _shown_escaped(directory, f"Bio {TYPED}")
    profile = http.get(f"/client/therapists/{therapist.account_id}/").content.decode()
    _shown_escaped(profile, f"Dr {TYPED}")
    _shown_escaped(profile, f"Bio {TYPED}")
    asked = http.post(f"/client/therapists/{therapist.account_id}/request/", HTTP_HX_REQUEST="true")
    assert asked.status_code == 200
    _nothing_raw(asked.content.decode())
    for url in ("/client/", "/client/my-therapists/"):
        _shown_escaped(http.get(url).content.decode(), f"Dr {TYPED}")


def test_the_therapist_pages_show_the_client_as_text_in_attributes_too(people):
    client, therapist, _ = people
    service.relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
    http = _as(therapist)
    waiting = http.get("/therapist/clients/").content.decode()
    _shown_escaped(waiting, f"Client {TYPED}")
    # The name inside hx-confirm="…" must not close the attribute.
    assert f'hx-confirm="Block Client {escape(TYPED)}?' in waiting
    service.relationship_accept(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)
    for url in ("/therapist/", "/therapist/clients/", f"/therapist/clients/{client.account_id}/end/"):
        _shown_escaped(http.get(url).content.decode(), f"Client {TYPED}")
    _shown_escaped(http.get("/therapist/profile/").content.decode(), f"Bio {TYPED}")


def test_the_client_sees_their_own_name_and_the_ending_question_as_text(people):
    client, therapist, _ = people
    connect(client, therapist)
    http = _as(client)
    _shown_escaped(http.get("/client/").content.decode(), f"Client {TYPED}")
    ending = http.get(f"/client/my-therapists/{therapist.account_id}/end/", HTTP_HX_REQUEST="true")
    _shown_escaped(ending.content.decode(), f"Dr {TYPED}")


def test_the_staff_pages_show_names_and_reasons_as_text(people):
    client, therapist, staff = people
    connect(client, therapist)
    SessionRepository().create(make_session(therapist_id=therapist.account_id, client_id=client.account_id))
    account_deactivate(staff=staff, kind="client", account_id=client.account_id, reason=f"Reason {TYPED}")
    http = _as(staff)
    for url in ("/staff/?kind=client", f"/staff/accounts/client/{client.account_id}/"):
        _shown_escaped(http.get(url).content.decode(), f"Client {TYPED}")
    account = http.get(f"/staff/accounts/client/{client.account_id}/").content.decode()
    _shown_escaped(account, f"Reason {TYPED}")
    relationships = http.get(f"/staff/accounts/client/{client.account_id}/relationships/").content.decode()
    _shown_escaped(relationships, f"Dr {TYPED}")
    sessions = http.get("/staff/sessions/").content.decode()
    _shown_escaped(sessions, f"Dr {TYPED}")
    _shown_escaped(sessions, f"Client {TYPED}")
    audit = http.get("/staff/audit/", {"subject": client.account_id}).content.decode()
    _shown_escaped(audit, f"Staff {TYPED}")
    _shown_escaped(audit, f"Reason {TYPED}")


def test_the_security_page_shows_the_browsers_description_as_text(dynamo):
    user = make_account(AccountKind.CLIENT)
    http = HttpClient(HTTP_USER_AGENT=f"Agent {TYPED}")
    log_in(http, user)
    body = http.get("/accounts/security/").content.decode()
    assert "(this device)" in body
    _nothing_raw(body)


def test_the_login_page_keeps_the_return_address_as_text(dynamo, client):
    body = client.get("/accounts/login/", {"next": f"/client/?q={TYPED}"}).content.decode()
    assert 'name="next"' in body
    _nothing_raw(body)
