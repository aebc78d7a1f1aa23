"""AuditRepository: events filed by subject and category, and the browser's indexes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

from portal.domain import AccountKind, AuditCategory, AuditEvent
from portal.dynamo.audit import AuditRepository
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.ids import new_id


def _record(
    repo: AuditRepository, subject_id: str, action: str, *, actor_id: str = "T1"
) -> AuditEvent:
    return repo.record(
        subject_id=subject_id,
        action=action,
        actor_kind=AccountKind.THERAPIST,
        actor_id=actor_id,
        detail={"entryId": new_id()},
    )


def _all_pages(fetch, limit: int = 2) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    found: list[AuditEvent] = []
    cursor: str | None = None
    while True:
        page = fetch(limit=limit, cursor=cursor)
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            return found


def test_it_records_events_and_lists_a_subjects_history_newest_first(
    dynamo: DynamoGateway,
) -> None:
    repo = AuditRepository()
    subject_id = new_id()
    actions = ("journal.shared.read", "session.update", "journal.shared.read")
    events = [_record(repo, subject_id, action) for action in actions]
    _record(repo, new_id(), "journal.shared.read")  # someone else's history

    page = repo.list_for_subject(subject_id)

    assert page.items == events[::-1]
    assert page.items[0].detail == events[-1].detail  # the map round-trips
    assert page.items[0].category is AuditCategory.JOURNAL_READ
    assert page.items[1].category is AuditCategory.SESSION
    assert page.next_cursor is None
    bare = repo.record(
        subject_id=new_id(), action="login", actor_kind=AccountKind.CLIENT, actor_id="C1"
    )
    assert repo.list_for_subject(bare.subject_id).items == [bare]
    assert bare.category is AuditCategory.ACCOUNT


def test_it_lists_one_category_in_full_pages_whatever_else_the_subject_collects(
    dynamo: DynamoGateway,
) -> None:
    repo = AuditRepository()
    subject_id = new_id()
    # Many other events newer than the reads: a filter after Limit would give
    # empty pages here; a key condition on the category never does.
    reads = [_record(repo, subject_id, "journal.shared.read") for _ in range(3)]
    for _ in range(6):
        _record(repo, subject_id, "session.update")

    with count_dynamodb_calls() as calls:
        first = repo.list_for_subject(subject_id, category=AuditCategory.JOURNAL_READ, limit=2)
    assert calls.total == 1
    assert first.items == reads[::-1][:2]
    second = repo.list_for_subject(
        subject_id, category=AuditCategory.JOURNAL_READ, limit=2, cursor=first.next_cursor
    )
    assert second.items == reads[:1]
    # An action names its category: the older calling style still works.
    assert repo.list_for_subject(subject_id, action="journal.shared.read", limit=5).items == reads[::-1]


def test_it_pages_a_subjects_whole_history_newest_first(dynamo: DynamoGateway) -> None:
    repo = AuditRepository()
    subject_id = new_id()
    events = [
        _record(repo, subject_id, action)
        for action in ("staff.account.deactivate", "journal.shared.read", "login", "session.update", "staff.x")
    ]
    found = _all_pages(lambda **kw: repo.list_for_subject(subject_id, **kw))
    assert found == events[::-1]


def test_it_lists_what_one_actor_did_across_subjects(dynamo: DynamoGateway) -> None:
    repo = AuditRepository()
    actor = new_id()
    mine = [_record(repo, new_id(), "staff.account.deactivate", actor_id=actor) for _ in range(3)]
    _record(repo, new_id(), "staff.account.deactivate", actor_id=new_id())
    with count_dynamodb_calls() as calls:
        page = repo.list_by_actor(AccountKind.THERAPIST, actor, limit=10)
    assert calls.total == 1
    assert page.items == mine[::-1]
    assert _all_pages(lambda **kw: repo.list_by_actor(AccountKind.THERAPIST, actor, **kw)) == mine[::-1]
    assert repo.list_by_actor(AccountKind.STAFF, actor).items == []


def test_it_lists_one_days_events_newest_first(dynamo: DynamoGateway) -> None:
    repo = AuditRepository()
    day_one = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
    day_two = day_one + timedelta(minutes=2)

    def at(moment: datetime) -> AuditEvent:
        with mock.patch("portal.dynamo.audit.utcnow", return_value=moment):
            return _record(repo, new_id(), "login")

    first = at(day_one)
    second = at(day_one + timedelta(seconds=30))
    other_day = at(day_two)
    assert repo.list_by_day(day_one.date()).items == [second, first]
    assert repo.list_by_day(day_two.date()).items == [other_day]
    assert _all_pages(lambda **kw: repo.list_by_day(day_one.date(), **kw), limit=1) == [second, first]
