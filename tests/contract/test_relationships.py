"""The care relationship's storage: conditional mapping changes, the sparse pending index,
and the relationship record that outlives the mapping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.domain import Conflict, Mapping, MappingStatus, Side
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.ids import new_id
from portal.timeutil import utcnow


def _pending(client_id: str, therapist_id: str, by: Side = Side.CLIENT, minutes_ago: int = 0) -> Mapping:
    return MappingRepository().create_pending(
        client_id,
        therapist_id,
        requested_by=by,
        client_name="Casey Client",
        therapist_name="Dr Tara",
        at=utcnow() - timedelta(minutes=minutes_ago),
    )


def test_it_stores_one_request_per_pair_with_who_asked_when_and_both_names(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = new_id(), new_id()
    first = _pending(client_id, therapist_id)

    with pytest.raises(Conflict):
        _pending(client_id, therapist_id, by=Side.THERAPIST)

    stored = MappingRepository().get(client_id, therapist_id)
    assert stored == first
    assert stored is not None
    assert (stored.status, stored.requested_by, stored.client_name, stored.therapist_name) == (
        MappingStatus.PENDING,
        Side.CLIENT,
        "Casey Client",
        "Dr Tara",
    )
    assert dynamo.client.scan(TableName=dynamo.table_name(schema.MAPPINGS))["Count"] == 1


def test_it_lists_only_pending_items_in_the_sparse_index_oldest_first(dynamo: DynamoGateway) -> None:
    repo = MappingRepository()
    therapist_id = new_id()
    older, newer, accepted = new_id(), new_id(), new_id()
    _pending(older, therapist_id, minutes_ago=30)
    _pending(newer, therapist_id, by=Side.THERAPIST, minutes_ago=10)
    repo.accept(_pending(accepted, therapist_id, minutes_ago=20), at=utcnow())
    repo.put(new_id(), therapist_id, MappingStatus.ACTIVE)
    _pending(new_id(), new_id())  # another therapist's

    with count_dynamodb_calls() as calls:
        pending = repo.list_pending_for_therapist(therapist_id)
    assert calls.by_operation() == {"Query": 1}
    assert [(m.client_id, m.requested_by) for m in pending.items] == [(older, Side.CLIENT), (newer, Side.THERAPIST)]
    # Nothing else is in the index: accepting took the item out of it.
    index_items = dynamo.client.scan(
        TableName=dynamo.table_name(schema.MAPPINGS), IndexName="GSI_Mapping_PendingByTherapist"
    )["Items"]
    assert len(index_items) == 3


def test_it_accepts_only_the_request_the_caller_saw_and_opens_the_record(dynamo: DynamoGateway) -> None:
    repo = MappingRepository()
    client_id, therapist_id = new_id(), new_id()
    asked = _pending(client_id, therapist_id)
    now = utcnow()

    accepted = repo.accept(asked, at=now)

    assert repo.get(client_id, therapist_id) == accepted
    assert accepted.status is MappingStatus.ACTIVE
    record = RelationshipRepository().get(client_id, therapist_id)
    assert record is not None
    assert (record.client_name, record.therapist_name, record.active_since, record.last_activity_at) == (
        "Casey Client",
        "Dr Tara",
        now,
        now,
    )
    assert record.ended_at is None
    # Accepting again (a stale page) changes nothing and says so.
    with pytest.raises(Conflict):
        repo.accept(asked, at=utcnow())
    # An invitation seen as a client's request is not accepted either.
    other = _pending(new_id(), therapist_id, by=Side.THERAPIST)
    with pytest.raises(Conflict):
        repo.accept(Mapping(other.client_id, therapist_id, MappingStatus.PENDING, requested_by=Side.CLIENT), at=now)


def test_it_deletes_a_pending_or_blocked_item_only_in_the_state_the_caller_saw(dynamo: DynamoGateway) -> None:
    repo = MappingRepository()
    client_id, therapist_id = new_id(), new_id()
    _pending(client_id, therapist_id)

    with pytest.raises(Conflict):
        repo.delete_if(client_id, therapist_id, status=MappingStatus.PENDING, requested_by=Side.THERAPIST)
    with pytest.raises(Conflict):
        repo.delete_if(client_id, therapist_id, status=MappingStatus.BLOCKED)
    assert repo.get(client_id, therapist_id) is not None

    repo.delete_if(client_id, therapist_id, status=MappingStatus.PENDING, requested_by=Side.CLIENT)
    assert repo.get(client_id, therapist_id) is None
    with pytest.raises(Conflict):
        repo.delete_if(client_id, therapist_id, status=MappingStatus.PENDING)


def test_it_ends_by_deleting_the_mapping_while_the_record_and_its_history_stay(dynamo: DynamoGateway) -> None:
    repo, records = MappingRepository(), RelationshipRepository()
    client_id, therapist_id = new_id(), new_id()
    repo.accept(_pending(client_id, therapist_id), at=utcnow())
    sent = utcnow()
    records.note_message(client_id, therapist_id, at=sent)
    records.mark_read(client_id, therapist_id, side=Side.CLIENT, at=sent)

    ended_at = utcnow()
    repo.end(client_id, therapist_id, by=Side.CLIENT, at=ended_at)

    assert repo.get(client_id, therapist_id) is None
    record = records.get(client_id, therapist_id)
    assert record is not None
    assert (record.ended_at, record.ended_by) == (ended_at, Side.CLIENT)
    assert (record.last_message_at, record.client_read_at) == (sent, sent)
    assert record.therapist_name == "Dr Tara"
    # Ending what is not active is refused and leaves the record alone.
    with pytest.raises(Conflict):
        repo.end(client_id, therapist_id, by=Side.THERAPIST, at=utcnow())
    assert records.get(client_id, therapist_id) == record


def test_it_blocks_from_pending_or_from_active_which_ends_the_relationship(dynamo: DynamoGateway) -> None:
    repo, records = MappingRepository(), RelationshipRepository()
    therapist_id, asked, working = new_id(), new_id(), new_id()
    repo.block(_pending(asked, therapist_id), at=utcnow())
    active = repo.accept(_pending(working, therapist_id), at=utcnow())
    repo.block(active, at=utcnow())

    for client_id in (asked, working):
        stored = repo.get(client_id, therapist_id)
        assert stored is not None and stored.status is MappingStatus.BLOCKED
    assert repo.list_pending_for_therapist(therapist_id).items == []
    ended = records.get(working, therapist_id)
    assert ended is not None and ended.ended_by is Side.THERAPIST
    # Blocking from a state that moved on meanwhile is refused.
    with pytest.raises(Conflict):
        repo.block(active, at=utcnow())


def test_it_fills_a_page_of_clients_past_pending_items_in_one_query(dynamo: DynamoGateway) -> None:
    repo = MappingRepository()
    therapist_id = new_id()
    clients = sorted(new_id() for _ in range(9))
    for n, client_id in enumerate(clients):
        if n % 3 == 0:
            repo.put(client_id, therapist_id, MappingStatus.ACTIVE)
        else:
            _pending(client_id, therapist_id)

    with count_dynamodb_calls() as calls:
        first = repo.list_for_therapist(therapist_id, limit=2, without_pending=True)
    assert [m.client_id for m in first.items] == [clients[0], clients[3]]
    assert calls.by_operation() == {"Query": 1}
    second = repo.list_for_therapist(therapist_id, limit=2, cursor=first.next_cursor, without_pending=True)
    assert [m.client_id for m in second.items] == [clients[6]]
    assert second.next_cursor is None


def test_it_lists_a_therapists_records_newest_activity_first_and_only_pairs_that_were_active(
    dynamo: DynamoGateway,
) -> None:
    repo, records = MappingRepository(), RelationshipRepository()
    therapist_id = new_id()
    quiet, busy, asked_only = new_id(), new_id(), new_id()
    start = utcnow() - timedelta(hours=2)
    repo.accept(_pending(quiet, therapist_id), at=start)
    repo.accept(_pending(busy, therapist_id), at=start + timedelta(minutes=1))
    records.note_message(quiet, therapist_id, at=start + timedelta(minutes=30))
    records.note_message(busy, therapist_id, at=start + timedelta(minutes=10))
    # A request that never became active leaves a record (its notice) outside the index.
    _pending(asked_only, therapist_id)
    assert records.claim_notice(asked_only, therapist_id, at=utcnow(), min_interval=timedelta(minutes=15))

    with count_dynamodb_calls() as calls:
        page = records.list_for_therapist(therapist_id)
    assert calls.by_operation() == {"Query": 1}
    assert [r.client_id for r in page.items] == [quiet, busy]

    first = records.list_for_therapist(therapist_id, limit=1)
    second = records.list_for_therapist(therapist_id, limit=1, cursor=first.next_cursor)
    assert [r.client_id for r in first.items + second.items] == [quiet, busy]

    of_client = records.list_for_client(asked_only).items
    assert [(r.therapist_id, r.was_active) for r in of_client] == [(therapist_id, False)]
    both = records.get_many([(quiet, therapist_id), (busy, therapist_id), (new_id(), therapist_id)])
    assert set(both) == {(quiet, therapist_id), (busy, therapist_id)}


def test_it_grants_one_notice_per_interval_and_markers_never_move_back(dynamo: DynamoGateway) -> None:
    records = RelationshipRepository()
    client_id, therapist_id = new_id(), new_id()
    now = utcnow()
    interval = timedelta(minutes=15)

    assert records.claim_notice(client_id, therapist_id, at=now, min_interval=interval, client_name="C")
    assert not records.claim_notice(client_id, therapist_id, at=now + timedelta(minutes=14), min_interval=interval)
    assert records.claim_notice(client_id, therapist_id, at=now + timedelta(minutes=16), min_interval=interval)
    stored = records.get(client_id, therapist_id)
    assert stored is not None and stored.last_notice_at == now + timedelta(minutes=16)
    assert stored.client_name == "C"

    assert records.mark_read(client_id, therapist_id, side=Side.THERAPIST, at=now)
    assert not records.mark_read(client_id, therapist_id, side=Side.THERAPIST, at=now - timedelta(seconds=1))
    assert records.note_therapist_visit(client_id, therapist_id, at=now, last_visit=None)
    assert records.note_session(client_id, therapist_id, at=now)
    stored = records.get(client_id, therapist_id)
    assert stored is not None
    assert (stored.therapist_read_at, stored.therapist_last_visit_at, stored.last_session_at) == (now, now, now)
    assert stored.client_read_at is None


def test_it_moves_the_therapists_visit_forward_once_per_visit(dynamo: DynamoGateway) -> None:
    records = RelationshipRepository()
    client_id, therapist_id = new_id(), new_id()
    first = utcnow()
    second = first + timedelta(hours=2)

    # No record, no write: a visit never creates a relationship record.
    assert not records.note_therapist_visit(client_id, therapist_id, at=first, last_visit=None)
    assert records.get(client_id, therapist_id) is None

    assert records.claim_notice(client_id, therapist_id, at=first, min_interval=timedelta(minutes=1))
    assert records.note_therapist_visit(client_id, therapist_id, at=first, last_visit=None)
    # A second tab that read the record before the first visit was written: refused.
    assert not records.note_therapist_visit(client_id, therapist_id, at=first, last_visit=None)
    assert records.note_therapist_visit(client_id, therapist_id, at=second, last_visit=first)
    # Never backwards, and never from a stale reading.
    assert not records.note_therapist_visit(client_id, therapist_id, at=first, last_visit=second)
    assert not records.note_therapist_visit(client_id, therapist_id, at=second + timedelta(hours=1), last_visit=first)
    stored = records.get(client_id, therapist_id)
    assert stored is not None
    assert (stored.therapist_previous_visit_at, stored.therapist_last_visit_at) == (first, second)


def test_it_reads_a_mapping_and_its_record_in_one_consistent_call(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = new_id(), new_id()
    mappings = MappingRepository()
    assert mappings.get_with_relationship(client_id, therapist_id) == (None, None)

    accepted = mappings.accept(_pending(client_id, therapist_id), at=utcnow())
    RelationshipRepository().note_session(client_id, therapist_id, at=utcnow() - timedelta(days=2))
    with count_dynamodb_calls() as calls:
        mapping, record = mappings.get_with_relationship(client_id, therapist_id)

    assert calls.by_operation() == {"BatchGetItem": 1}
    assert mapping == accepted
    assert record == RelationshipRepository().get(client_id, therapist_id)
    assert record is not None and record.last_session_at is not None


def test_the_therapists_index_copy_stays_as_it_was_when_the_client_reads_or_is_emailed(
    dynamo: DynamoGateway,
) -> None:
    # Every change of an index's copy is a billed index write: the client's read
    # marker, the notice claims and the visits are not copied, what the list shows is.
    from bench.cost import projected
    from portal.domain import Sender
    from portal.dynamo.messages import MessageRepository
    from portal.dynamo.relationships import BY_THERAPIST
    from portal.timeutil import to_iso

    client_id, therapist_id = new_id(), new_id()
    MappingRepository().accept(_pending(client_id, therapist_id), at=utcnow())
    records = RelationshipRepository()
    sent = MessageRepository().send_in_relationship(
        client_id=client_id, therapist_id=therapist_id, sender=Sender.THERAPIST, content="hi", idempotency_key=new_id()
    )
    index = schema.RELATIONSHIPS.index(BY_THERAPIST)

    def copy() -> dict[str, object] | None:
        item = dynamo.get(schema.RELATIONSHIPS, {"clientId": client_id, "therapistId": therapist_id}, consistent=True)
        return projected(schema.RELATIONSHIPS, index, item)

    before = copy()
    record = records.get(client_id, therapist_id)
    assert record is not None and record.client_notice_due_at is not None
    later = record.client_notice_due_at + timedelta(seconds=1)
    assert records.claim_message_notice(record, Side.CLIENT, at=later, min_interval=timedelta(minutes=15))
    assert records.note_therapist_visit(client_id, therapist_id, at=later, last_visit=None)
    assert records.mark_thread_read(
        client_id, therapist_id, side=Side.CLIENT, at=later, newest_seen=to_iso(sent.created_at)
    )

    assert copy() == before
    # The list still shows what it needs, from the copy alone.
    (listed,) = records.list_for_therapist(therapist_id).items
    assert (listed.client_name, listed.last_message_at, listed.is_active) == ("Casey Client", sent.created_at, True)
