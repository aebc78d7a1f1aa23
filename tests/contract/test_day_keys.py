"""Sharded day keys: one day's audit events, notices and reminders spread over DAY_SHARDS partitions,
read back whole at a fixed cost; a reminder that can no longer be sent leaves its index at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from portal.domain import AccountKind, AuditEvent
from portal.dynamo.audit import AuditRepository
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.connection import get_gateway
from portal.dynamo.day_keys import day_partitions
from portal.dynamo.gateway import DynamoGateway, serialize_item
from portal.dynamo.schema import AUDIT_LOG, CLIENTS, DAY_SHARDS, SESSIONS
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.services.session_reminders import session_reminders_send_due
from portal.timeutil import to_iso, utcnow
from tests.sessions_data import booked, care_pair

DAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _events(repo: AuditRepository, count: int) -> list[AuditEvent]:
    made = []
    for number in range(count):
        with mock.patch("portal.dynamo.audit.utcnow", return_value=DAY + timedelta(seconds=number)):
            made.append(
                repo.record(subject_id=new_id(), action="login", actor_kind=AccountKind.CLIENT, actor_id=new_id())
            )
    return made


def _raw(table, key):  # type: ignore[no-untyped-def]
    gateway = get_gateway()
    return gateway.client.get_item(
        TableName=gateway.table_name(table), Key=serialize_item(key), ConsistentRead=True
    ).get("Item")


def test_one_days_audit_events_spread_over_the_shards(dynamo: DynamoGateway) -> None:
    _events(AuditRepository(), 40)
    gateway = get_gateway()
    days = {item["day"]["S"] for item in gateway.client.scan(TableName=gateway.table_name(AUDIT_LOG))["Items"]}
    assert all(day.startswith("2026-03-02#") for day in days)
    assert {int(day.split("#")[1]) for day in days} <= set(range(DAY_SHARDS))
    # 40 events over 8 shards: a single shard would be a one-in-8^39 chance.
    assert len(days) >= 4


def test_it_pages_one_days_events_across_shards_newest_first_at_a_fixed_cost(dynamo: DynamoGateway) -> None:
    repo = AuditRepository()
    made = _events(repo, 23)
    seen: list[AuditEvent] = []
    cursor: str | None = None
    pages = 0
    while True:
        with count_dynamodb_calls() as calls:
            page = repo.list_by_day(DAY.date(), limit=5, cursor=cursor)
        # Never more than one Query per partition of the day, however the events fall.
        assert calls.count("Query") <= len(day_partitions("2026-03-02")) and calls.total == calls.count("Query")
        seen += page.items
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == made[::-1]
    # 23 events at 5 a page: five pages, the last one not empty.
    assert pages == 5 and page.items


def test_it_still_lists_events_written_before_the_day_was_sharded(dynamo: DynamoGateway) -> None:
    repo = AuditRepository()
    (new,) = _events(repo, 1)
    gateway = get_gateway()
    when = DAY - timedelta(minutes=1)
    occurred = f"{to_iso(when)}#{new_id()}"
    gateway.client.put_item(
        TableName=gateway.table_name(AUDIT_LOG),
        Item=serialize_item(
            {
                "subjectId": new_id(),
                "categoryAt": f"other#{occurred}",
                "occurredAt": occurred,
                "day": "2026-03-02",
                "category": "other",
                "action": "login",
                "actorKind": "client",
                "actorId": "C1",
                "actorKey": "client:C1",
            }
        ),
    )
    listed = repo.list_by_day(DAY.date(), limit=10).items
    assert [event.event_id for event in listed][0] == new.event_id
    assert len(listed) == 2


@pytest.fixture
def pair(dynamo, settings):  # type: ignore[no-untyped-def]
    settings.PORTAL_BASE_URL = "https://portal.example"
    return care_pair()


def test_a_reminder_key_is_a_sharded_day(pair) -> None:  # type: ignore[no-untyped-def]
    session = booked(pair, when=utcnow() + timedelta(days=3))
    item = _raw(SESSIONS, {"sessionId": session.session_id})
    day, shard = item["reminderDay"]["S"].split("#")
    assert day == to_iso(session.scheduled_for - timedelta(days=1))[:10] and 0 <= int(shard) < DAY_SHARDS


def test_a_session_that_has_begun_leaves_the_reminders_index_at_once(pair) -> None:  # type: ignore[no-untyped-def]
    session = booked(pair, when=utcnow() + timedelta(hours=2))
    # The scheduler was down: its next run comes after the session began.
    assert session_reminders_send_due(now=utcnow() + timedelta(hours=3)) == 0
    item = _raw(SESSIONS, {"sessionId": session.session_id})
    assert "reminderDay" not in item and "remindAt" not in item
    assert SessionRepository().get(session.session_id).client_reminded_at is None


def test_a_reminder_nobody_can_receive_leaves_the_index_once_the_rest_is_sent(pair) -> None:  # type: ignore[no-untyped-def]
    session = booked(pair, when=utcnow() + timedelta(hours=20))
    gateway = get_gateway()
    gateway.client.delete_item(
        TableName=gateway.table_name(CLIENTS), Key=serialize_item({"clientId": pair.client.account_id})
    )
    assert session_reminders_send_due() == 1  # the therapist's
    item = _raw(SESSIONS, {"sessionId": session.session_id})
    assert "reminderDay" not in item and "remindAt" not in item
    assert "therapistRemindedAt" in item and "clientRemindedAt" not in item
