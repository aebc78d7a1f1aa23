"""The sparse notice indexes of the relationship record: set by a send, cleared by reading,
claimed once, released, deferred, dropped, and emptied by the end of the relationship."""

from __future__ import annotations

from datetime import timedelta

from portal.domain import MESSAGE_NOTICE_DELAY, MESSAGE_NOTICE_INTERVAL, Message, Relationship, Sender, Side
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.messages import MessageRepository
from portal.dynamo.relationships import RelationshipRepository, notice_day
from portal.dynamo.schema import RELATIONSHIPS
from portal.ids import new_id
from portal.timeutil import to_iso, utcnow


def _activate() -> tuple[str, str]:
    client_id, therapist_id = new_id(), new_id()
    mappings = MappingRepository()
    pending = mappings.create_pending(
        client_id, therapist_id, requested_by=Side.CLIENT, client_name="C", therapist_name="T", at=utcnow()
    )
    mappings.accept(pending, at=utcnow())
    return client_id, therapist_id


def _send(client_id: str, therapist_id: str, sender: Sender) -> Message:
    return MessageRepository().send_in_relationship(
        client_id=client_id, therapist_id=therapist_id, sender=sender, content="words", idempotency_key=new_id()
    )


def _record(client_id: str, therapist_id: str) -> Relationship:
    record = RelationshipRepository().get(client_id, therapist_id)
    assert record is not None
    return record


def _due(side: Side, since: Message, at: timedelta = MESSAGE_NOTICE_DELAY + timedelta(minutes=1)) -> list[tuple[str, str]]:
    """What the index lists as due for ``side`` ``at`` after the message ``since`` was sent.

    Times count from the message (ids, and so message times, never go backwards
    even when an earlier test travelled in time), not from the clock.
    """
    now = since.created_at + at
    found = RelationshipRepository().notices_due(side, notice_day(now), now=now)
    return [(r.client_id, r.therapist_id) for r in found]


def test_a_send_makes_the_receivers_notice_due_once_from_the_oldest_unread_message(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = _activate()
    first = _send(client_id, therapist_id, Sender.CLIENT)
    second = _send(client_id, therapist_id, Sender.CLIENT)

    record = _record(client_id, therapist_id)
    assert record.therapist_notice_due_at == first.created_at + MESSAGE_NOTICE_DELAY
    assert record.client_notice_due_at is None
    assert _due(Side.THERAPIST, second) == [(client_id, therapist_id)]
    assert _due(Side.CLIENT, second) == []
    # Not before its time.
    assert _due(Side.THERAPIST, first, at=MESSAGE_NOTICE_DELAY - timedelta(seconds=30)) == []


def test_both_sides_can_have_a_notice_due_at_once(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = _activate()
    _send(client_id, therapist_id, Sender.CLIENT)
    last = _send(client_id, therapist_id, Sender.THERAPIST)
    assert _due(Side.THERAPIST, last) == [(client_id, therapist_id)]
    assert _due(Side.CLIENT, last) == [(client_id, therapist_id)]


def test_reading_the_thread_takes_the_readers_notice_out_of_the_index(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = _activate()
    to_therapist = _send(client_id, therapist_id, Sender.CLIENT)
    last = _send(client_id, therapist_id, Sender.THERAPIST)
    newest = _record(client_id, therapist_id).last_message_at
    assert newest is not None
    assert RelationshipRepository().mark_thread_read(
        client_id, therapist_id, side=Side.THERAPIST, at=to_therapist.created_at, newest_seen=to_iso(newest)
    )
    assert _due(Side.THERAPIST, last) == []
    assert _due(Side.CLIENT, last) == [(client_id, therapist_id)]
    assert _record(client_id, therapist_id).therapist_notice_due_at is None


def test_a_notice_is_claimed_once_and_leaves_the_index(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = _activate()
    sent = _send(client_id, therapist_id, Sender.CLIENT)
    records = RelationshipRepository()
    record = _record(client_id, therapist_id)
    now = sent.created_at + timedelta(minutes=6)

    # Not yet due: refused.
    assert not records.claim_message_notice(
        record, Side.THERAPIST, at=sent.created_at, min_interval=MESSAGE_NOTICE_INTERVAL
    )
    with count_dynamodb_calls() as calls:
        assert records.claim_message_notice(record, Side.THERAPIST, at=now, min_interval=MESSAGE_NOTICE_INTERVAL)
    assert calls.total == 1
    assert not records.claim_message_notice(record, Side.THERAPIST, at=now, min_interval=MESSAGE_NOTICE_INTERVAL)

    stored = _record(client_id, therapist_id)
    assert stored.therapist_noticed_at == now and stored.therapist_notice_due_at is None
    assert _due(Side.THERAPIST, sent) == []
    # A message after the notice is due again, but its claim waits for the interval.
    _send(client_id, therapist_id, Sender.CLIENT)
    later = _record(client_id, therapist_id)
    assert not records.claim_message_notice(
        later, Side.THERAPIST, at=now + timedelta(minutes=10), min_interval=MESSAGE_NOTICE_INTERVAL
    )
    assert records.claim_message_notice(
        later, Side.THERAPIST, at=now + timedelta(minutes=16), min_interval=MESSAGE_NOTICE_INTERVAL
    )


def test_a_released_claim_is_due_again_unless_it_was_read_meanwhile(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = _activate()
    sent = _send(client_id, therapist_id, Sender.CLIENT)
    records = RelationshipRepository()
    record = _record(client_id, therapist_id)
    now = sent.created_at + timedelta(minutes=6)
    assert records.claim_message_notice(record, Side.THERAPIST, at=now, min_interval=MESSAGE_NOTICE_INTERVAL)

    records.release_message_notice(record, Side.THERAPIST, claimed_at=now)
    stored = _record(client_id, therapist_id)
    assert stored.therapist_noticed_at is None
    assert stored.therapist_notice_due_at == sent.created_at + MESSAGE_NOTICE_DELAY
    assert _due(Side.THERAPIST, sent) == [(client_id, therapist_id)]

    # Claimed again, then read before the release: it stays out of the index.
    assert records.claim_message_notice(record, Side.THERAPIST, at=now, min_interval=MESSAGE_NOTICE_INTERVAL)
    assert records.mark_thread_read(
        client_id, therapist_id, side=Side.THERAPIST, at=sent.created_at, newest_seen=to_iso(sent.created_at)
    )
    records.release_message_notice(record, Side.THERAPIST, claimed_at=now)
    stored = _record(client_id, therapist_id)
    assert stored.therapist_notice_due_at is None and stored.therapist_noticed_at is None
    assert _due(Side.THERAPIST, sent) == []


def test_a_deferred_notice_moves_to_its_new_time_and_partition(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = _activate()
    sent = _send(client_id, therapist_id, Sender.CLIENT)
    records = RelationshipRepository()
    record = _record(client_id, therapist_id)
    until = sent.created_at + timedelta(days=1, minutes=20)

    assert records.defer_message_notice(record, Side.THERAPIST, until=until)
    # A second defer from the same (now stale) reading changes nothing.
    assert not records.defer_message_notice(record, Side.THERAPIST, until=until + timedelta(hours=1))
    assert _due(Side.THERAPIST, sent) == []
    assert records.notices_due(Side.THERAPIST, notice_day(until), now=until)[0].therapist_notice_due_at == until


def test_a_dropped_notice_and_an_ended_relationship_leave_the_index(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = _activate()
    sent = _send(client_id, therapist_id, Sender.CLIENT)
    records = RelationshipRepository()
    assert records.drop_message_notice(_record(client_id, therapist_id), Side.THERAPIST)
    assert _due(Side.THERAPIST, sent) == []

    _send(client_id, therapist_id, Sender.CLIENT)
    last = _send(client_id, therapist_id, Sender.THERAPIST)
    MappingRepository().end(client_id, therapist_id, by=Side.CLIENT, at=utcnow())
    assert _due(Side.THERAPIST, last) == [] and _due(Side.CLIENT, last) == []
    stored = _record(client_id, therapist_id)
    assert stored.ended_at is not None and stored.therapist_unread == 2


def test_a_send_moves_a_stranded_notice_into_its_own_day_and_keeps_the_oldest_due_time(
    dynamo: DynamoGateway,
) -> None:
    client_id, therapist_id = _activate()
    first = _send(client_id, therapist_id, Sender.CLIENT)
    # A scheduler outage: the pending notice sits in a partition three days old that no run reads.
    stale = first.created_at - timedelta(days=3)
    dynamo.update(
        RELATIONSHIPS,
        {"clientId": client_id, "therapistId": therapist_id},
        set_values={"therapistNoticeDay": notice_day(stale), "therapistNoticeDueAt": to_iso(stale)},
    )
    assert _due(Side.THERAPIST, first) == []

    second = _send(client_id, therapist_id, Sender.CLIENT)
    # Found in the new message's day, due at once (its oldest unread message waited long enough).
    assert _due(Side.THERAPIST, second, at=timedelta(0)) == [(client_id, therapist_id)]
    assert _record(client_id, therapist_id).therapist_notice_due_at == stale


def test_ending_for_an_erasure_drops_both_notices_keeps_an_earlier_end_and_creates_nothing(
    dynamo: DynamoGateway,
) -> None:
    client_id, therapist_id = _activate()
    _send(client_id, therapist_id, Sender.CLIENT)
    last = _send(client_id, therapist_id, Sender.THERAPIST)
    records = RelationshipRepository()
    at = utcnow()

    records.end_for_erasure(client_id, therapist_id, at=at)
    stored = _record(client_id, therapist_id)
    assert stored.ended_at == at and stored.ended_by is Side.CLIENT
    assert stored.client_notice_due_at is None and stored.therapist_notice_due_at is None
    assert _due(Side.THERAPIST, last) == [] and _due(Side.CLIENT, last) == []
    assert stored.therapist_unread == 1  # the history stays

    # Again (a resumed erasure): the first end stands.
    records.end_for_erasure(client_id, therapist_id, at=at + timedelta(minutes=5))
    assert _record(client_id, therapist_id).ended_at == at

    # A pair ended earlier keeps its end; a pair without a record gets none.
    other_client, other_therapist = _activate()
    MappingRepository().end(other_client, other_therapist, by=Side.THERAPIST, at=at - timedelta(days=1))
    records.end_for_erasure(other_client, other_therapist, at=at)
    ended = _record(other_client, other_therapist)
    assert ended.ended_at == at - timedelta(days=1) and ended.ended_by is Side.THERAPIST
    never_paired = (new_id(), new_id())
    records.end_for_erasure(*never_paired, at=at)
    assert records.get(*never_paired) is None
