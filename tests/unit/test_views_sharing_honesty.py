"""Sharing honesty on the journal page: who can read a shared entry now, and nobody before a therapist."""

from __future__ import annotations

from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.services import relationships as service
from portal.services.journal import journal_entry_create, journal_entry_set_shared
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.relationships import PORTAL_URL, connect

HTMX = {"HTTP_HX_REQUEST": "true"}


def _entry(client, shared: bool):
    entry = journal_entry_create(client_id=client.account_id, time_of_emotion=utcnow(), feeling="calm", intensity=3)
    if shared:
        journal_entry_set_shared(user=client, entry_id=entry.entry_id, shared=True)
    return entry


def test_it_says_nobody_can_read_shared_entries_without_an_active_therapist(dynamo):
    client = make_account(AccountKind.CLIENT)
    therapist = make_account(AccountKind.THERAPIST, name="Dr Pending")
    service.relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
    _entry(client, shared=True)
    _entry(client, shared=False)
    http = HttpClient()
    log_in(http, client)

    body = http.get("/client/journal/").content.decode()

    assert "nobody can read a shared entry" in body and 'href="/client/therapists/"' in body
    assert "nobody can read it now" in body
    assert "Dr Pending" not in body  # asked, not yet working together: cannot read
    assert "Nobody can read a shared entry yet: you have no therapist." in body
    shared = http.post(f"/client/journal/{_entry(client, shared=False).entry_id}/share/", {"shared": "1"}, follow=True)
    assert "Shared. No therapist is connected yet, so nobody can read it until one is." in shared.content.decode()


def test_it_names_who_can_read_each_shared_entry_from_the_mappings_without_a_read_per_entry(dynamo):
    client = make_account(AccountKind.CLIENT)
    connect(client, make_account(AccountKind.THERAPIST, name="Dr Ada"))
    connect(client, make_account(AccountKind.THERAPIST, name="Dr Bo"))
    entry = _entry(client, shared=True)
    http = HttpClient()
    log_in(http, client)

    with count_dynamodb_calls() as few:
        body = http.get("/client/journal/").content.decode()
    assert "Dr Ada, Dr Bo can read it" in body
    for _ in range(10):
        _entry(client, shared=True)
    with count_dynamodb_calls() as many:
        assert http.get("/client/journal/").content.decode().count("Dr Ada, Dr Bo can read it") == 11
    assert many.by_operation() == few.by_operation()

    # The share control's htmx answer says it too.
    again = http.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "1"}, **HTMX).content.decode()
    assert "Dr Ada, Dr Bo can read it" in again and "<html" not in again
