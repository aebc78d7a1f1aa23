"""SessionRepository: create, get, update with optimistic locking, list by therapist
(GSI_Session_ByTherapist, in scheduledFor order), by client, and all (a paged Scan)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from portal.domain import Conflict, NotFound, SessionStatus
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from tests.factories import make_session

MONDAY = datetime(2025, 6, 2, 14, 0, tzinfo=UTC)


def _raw_item(dynamo: DynamoGateway, session_id: str) -> dict[str, object]:
    response = dynamo.client.get_item(
        TableName=dynamo.table_name(schema.SESSIONS),
        Key={"sessionId": {"S": session_id}},
        ConsistentRead=True,
    )
    return response["Item"]


def test_it_creates_and_gets_a_session_and_never_overwrites_one(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    session = make_session(private_notes="Seems tired.", shared_notes="Try the breathing exercise.")

    repo.create(session)

    assert repo.get(session.session_id) == session
    raw = _raw_item(dynamo, session.session_id)
    assert raw["clientId"] == {"S": session.client_id}
    assert raw["version"] == {"N": "1"}
    with pytest.raises(Conflict):
        repo.create(replace(session, title="Hijacked"))
    assert repo.get(session.session_id) == session
    assert repo.get(new_id()) is None


def test_it_updates_a_session_and_bumps_its_version(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    session = repo.create(make_session(private_notes="Draft."))

    approved = repo.update(
        replace(session, status=SessionStatus.APPROVED, title="Intake", private_notes=""),
        expected_version=1,
    )

    assert approved.version == 2
    assert (approved.status, approved.title, approved.private_notes) == (
        SessionStatus.APPROVED,
        "Intake",
        "",
    )
    assert approved.updated_at is not None
    assert repo.get(session.session_id) == approved
    assert "privateNotes" not in _raw_item(dynamo, session.session_id)
    opened = repo.update(replace(approved, status=SessionStatus.OPEN), expected_version=2)
    assert opened.version == 3


def test_it_refuses_a_stale_or_missing_update_and_leaves_the_session_unchanged(
    dynamo: DynamoGateway,
) -> None:
    repo = SessionRepository()
    session = repo.create(make_session())
    # Two people open version 1; the therapist saves first.
    theirs = repo.update(
        replace(session, shared_notes="Homework: journal daily."), expected_version=1
    )
    before = _raw_item(dynamo, session.session_id)

    with pytest.raises(Conflict):
        repo.update(replace(session, title="My stale edit"), expected_version=1)

    assert _raw_item(dynamo, session.session_id) == before
    assert repo.get(session.session_id) == theirs
    # A version from the future is as stale as one from the past.
    with pytest.raises(Conflict):
        repo.update(replace(session, title="Too new"), expected_version=5)
    assert _raw_item(dynamo, session.session_id) == before
    # A session that is gone is NotFound, not a Conflict, and is not recreated.
    ghost = make_session()
    with pytest.raises(NotFound):
        repo.update(ghost, expected_version=1)
    assert repo.get(ghost.session_id) is None


def test_it_lists_a_therapists_and_a_clients_sessions_in_scheduled_order(
    dynamo: DynamoGateway,
) -> None:
    repo = SessionRepository()
    therapist_id, client_id = new_id(), new_id()
    # Created out of order: the agenda order must come from scheduledFor, not from ids.
    offsets = [3, 0, 5, 1, 4, 2]
    sessions = {
        o: repo.create(
            make_session(
                therapist_id=therapist_id,
                client_id=client_id if o % 2 == 0 else new_id(),
                scheduled_for=MONDAY + timedelta(days=o),
            )
        )
        for o in offsets
    }
    repo.create(make_session(scheduled_for=MONDAY))  # another therapist's, another client's

    with count_dynamodb_calls() as calls:
        agenda = repo.list_by_therapist(therapist_id)
        of_client = repo.list_by_client(client_id)
    # Each list: the index (no clinical text in it), the page's sessions, their data keys.
    assert calls.by_operation() == {"Query": 2, "BatchGetItem": 4}

    assert [s.session_id for s in agenda.items] == [sessions[o].session_id for o in range(6)]
    assert [s.session_id for s in of_client.items] == [sessions[o].session_id for o in (0, 2, 4)]
    first_two = repo.list_by_therapist(therapist_id, limit=2)
    rest = repo.list_by_therapist(therapist_id, limit=10, cursor=first_two.next_cursor)
    assert [s.scheduled_for for s in first_two.items + rest.items] == [
        MONDAY + timedelta(days=o) for o in range(6)
    ]


@pytest.mark.parametrize(
    "path,illegal",
    [
        ([], SessionStatus.OPEN),  # pending cannot open before it is approved
        ([], SessionStatus.CLOSED),
        ([SessionStatus.REJECTED], SessionStatus.APPROVED),  # rejected is final
        ([SessionStatus.APPROVED, SessionStatus.OPEN, SessionStatus.CLOSED], SessionStatus.OPEN),
    ],
)
def test_it_refuses_an_illegal_status_move_and_keeps_the_session(
    dynamo: DynamoGateway, path: list[SessionStatus], illegal: SessionStatus
) -> None:
    from portal.domain import IllegalTransition

    repo = SessionRepository()
    session = repo.create(make_session())
    for status in path:
        session = repo.update(replace(session, status=status), expected_version=session.version)
    with pytest.raises(IllegalTransition):
        repo.update(replace(session, status=illegal), expected_version=session.version)
    assert repo.get(session.session_id) == session


def test_it_follows_the_whole_legal_path_and_allows_edits_without_a_move(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    session = repo.create(make_session())
    for status in (SessionStatus.APPROVED, SessionStatus.OPEN, SessionStatus.OPEN, SessionStatus.CLOSED):
        session = repo.update(
            replace(session, status=status, shared_notes=f"notes while {status}"), expected_version=session.version
        )
    stored = repo.get(session.session_id)
    assert stored is not None and stored.status is SessionStatus.CLOSED and stored.version == 5


# --- what the session workflow adds ----------------------------------------------------


def test_it_stores_one_session_per_idempotency_key(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    key = new_id()
    first = repo.create(make_session(), idempotency_key=key)
    again = repo.create(make_session(client_id=first.client_id), idempotency_key=key)
    assert again == first
    assert [s.session_id for s in repo.list_by_client(first.client_id).items] == [first.session_id]


def test_it_refuses_cancelling_a_closed_session_in_the_writes_condition(dynamo: DynamoGateway) -> None:
    from portal.domain import IllegalTransition

    repo = SessionRepository()
    session = repo.create(make_session(status=SessionStatus.CLOSED))
    before = _raw_item(dynamo, session.session_id)
    with pytest.raises(IllegalTransition):
        repo.update(replace(session, status=SessionStatus.CANCELLED), expected_version=1)
    assert _raw_item(dynamo, session.session_id) == before
    pending = repo.create(make_session())
    assert repo.update(replace(pending, status=SessionStatus.CANCELLED), expected_version=1).status is SessionStatus.CANCELLED


def test_it_lists_by_time_window_and_status_with_one_query(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    therapist_id = new_id()
    statuses = [SessionStatus.APPROVED, SessionStatus.PENDING, SessionStatus.APPROVED, SessionStatus.CANCELLED]
    made = [
        repo.create(make_session(therapist_id=therapist_id, scheduled_for=MONDAY + timedelta(hours=h), status=s))
        for h, s in enumerate(statuses)
    ]
    with count_dynamodb_calls() as calls:
        approved = repo.list_by_therapist(
            therapist_id, after=MONDAY + timedelta(minutes=30), statuses={SessionStatus.APPROVED}
        )
        earlier = repo.list_by_therapist(therapist_id, before=MONDAY + timedelta(hours=2), newest_first=True)
    # Two Queries (and a batched read of the keys of each page's clinical text).
    assert calls.count("Query") == 2 and calls.count("Scan") == 0
    assert [s.session_id for s in approved.items] == [made[2].session_id]
    assert [s.session_id for s in earlier.items] == [made[1].session_id, made[0].session_id]


def test_it_keeps_only_sessions_with_a_reminder_to_send_in_the_sparse_index(dynamo: DynamoGateway) -> None:
    from portal.dynamo.sessions import reminder_day

    repo = SessionRepository()
    start = MONDAY + timedelta(days=1)
    approved = repo.create(make_session(scheduled_for=start, status=SessionStatus.APPROVED))
    repo.create(make_session(scheduled_for=start, status=SessionStatus.PENDING))
    day = reminder_day(MONDAY)
    assert [s.session_id for s in repo.reminders_due(day, now=MONDAY + timedelta(hours=1))] == [approved.session_id]
    assert repo.reminders_due(day, now=MONDAY - timedelta(minutes=1)) == []

    assert repo.mark_reminded(approved, "client") is True
    assert repo.mark_reminded(approved, "client") is False  # once
    still = repo.reminders_due(day, now=MONDAY + timedelta(hours=1))
    assert [s.client_reminded_at is not None for s in still] == [True]
    assert repo.mark_reminded(approved, "therapist") is True
    assert repo.reminders_due(day, now=MONDAY + timedelta(hours=1)) == []
    # An edit made from a copy read before the reminders keeps them sent.
    repo.update(replace(approved, shared_notes="x"), expected_version=1)
    stored = repo.get(approved.session_id)
    assert stored.client_reminded_at and stored.therapist_reminded_at
    assert repo.reminders_due(day, now=MONDAY + timedelta(hours=1)) == []


def test_it_never_marks_a_reminder_for_a_session_that_moved_or_was_cancelled(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    read = repo.create(make_session(scheduled_for=MONDAY, status=SessionStatus.APPROVED))
    repo.update(replace(read, status=SessionStatus.CANCELLED), expected_version=1)
    assert repo.mark_reminded(read, "client") is False
    assert repo.get(read.session_id).client_reminded_at is None


def _open_record(dynamo: DynamoGateway, client_id: str, therapist_id: str) -> None:
    from portal.dynamo.relationships import activation_op

    dynamo.transact_write([activation_op(client_id, therapist_id, at=MONDAY, client_name="C", therapist_name="T")])


def test_it_closes_a_session_and_moves_the_records_last_session_time_together(dynamo: DynamoGateway) -> None:
    repo, records = SessionRepository(), RelationshipRepository()
    earlier = repo.create(make_session(status=SessionStatus.OPEN, scheduled_for=MONDAY))
    _open_record(dynamo, earlier.client_id, earlier.therapist_id)
    later = repo.create(
        make_session(
            status=SessionStatus.OPEN,
            client_id=earlier.client_id,
            therapist_id=earlier.therapist_id,
            scheduled_for=MONDAY + timedelta(days=7),
        )
    )

    with count_dynamodb_calls() as calls:
        closed = repo.close(
            replace(later, status=SessionStatus.CLOSED, previous_session_at=MONDAY - timedelta(days=7)),
            expected_version=later.version,
        )
    # One TransactWriteItems (and the client's data key for the title): both land together.
    assert calls.count("TransactWriteItems") == 1 and calls.count("UpdateItem") == 0
    assert repo.get(later.session_id) == closed
    assert closed.previous_session_at == MONDAY - timedelta(days=7)
    record = records.get(later.client_id, later.therapist_id)
    assert record is not None and record.last_session_at == later.scheduled_for

    # The earlier session closed late: closed, but the record's time does not move back.
    repo.close(replace(earlier, status=SessionStatus.CLOSED), expected_version=earlier.version)
    assert repo.get(earlier.session_id).status is SessionStatus.CLOSED  # type: ignore[union-attr]
    record = records.get(later.client_id, later.therapist_id)
    assert record is not None and record.last_session_at == later.scheduled_for


def test_it_closes_a_session_of_a_pair_without_a_record_and_makes_no_record(dynamo: DynamoGateway) -> None:
    # Data older than the relationship records: a record made by the close would list as a nameless conversation.
    repo = SessionRepository()
    session = repo.create(make_session(status=SessionStatus.OPEN, scheduled_for=MONDAY))

    repo.close(replace(session, status=SessionStatus.CLOSED), expected_version=session.version)

    assert repo.get(session.session_id).status is SessionStatus.CLOSED  # type: ignore[union-attr]
    assert RelationshipRepository().get(session.client_id, session.therapist_id) is None


def test_it_refuses_a_stale_close_and_leaves_the_record_alone(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    session = repo.create(make_session(status=SessionStatus.OPEN, scheduled_for=MONDAY))
    repo.update(replace(session, shared_notes="Newer"), expected_version=session.version)

    with pytest.raises(Conflict):
        repo.close(replace(session, status=SessionStatus.CLOSED), expected_version=session.version)

    assert repo.get(session.session_id).status is SessionStatus.OPEN  # type: ignore[union-attr]
    assert RelationshipRepository().get(session.client_id, session.therapist_id) is None


def test_it_backfills_history_once_forward_only_and_never_makes_a_record(dynamo: DynamoGateway) -> None:
    from portal.dynamo.relationships import activation_op

    repo, records = SessionRepository(), RelationshipRepository()
    closed = repo.create(make_session(status=SessionStatus.CLOSED, scheduled_for=MONDAY))
    pending = repo.create(make_session(scheduled_for=MONDAY))

    assert repo.set_previous_session_at(closed.session_id, MONDAY - timedelta(days=7)) is True
    assert repo.set_previous_session_at(closed.session_id, MONDAY - timedelta(days=1)) is False  # once
    assert repo.set_previous_session_at(pending.session_id, MONDAY - timedelta(days=7)) is False  # closed only
    assert repo.get(closed.session_id).previous_session_at == MONDAY - timedelta(days=7)  # type: ignore[union-attr]
    assert repo.get(closed.session_id).version == closed.version  # type: ignore[union-attr]

    assert records.backfill_last_session(closed.client_id, closed.therapist_id, at=MONDAY) is False
    assert records.get(closed.client_id, closed.therapist_id) is None
    dynamo.transact_write(
        [activation_op(closed.client_id, closed.therapist_id, at=MONDAY, client_name="C", therapist_name="T")]
    )
    assert records.backfill_last_session(closed.client_id, closed.therapist_id, at=MONDAY) is True
    assert records.backfill_last_session(closed.client_id, closed.therapist_id, at=MONDAY - timedelta(days=1)) is False
    record = records.get(closed.client_id, closed.therapist_id)
    assert record is not None and record.last_session_at == MONDAY
