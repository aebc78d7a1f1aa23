"""The therapist's view of shared entries marks what was shared since their last visit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.journal import JournalRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.services.journal import PAGE_SIZE
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.journal_data import seed_entries
from tests.messaging_data import make_active_pair


@pytest.fixture
def visit(dynamo):
    """A pair whose therapist last visited three hours ago; two entries shared since, one before."""
    client, therapist = make_active_pair()
    now = utcnow()
    records = RelationshipRepository()
    assert records.note_therapist_visit(client.account_id, therapist.account_id, at=now - timedelta(hours=3), last_visit=None)
    entries = seed_entries(client.account_id, 4, start=now - timedelta(days=1), step=timedelta(days=2))
    journal = JournalRepository()
    # Felt long ago but shared lately is new; felt lately but shared before the visit is not.
    journal.set_shared(client.account_id, entries[3].entry_id, now - timedelta(hours=1))
    journal.set_shared(client.account_id, entries[1].entry_id, now - timedelta(hours=2))
    journal.set_shared(client.account_id, entries[0].entry_id, now - timedelta(hours=4))
    http = HttpClient()
    log_in(http, therapist)
    return http, client, therapist, entries


def _url(client) -> str:
    return f"/therapist/clients/{client.account_id}/journal/"


def _new_entries(body: str) -> int:
    return len(
        re.findall(
            r'<span class="badge badge-pending new-badge">New<span class="visually-hidden"> since your last visit:',
            body,
        )
    )


def test_it_marks_entries_shared_since_the_last_visit_and_counts_them(visit):
    http, client, therapist, entries = visit
    before = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert before is not None and before.therapist_last_visit_at is not None

    body = http.get(_url(client)).content.decode()

    assert re.search(r'<p class="card" id="new-since-visit">2 new shared entries since your last visit on <time', body)
    assert _new_entries(body) == 2
    # Newest felt first; the marked ones are the two shared after the visit, whenever they were felt.
    items = re.findall(r'<li class="entry card( entry-new)?">', body)
    assert items == ["", " entry-new", " entry-new"]
    # This opening started a new visit: the old one became the previous one.
    after = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert after is not None
    assert after.therapist_previous_visit_at == before.therapist_last_visit_at
    assert after.therapist_last_visit_at is not None and after.therapist_last_visit_at > before.therapist_last_visit_at


def test_it_keeps_the_marks_through_a_reload_of_the_same_visit_without_writing(visit):
    http, client, therapist, _ = visit
    http.get(_url(client))
    written = RelationshipRepository().get(client.account_id, therapist.account_id)

    with count_dynamodb_calls() as calls:
        body = http.get(_url(client)).content.decode()

    assert _new_entries(body) == 2 and "2 new shared entries since your last visit" in body
    assert calls.count("UpdateItem") == 0
    assert RelationshipRepository().get(client.account_id, therapist.account_id) == written


def test_it_marks_nothing_on_a_first_visit_and_says_nothing_new_on_a_quiet_one(dynamo):
    client, therapist = make_active_pair()
    (entry,) = seed_entries(client.account_id, 1, shared_every=1)
    http = HttpClient()
    log_in(http, therapist)
    first = http.get(_url(client)).content.decode()
    assert 'id="new-since-visit"' not in first and _new_entries(first) == 0 and entry.entry_id

    # Three hours on, a new visit with nothing shared in between.
    records = RelationshipRepository()
    stored = records.get(client.account_id, therapist.account_id)
    assert stored is not None and stored.therapist_last_visit_at is not None
    earlier = stored.therapist_last_visit_at - timedelta(hours=3)
    _rewind_visit(client.account_id, therapist.account_id, earlier)
    JournalRepository().set_shared(client.account_id, entry.entry_id, earlier - timedelta(minutes=1))
    quiet = http.get(_url(client)).content.decode()
    assert "Nothing newly shared since your last visit on" in quiet and _new_entries(quiet) == 0


def test_it_marks_new_entries_on_later_pages_without_counting_or_writing(dynamo):
    client, therapist = make_active_pair()
    now = utcnow()
    RelationshipRepository().note_therapist_visit(
        client.account_id, therapist.account_id, at=now - timedelta(hours=3), last_visit=None
    )
    # Shared now (after the visit): every one is new, on every page.
    seed_entries(client.account_id, PAGE_SIZE + 2, shared_every=1)
    http = HttpClient()
    log_in(http, therapist)
    first = http.get(_url(client)).content.decode()
    assert f"{PAGE_SIZE + 2} new shared entries since your last visit" in first
    cursor = re.search(r'href="\?cursor=([^"]+)"', first)
    assert cursor is not None
    written = RelationshipRepository().get(client.account_id, therapist.account_id)

    with count_dynamodb_calls() as calls:
        more = http.get(_url(client) + "?cursor=" + cursor.group(1), HTTP_HX_REQUEST="true").content.decode()

    assert _new_entries(more) == 2 and "new-since-visit" not in more
    assert calls.count("UpdateItem") == 0 and calls.count("Query") == 1
    assert RelationshipRepository().get(client.account_id, therapist.account_id) == written
    # Without JavaScript the second page is a whole page with a way back to the newest entries.
    plain = http.get(_url(client) + "?cursor=" + cursor.group(1)).content.decode()
    assert "Back to the newest entries" in plain and _new_entries(plain) == 2


def test_it_writes_no_visit_for_another_therapists_client_or_an_anonymous_visitor(visit):
    _, client, therapist, _ = visit
    before = RelationshipRepository().get(client.account_id, therapist.account_id)
    stranger = HttpClient()
    log_in(stranger, make_account(AccountKind.THERAPIST))
    assert stranger.get(_url(client)).status_code == 404
    anonymous = HttpClient().get(_url(client))
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert RelationshipRepository().get(client.account_id, therapist.account_id) == before


def _rewind_visit(client_id: str, therapist_id: str, at) -> None:
    """Test-only: put the latest visit back in time (the product only moves it forward)."""
    from portal.dynamo.connection import get_gateway
    from portal.dynamo.schema import RELATIONSHIPS
    from portal.timeutil import to_iso

    get_gateway().update(
        RELATIONSHIPS,
        {"clientId": client_id, "therapistId": therapist_id},
        set_values={"therapistLastVisitAt": to_iso(at)},
    )
