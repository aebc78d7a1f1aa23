"""The directory by specialization, a therapist's profile as a client sees it, and asking to work together."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind, MappingStatus
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.therapists import TherapistRepository
from portal.services import relationships as service
from portal.services.journal import journal_entry_create, journal_entry_set_shared
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.page_links import next_cursor
from tests.relationships import PORTAL_URL

HTMX = {"HTTP_HX_REQUEST": "true"}


def _therapist(name: str, specialization: str = "grief", **options):
    therapist = make_account(AccountKind.THERAPIST, name=name, **options)
    TherapistRepository().update_profile(
        therapist.account_id, name=name, specialization=specialization, bio=f"About {name}.", accepting_clients=True
    )
    return therapist


@pytest.fixture
def visitor(dynamo):
    client = make_account(AccountKind.CLIENT, name="Casey Client")
    http = HttpClient()
    log_in(http, client)
    return client, http


def test_it_shows_only_listed_therapists_of_the_chosen_specialization(visitor):
    _, http = visitor
    _therapist("Dr Listed")
    _therapist("Dr Other Field", specialization="trauma")
    _therapist("Dr Unverified", verified=False)
    _therapist("Dr No Second Factor", mfa_secret="")
    full = _therapist("Dr Full")
    TherapistRepository().update_fields(full.account_id, acceptingClients=False)
    unlisted = _therapist("Dr Unlisted")
    TherapistRepository().set_listed(unlisted.account_id, listed=False)

    response = http.get("/client/therapists/", {"specialization": "grief"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Dr Listed" in body and "About Dr Listed." in body
    for hidden in ("Dr Other Field", "Dr Unverified", "Dr No Second Factor", "Dr Full", "Dr Unlisted"):
        assert hidden not in body
    assert "not a ranking, and nobody can pay to be shown first" in body


def test_it_asks_for_a_specialization_from_the_list_and_refuses_free_text(visitor):
    _, http = visitor
    first = http.get("/client/therapists/")
    assert first.status_code == 200 and "What would you like help with?" in first.content.decode()
    bad = http.get("/client/therapists/", {"specialization": "astrology"})
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()


def _listed(body: str) -> set[str]:
    """The therapists a directory page lists, by the ids their profile links carry."""
    return set(re.findall(r'<h3><a href="/client/therapists/([0-9A-Z]+)/">', body))


def test_it_costs_one_query_a_page_however_many_therapists_and_pages_through_them(visitor):
    _, http = visitor
    _therapist("Dr First")
    with count_dynamodb_calls() as few:
        assert http.get("/client/therapists/", {"specialization": "grief"}).status_code == 200
    for n in range(30):
        _therapist(f"Dr Many {n:02}", verified=n % 4 != 0)  # some are not shown
    with count_dynamodb_calls() as many:
        first = http.get("/client/therapists/", {"specialization": "grief"})
    assert many.by_operation() == few.by_operation()
    body = first.content.decode()
    seen = _listed(body)
    cursor = next_cursor(body)
    assert len(seen) == 20 and cursor

    rest = http.get("/client/therapists/", {"specialization": "grief", "cursor": cursor}, **HTMX)
    assert rest.status_code == 200 and "<html" not in rest.content.decode()
    more = _listed(rest.content.decode())
    assert not seen & more
    assert len(seen) + len(more) == 1 + 30 - 8
    tampered = http.get("/client/therapists/", {"specialization": "trauma", "cursor": cursor})
    assert tampered.status_code == 400


def test_it_shows_a_profile_with_what_this_client_may_do_next_and_sends_a_request(visitor):
    client, http = visitor
    therapist = _therapist("Dr Grace")
    url = f"/client/therapists/{therapist.account_id}/"

    page = http.get(url).content.decode()
    assert "Dr Grace" in page and "About Dr Grace." in page and "Grief" in page
    assert "Ask to work together" in page

    asked = http.post(f"{url}request/", **HTMX)
    assert asked.status_code == 200 and "<html" not in asked.content.decode()
    assert "You asked to work together" in asked.content.decode()
    # A double click stores one request.
    again = http.post(f"{url}request/")
    assert again.status_code == 302 and again["Location"] == url
    stored = MappingRepository().get(client.account_id, therapist.account_id)
    assert stored.status is MappingStatus.PENDING
    assert len(MappingRepository().list_for_therapist(therapist.account_id).items) == 1


def test_it_tells_a_blocked_client_only_that_the_therapist_is_not_available(visitor):
    client, http = visitor
    therapist = _therapist("Dr Grace")
    service.relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
    service.relationship_block(user=therapist, client_id=client.account_id)

    page = http.get(f"/client/therapists/{therapist.account_id}/").content.decode()
    assert "This therapist is not available." in page and "Ask to work together" not in page
    again = http.post(f"/client/therapists/{therapist.account_id}/request/", follow=True).content.decode()
    assert "This therapist is not available." in again
    assert "blocked" not in (page + again).lower()


def test_it_answers_404_for_therapists_not_listed_and_not_related_and_for_bad_ids(visitor):
    _, http = visitor
    unlisted = _therapist("Dr Hidden")
    TherapistRepository().set_listed(unlisted.account_id, listed=False)
    assert http.get(f"/client/therapists/{unlisted.account_id}/").status_code == 404
    assert http.post(f"/client/therapists/{unlisted.account_id}/request/").status_code == 302
    assert MappingRepository().get(visitor[0].account_id, unlisted.account_id) is None
    assert http.get("/client/therapists/01ARZ3NDEKTSV4RRFFQ69G5FAV/").status_code == 404
    assert http.get("/client/therapists/nonsense/").status_code == 404


def test_it_keeps_a_full_therapists_profile_reachable_without_a_request_button(visitor):
    _, http = visitor
    full = _therapist("Dr Full")
    TherapistRepository().update_fields(full.account_id, acceptingClients=False)
    page = http.get(f"/client/therapists/{full.account_id}/").content.decode()
    assert "Dr Full is not taking new clients right now." in page
    assert "Ask to work together" not in page


@pytest.mark.parametrize("kind", [AccountKind.THERAPIST, AccountKind.STAFF])
def test_it_refuses_the_directory_and_requests_to_therapists_and_staff(dynamo, kind):
    therapist = _therapist("Dr Grace")
    http = HttpClient()
    log_in(http, make_account(kind))
    assert http.get(f"/client/therapists/{therapist.account_id}/").status_code == 403
    assert http.post(f"/client/therapists/{therapist.account_id}/request/").status_code == 403


def test_it_tells_a_client_how_many_shared_entries_a_new_therapist_would_read(visitor):
    client, http = visitor
    therapist = _therapist("Dr Grace")
    for n in range(2):
        entry = journal_entry_create(client_id=client.account_id, time_of_emotion=utcnow(), feeling="sad", intensity=n + 1)
        journal_entry_set_shared(user=client, entry_id=entry.entry_id, shared=True)

    page = http.get(f"/client/therapists/{therapist.account_id}/").content.decode()

    assert "You have <strong>2 shared entries</strong>: once you work together, Dr Grace can read them." in page
    assert 'href="/client/my-therapists/#readable"' in page


def test_it_says_whether_a_therapist_takes_online_requests(visitor):
    from datetime import time

    from portal.availability import HoursRange
    from portal.services import booking

    _, http = visitor
    therapist = _therapist("Dr Hours")
    url = f"/client/therapists/{therapist.account_id}/"
    assert "Takes no online requests" in http.get(url).content.decode()  # no hours yet

    hours = booking.availability_for(user=therapist)
    booking.availability_save(
        user=therapist,
        availability=replace(hours, weekly_hours={0: (HoursRange(time(9), time(12)),)}),
        expected_version=hours.version,
    )
    assert "Takes requests for open times online." in http.get(url).content.decode()

    hours = booking.availability_for(user=therapist)
    booking.availability_save(
        user=therapist, availability=replace(hours, online_requests=False), expected_version=hours.version
    )
    assert "Takes no online requests" in http.get(url).content.decode()
