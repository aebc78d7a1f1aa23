"""Sessions closed before closing kept its times get them from the backfill, once, never backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.management import call_command

from portal.domain import AccountKind, SessionStatus
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.sessions import SessionRepository
from portal.services.session_history import session_history_backfill
from tests.accounts import make_account
from tests.factories import make_session
from tests.relationships import connect

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _closed_as_before(client_id: str, therapist_id: str, when: datetime) -> str:
    """A session closed by an earlier version: stored closed, with no previousSessionAt and no record write."""
    stored = SessionRepository().create(
        make_session(client_id=client_id, therapist_id=therapist_id, scheduled_for=when, status=SessionStatus.CLOSED)
    )
    return stored.session_id


def test_it_sets_each_closed_sessions_predecessor_and_the_records_last_session(dynamo) -> None:
    client, therapist = make_account(AccountKind.CLIENT), make_account(AccountKind.THERAPIST)
    connect(client, therapist)
    weeks = [MONDAY + timedelta(days=7 * n) for n in range(3)]
    ids = [_closed_as_before(client.account_id, therapist.account_id, when) for when in reversed(weeks)][::-1]
    SessionRepository().create(
        make_session(client_id=client.account_id, therapist_id=therapist.account_id, scheduled_for=weeks[-1] + timedelta(days=7))
    )  # still pending: not a session held

    result = session_history_backfill()

    sessions = SessionRepository()
    assert [sessions.get(i).previous_session_at for i in ids] == [None, weeks[0], weeks[1]]  # type: ignore[union-attr]
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.last_session_at == weeks[2]
    assert (result.pairs, result.previous_times_set, result.records_moved) == (1, 2, 1)
    # Run again: nothing left to do.
    assert session_history_backfill().previous_times_set == 0


def test_it_never_moves_a_record_back_nor_makes_one(dynamo) -> None:
    client, therapist = make_account(AccountKind.CLIENT), make_account(AccountKind.THERAPIST)
    connect(client, therapist)
    later = MONDAY + timedelta(days=30)
    RelationshipRepository().backfill_last_session(client.account_id, therapist.account_id, at=later)
    _closed_as_before(client.account_id, therapist.account_id, MONDAY)
    # A pair without a record (never active in this version): no record appears for it.
    stranger_client, stranger_therapist = "01STRANGERCLIENT000000000", "01STRANGERTHERAPIST000000"
    _closed_as_before(stranger_client, stranger_therapist, MONDAY)

    session_history_backfill()

    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.last_session_at == later
    assert RelationshipRepository().get(stranger_client, stranger_therapist) is None


def test_it_runs_as_a_management_command(dynamo, capsys) -> None:
    client, therapist = make_account(AccountKind.CLIENT), make_account(AccountKind.THERAPIST)
    connect(client, therapist)
    _closed_as_before(client.account_id, therapist.account_id, MONDAY)

    call_command("backfill_session_history")

    assert "1 pairs with closed sessions: 0 previous-session times set, 1 relationship records moved" in capsys.readouterr().out
