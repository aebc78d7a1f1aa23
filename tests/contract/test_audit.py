"""AuditRepository: record events and list one subject's history, newest first."""

from __future__ import annotations

from portal.domain import AccountKind, AuditEvent
from portal.dynamo.audit import AuditRepository
from portal.dynamo.gateway import DynamoGateway
from portal.ids import new_id


def _record(repo: AuditRepository, subject_id: str, action: str) -> AuditEvent:
    return repo.record(
        subject_id=subject_id,
        action=action,
        actor_kind=AccountKind.THERAPIST,
        actor_id="T1",
        detail={"entryId": new_id()},
    )


def test_it_records_events_and_lists_a_subjects_history_newest_first(
    dynamo: DynamoGateway,
) -> None:
    repo = AuditRepository()
    subject_id = new_id()
    actions = ("journal.read", "session.update", "journal.read")
    events = [_record(repo, subject_id, action) for action in actions]
    _record(repo, new_id(), "journal.read")  # someone else's history

    page = repo.list_for_subject(subject_id)

    assert page.items == events[::-1]
    assert page.items[0].detail == events[-1].detail  # the map round-trips
    assert page.next_cursor is None
    bare = repo.record(
        subject_id=new_id(), action="login", actor_kind=AccountKind.CLIENT, actor_id="C1"
    )
    assert repo.list_for_subject(bare.subject_id).items == [bare]


def test_it_filters_by_action_and_the_cursor_still_advances(dynamo: DynamoGateway) -> None:
    repo = AuditRepository()
    subject_id = new_id()
    actions = ["journal.read", "login", "login", "login", "journal.read", "login", "journal.read"]
    events = [_record(repo, subject_id, action) for action in actions]

    # A filter applies after Limit, so pages may be short or empty; following
    # the cursor must still reach every matching event once.
    found: list[AuditEvent] = []
    cursor: str | None = None
    while True:
        page = repo.list_for_subject(subject_id, action="journal.read", limit=2, cursor=cursor)
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            break

    assert found == [e for e in events if e.action == "journal.read"][::-1]
