"""Who can read a client's shared entries: read consistently on the pages that say it, so the statement never
names fewer readers than can read; the session keeps a copy that every POST refreshes."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.services import relationships as service
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import PASSWORD, make_account
from tests.relationships import PORTAL_URL, connect


def _log_in(user) -> HttpClient:
    http = HttpClient()
    assert http.post("/accounts/login/", {"email": user.email, "password": PASSWORD}).status_code == 302
    return http


def test_it_names_the_readers_on_the_journal_with_one_query_of_the_mappings(dynamo):
    client = make_account(AccountKind.CLIENT)
    connect(client, make_account(AccountKind.THERAPIST, name="Dr Ada"))
    http = _log_in(client)

    with count_dynamodb_calls() as calls:
        body = http.get("/client/journal/").content.decode()

    assert "Shared entries can be read by Dr Ada." in body
    # The session, the journal's own Query and one Query of the mappings, whatever the journal's size.
    assert calls.by_operation() == {"GetItem": 1, "Query": 2}


def test_it_names_a_therapist_who_accepted_a_moment_ago(dynamo):
    # The client's session copy says nobody reads; the therapist accepts without touching it.
    client = make_account(AccountKind.CLIENT)
    therapist = make_account(AccountKind.THERAPIST, name="Dr Ada")
    service.relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
    entry = journal_entry_create(client_id=client.account_id, time_of_emotion=utcnow(), feeling="calm", intensity=3)
    http = _log_in(client)
    assert http.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "1"}).status_code == 302
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        before = http.get("/client/journal/").content.decode()
        assert "nobody can read it now" in before
        clock.move_to(start + timedelta(seconds=5))
        service.relationship_accept(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)

        # Within the minute the session's copy is not re-checked: the page reads the readers itself.
        body = http.get("/client/journal/").content.decode()
        fragment = http.get(f"/client/journal/{entry.entry_id}/", HTTP_HX_REQUEST="true").content.decode()
    assert "nobody can read" not in body
    assert "Shared entries can be read by Dr Ada." in body
    assert "Dr Ada can read it" in body
    assert "Dr Ada can read it" in fragment and "nobody can read" not in fragment


def test_it_names_the_readers_as_they_are_in_a_share_confirmation(dynamo):
    client = make_account(AccountKind.CLIENT)
    therapist = make_account(AccountKind.THERAPIST, name="Dr Ada")
    service.relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
    http = _log_in(client)
    entry = journal_entry_create(client_id=client.account_id, time_of_emotion=utcnow(), feeling="calm", intensity=3)
    service.relationship_accept(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)

    # A POST re-reads the account and the readers consistently before the view runs.
    shared = http.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "1"}, follow=True)

    assert "Shared with Dr Ada." in shared.content.decode()


def test_it_stops_naming_a_therapist_at_once_when_the_client_ends_the_relationship(dynamo):
    client = make_account(AccountKind.CLIENT)
    therapist = make_account(AccountKind.THERAPIST, name="Dr Ada")
    connect(client, therapist)
    http = _log_in(client)
    assert "Shared entries can be read by Dr Ada." in http.get("/client/journal/").content.decode()

    ended = http.post(f"/client/my-therapists/{therapist.account_id}/end/", {"confirm": "yes"})
    assert ended.status_code == 302

    body = http.get("/client/journal/").content.decode()
    assert "Shared entries can be read by Dr Ada." not in body
    assert "nobody can read a shared entry" in body
