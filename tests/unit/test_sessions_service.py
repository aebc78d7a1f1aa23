"""Session rules: requests, answers, moves, overlap, notes with optimistic locking, since last session."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from django.http import Http404

from portal.domain import AccountKind, Conflict, IllegalTransition, SessionStatus, TherapySession
from portal.dynamo.audit import AuditRepository
from portal.dynamo.journal import JournalRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.policy import NotAllowed
from portal.services import sessions as service
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import make_account
from tests.factories import make_session
from tests.sessions_data import booked, care_pair, end_care, in_days, moved_to, requested


@pytest.fixture
def pair(dynamo):
    return care_pair()


def test_it_stores_a_request_as_pending_with_names_and_message(pair):
    session = requested(pair, message="Mornings are hard")
    stored = SessionRepository().get(session.session_id)
    assert stored is not None
    assert stored.status is SessionStatus.PENDING
    assert (stored.client_name, stored.therapist_name) == ("Casey Client", "Dr Tara")
    assert stored.request_message == "Mornings are hard"
    assert stored.duration_minutes == 50
    assert stored.requested_by is AccountKind.CLIENT


def test_it_stores_one_session_when_a_request_is_submitted_twice(pair):
    key = new_id()
    args = dict(user=pair.client, therapist_id=pair.therapist.account_id, title="T", scheduled_for=in_days(2), idempotency_key=key)
    first = service.session_request(**args)
    second = service.session_request(**args)
    assert first.session_id == second.session_id
    assert len(SessionRepository().list_by_client(pair.client.account_id).items) == 1


def test_it_refuses_a_request_without_an_active_relationship(dynamo):
    pending = care_pair()
    from portal.domain import MappingStatus
    from portal.dynamo.mappings import MappingRepository

    MappingRepository().put(pending.client.account_id, pending.therapist.account_id, MappingStatus.PENDING)
    with pytest.raises(NotAllowed):
        requested(pending)
    stranger = make_account(AccountKind.THERAPIST)
    with pytest.raises(NotAllowed):
        service.session_request(
            user=pending.client, therapist_id=stranger.account_id, title="T", scheduled_for=in_days(1), idempotency_key=new_id()
        )
    assert SessionRepository().list_by_client(pending.client.account_id).items == []


@pytest.mark.parametrize(
    ("title", "when", "message"),
    [("", 2, ""), ("x" * 121, 2, ""), ("ok", -1, ""), ("ok", 2, "m" * 2001)],
)
def test_it_refuses_bad_requests(pair, title, when, message):
    with pytest.raises(service.InvalidSession):
        requested(pair, title=title, when=in_days(when), message=message)


def test_it_never_gives_the_client_private_notes(pair):
    session = booked(pair)
    service.session_notes_save(
        user=pair.therapist, session_id=session.session_id, version=session.version,
        private_notes="PRIVATE-MARKER", shared_notes="Shared words",
    )
    page = service.client_session_page(user=pair.client, session_id=session.session_id)
    assert page.session.private_notes == ""
    assert page.session.shared_notes == "Shared words"
    listing = service.client_sessions(user=pair.client)
    assert all(s.private_notes == "" for s in listing.upcoming.items)


def test_it_walks_a_request_through_approval_opening_and_closing(pair):
    session = requested(pair)
    approved = service.session_approve(user=pair.therapist, session_id=session.session_id, location="https://video.example/abc", duration_minutes=60)
    assert (approved.status, approved.location, approved.duration_minutes) == (SessionStatus.APPROVED, "https://video.example/abc", 60)
    opened = service.session_open(user=pair.therapist, session_id=session.session_id)
    closed = service.session_close(user=pair.therapist, session_id=session.session_id)
    assert (opened.status, closed.status) == (SessionStatus.OPEN, SessionStatus.CLOSED)
    with pytest.raises(IllegalTransition):
        service.session_open(user=pair.therapist, session_id=session.session_id)
    assert SessionRepository().get(session.session_id).status is SessionStatus.CLOSED


def test_it_keeps_the_rejection_reason_for_the_client(pair):
    session = requested(pair)
    service.session_reject(user=pair.therapist, session_id=session.session_id, reason="I am away that week")
    seen = service.client_session_page(user=pair.client, session_id=session.session_id).session
    assert (seen.status, seen.rejection_reason) == (SessionStatus.REJECTED, "I am away that week")


def test_it_lets_the_client_withdraw_only_a_pending_request(pair):
    session = requested(pair)
    withdrawn = service.session_withdraw(user=pair.client, session_id=session.session_id)
    assert (withdrawn.status, withdrawn.cancelled_by) == (SessionStatus.CANCELLED, AccountKind.CLIENT)
    approved = booked(pair)
    with pytest.raises(service.InvalidSession):
        service.session_withdraw(user=pair.client, session_id=approved.session_id)


def test_it_refuses_approving_a_request_the_client_withdrew(pair):
    session = requested(pair)
    service.session_withdraw(user=pair.client, session_id=session.session_id)
    with pytest.raises(IllegalTransition):
        service.session_approve(user=pair.therapist, session_id=session.session_id, location="")
    assert SessionRepository().get(session.session_id).status is SessionStatus.CANCELLED


def test_it_leaves_exactly_one_outcome_when_withdraw_and_approve_cross(pair):
    repo = SessionRepository()
    session = requested(pair)
    # Both sides read version 1; the client's withdrawal lands first.
    seen_by_client = repo.get(session.session_id)
    seen_by_therapist = repo.get(session.session_id)
    repo.update(
        replace(seen_by_client, status=SessionStatus.CANCELLED, cancelled_by=AccountKind.CLIENT),
        expected_version=seen_by_client.version,
    )
    with pytest.raises(Conflict):
        repo.update(replace(seen_by_therapist, status=SessionStatus.APPROVED), expected_version=seen_by_therapist.version)
    final = repo.get(session.session_id)
    assert (final.status, final.version) == (SessionStatus.CANCELLED, 2)


def test_it_warns_about_an_overlapping_session_and_books_once_confirmed(pair):
    first = booked(pair, when=in_days(4, hour=10))
    with pytest.raises(service.SessionOverlap) as caught:
        service.session_create(
            user=pair.therapist, client_id=pair.client.account_id, title="Second",
            scheduled_for=first.scheduled_for + timedelta(minutes=30), idempotency_key=new_id(),
        )
    assert [s.session_id for s in caught.value.overlapping] == [first.session_id]
    # Right after the first ends is no overlap.
    service.session_create(
        user=pair.therapist, client_id=pair.client.account_id, title="Later",
        scheduled_for=first.ends_at, idempotency_key=new_id(),
    )
    confirmed = service.session_create(
        user=pair.therapist, client_id=pair.client.account_id, title="Second",
        scheduled_for=first.scheduled_for + timedelta(minutes=30), idempotency_key=new_id(), confirm_overlap=True,
    )
    assert confirmed.status is SessionStatus.APPROVED


def test_it_warns_when_approving_a_request_over_an_approved_session(pair):
    first = booked(pair, when=in_days(5, hour=9))
    request = requested(pair, when=first.scheduled_for - timedelta(minutes=20))
    with pytest.raises(service.SessionOverlap):
        service.session_approve(user=pair.therapist, session_id=request.session_id, location="")
    assert SessionRepository().get(request.session_id).status is SessionStatus.PENDING
    # A cancelled session does not block.
    service.session_cancel(user=pair.therapist, session_id=first.session_id)
    assert service.session_approve(user=pair.therapist, session_id=request.session_id, location="").status is SessionStatus.APPROVED


def test_it_checks_overlap_with_one_query_however_full_the_agenda(pair):
    from portal.dynamo.call_counter import count_dynamodb_calls

    for day in range(30):
        booked(pair, when=in_days(day + 1, hour=8))
    with count_dynamodb_calls() as calls:
        found = SessionRepository().list_around(
            pair.therapist.account_id, in_days(10, hour=8), in_days(10, hour=9), statuses=service.BLOCKING
        )
    # One Query of the agenda, and one batched read of the keys of the text it holds.
    assert calls.count("Query") == 1 and calls.count("Scan") == 0 and calls.total <= 2
    assert len(found) == 1


def test_it_reschedules_and_refuses_moving_a_closed_session(pair):
    session = booked(pair)
    moved = service.session_reschedule(
        user=pair.therapist, session_id=session.session_id, scheduled_for=in_days(6), duration_minutes=80, location="Room 9"
    )
    assert (moved.scheduled_for, moved.duration_minutes, moved.location) == (in_days(6), 80, "Room 9")
    moved_to(pair, moved, SessionStatus.CLOSED)
    with pytest.raises(service.InvalidSession):
        service.session_reschedule(
            user=pair.therapist, session_id=session.session_id, scheduled_for=in_days(7), duration_minutes=50, location=""
        )


def test_it_refuses_a_stale_notes_save_and_returns_the_newer_version(pair):
    session = booked(pair)
    first = service.session_notes_save(
        user=pair.therapist, session_id=session.session_id, version=session.version, private_notes="tab one", shared_notes=""
    )
    with pytest.raises(service.NotesConflict) as caught:
        service.session_notes_save(
            user=pair.therapist, session_id=session.session_id, version=session.version, private_notes="tab two", shared_notes=""
        )
    assert caught.value.current.private_notes == "tab one"
    assert caught.value.current.version == first.version
    assert SessionRepository().get(session.session_id).private_notes == "tab one"


def test_it_makes_sessions_of_an_ended_relationship_read_only_and_audits_the_therapists_reads(pair):
    session = booked(pair)
    end_care(pair)
    with pytest.raises(service.ReadOnlySession):
        service.session_notes_save(
            user=pair.therapist, session_id=session.session_id, version=session.version, private_notes="x", shared_notes=""
        )
    with pytest.raises(service.ReadOnlySession):
        service.session_cancel(user=pair.therapist, session_id=session.session_id)
    page = service.therapist_session_page(user=pair.therapist, session_id=session.session_id, time_zone="UTC")
    assert page.active is False and page.since_last is None
    events = AuditRepository().list_for_subject(pair.client.account_id, action=service.ENDED_READ).items
    assert [(e.actor_id, e.detail["session"]) for e in events] == [(pair.therapist.account_id, session.session_id)]
    # The client still reads it.
    assert service.client_session_page(user=pair.client, session_id=session.session_id).active is False


def test_it_refuses_other_peoples_sessions(pair):
    session = booked(pair)
    other = care_pair()
    with pytest.raises(Http404):
        service.client_session_page(user=other.client, session_id=session.session_id)
    with pytest.raises(Http404):
        service.therapist_session_page(user=other.therapist, session_id=session.session_id, time_zone="UTC")
    with pytest.raises(Http404):
        service.session_withdraw(user=other.client, session_id=session.session_id)


def _held(pair, days_ago: float) -> TherapySession:
    """A session under way ``days_ago`` days back (opened, not closed yet)."""
    return SessionRepository().create(
        make_session(
            client_id=pair.client.account_id, therapist_id=pair.therapist.account_id,
            scheduled_for=utcnow() - timedelta(days=days_ago), status=SessionStatus.OPEN,
        )
    )


def _close(pair, session: TherapySession) -> TherapySession:
    return service.session_close(user=pair.therapist, session_id=session.session_id)


def _record(pair):
    return RelationshipRepository().get(pair.client.account_id, pair.therapist.account_id)


def _felt(pair, days_ago: float, note: str, *, shared: bool) -> None:
    made = journal_entry_create(
        client_id=pair.client.account_id, time_of_emotion=utcnow() - timedelta(days=days_ago),
        feeling="anxious", intensity=6, note=note,
    )
    if shared:
        JournalRepository().set_shared(pair.client.account_id, made.entry_id, utcnow())


def test_it_moves_the_records_last_session_time_when_a_session_closes_and_never_back(pair):
    older, newer = _held(pair, 9), _held(pair, 5)
    closed = _close(pair, newer)
    assert closed.status is SessionStatus.CLOSED
    assert _record(pair).last_session_at == newer.scheduled_for
    # An older session closed late is closed, but the record keeps the later time.
    assert _close(pair, older).status is SessionStatus.CLOSED
    assert SessionRepository().get(older.session_id).status is SessionStatus.CLOSED
    assert _record(pair).last_session_at == newer.scheduled_for


def test_it_keeps_the_session_and_the_record_unchanged_when_the_close_is_refused(pair):
    session = _held(pair, 2)
    stale = SessionRepository().get(session.session_id)
    service.session_notes_save(
        user=pair.therapist, session_id=session.session_id, version=session.version,
        private_notes="", shared_notes="x",
    )
    # The close is based on a version someone else has moved on from: nothing lands.
    with pytest.raises(Conflict):
        SessionRepository().close(replace(stale, status=SessionStatus.CLOSED), expected_version=stale.version)
    assert SessionRepository().get(session.session_id).status is SessionStatus.OPEN
    record = _record(pair)
    assert record is None or record.last_session_at is None
    # Closing a session that is not open is refused the same way, the record untouched.
    approved = booked(pair)
    with pytest.raises(IllegalTransition):
        _close(pair, approved)
    record = _record(pair)
    assert record is None or record.last_session_at is None


def test_it_shows_shared_entries_felt_since_the_last_closed_session(pair):
    earlier = _held(pair, 5)
    _close(pair, earlier)
    current = booked(pair, when=utcnow() + timedelta(hours=2))
    _felt(pair, 7, "before the last session", shared=True)
    _felt(pair, 3, "shared since", shared=True)
    _felt(pair, 2, "private since", shared=False)
    _felt(pair, 1, "shared yesterday", shared=True)

    page = service.therapist_session_page(user=pair.therapist, session_id=current.session_id, time_zone="UTC")
    since = page.since_last
    assert since is not None and not since.first_session
    assert since.since == earlier.scheduled_for
    assert [e.note for e in since.entries] == ["shared yesterday", "shared since"]
    assert since.chart.count == 2


def test_it_covers_the_thirty_days_before_a_first_session(pair):
    current = booked(pair, when=utcnow() + timedelta(hours=2))
    _felt(pair, 40, "too long ago", shared=True)
    _felt(pair, 10, "this month", shared=True)
    since = service.therapist_session_page(
        user=pair.therapist, session_id=current.session_id, time_zone="UTC"
    ).since_last
    assert since is not None and since.first_session
    assert since.since == current.scheduled_for - service.FIRST_SESSION_LOOKBACK
    assert [e.note for e in since.entries] == ["this month"]


def test_it_shows_a_past_session_the_window_it_covered_not_the_latest_one(pair):
    # Sessions 10 and 4 days ago, both closed; the page of the one 4 days ago
    # covers from the one before it to its own end, whatever came later.
    first, second = _held(pair, 10), _held(pair, 4)
    _close(pair, first)
    _close(pair, second)
    assert SessionRepository().get(second.session_id).previous_session_at == first.scheduled_for
    _felt(pair, 12, "before both", shared=True)
    _felt(pair, 7, "between them", shared=True)
    _felt(pair, 1, "after the second", shared=True)
    upcoming = booked(pair, when=utcnow() + timedelta(days=1))

    past = service.therapist_session_page(user=pair.therapist, session_id=second.session_id, time_zone="UTC")
    assert past.since_last is not None and not past.since_last.first_session
    assert (past.since_last.since, past.since_last.until) == (first.scheduled_for, second.ends_at)
    assert [e.note for e in past.since_last.entries] == ["between them"]

    ahead = service.therapist_session_page(user=pair.therapist, session_id=upcoming.session_id, time_zone="UTC")
    assert ahead.since_last is not None and ahead.since_last.since == second.scheduled_for
    assert [e.note for e in ahead.since_last.entries] == ["after the second"]

    # The first session had none before it: the 30 days before it, up to its end.
    oldest = service.therapist_session_page(user=pair.therapist, session_id=first.session_id, time_zone="UTC")
    assert oldest.since_last is not None and oldest.since_last.first_session
    assert oldest.since_last.until == first.ends_at
    assert [e.note for e in oldest.since_last.entries] == ["before both"]


def test_it_does_not_take_a_later_session_as_the_previous_one_of_an_older_unclosed_session(pair):
    # An approved session from a week ago that was never closed, and a later one that was.
    forgotten = SessionRepository().create(
        make_session(
            client_id=pair.client.account_id, therapist_id=pair.therapist.account_id,
            scheduled_for=utcnow() - timedelta(days=7), status=SessionStatus.APPROVED,
        )
    )
    _close(pair, _held(pair, 2))
    since = service.therapist_session_page(
        user=pair.therapist, session_id=forgotten.session_id, time_zone="UTC"
    ).since_last
    assert since is not None and since.first_session
    assert since.since == forgotten.scheduled_for - service.FIRST_SESSION_LOOKBACK
    assert since.until == forgotten.ends_at


def test_it_logs_ids_and_never_session_text(pair, caplog):
    caplog.set_level(logging.DEBUG)
    session = requested(pair, title="TITLE-WORDS", message="MESSAGE-WORDS")
    service.session_reject(user=pair.therapist, session_id=session.session_id, reason="REASON-WORDS")
    other = booked(pair, title="TITLE-WORDS")
    service.session_notes_save(
        user=pair.therapist, session_id=other.session_id, version=other.version, private_notes="PRIVATE-WORDS", shared_notes="SHARED-WORDS"
    )
    for words in ("TITLE", "MESSAGE", "REASON", "PRIVATE", "SHARED"):
        assert f"{words}-WORDS" not in caplog.text
    assert session.session_id in caplog.text
