"""A therapist's visits to a client's shared entries: what is new since the last one.

The start of the therapist's latest visit, and of the one before it, are kept on
the relationship record. A visit starts when the first page of the shared
entries is opened more than ``VISIT_GAP`` after the latest visit started (the
access history groups readings the same way); that is the page view's one
extra write, made once per visit, never by "load more" or a reload. While a
visit goes on, "new" keeps meaning "shared after the visit before", so a reload
or a second page does not make the markers vanish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.accounts.user import User
from portal.domain import JournalEntry, Page, Relationship
from portal.dynamo.journal import JournalRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.services.journal import VISIT_GAP, shared_entries_and_record
from portal.timeutil import utcnow


@dataclass(frozen=True)
class SharedEntriesVisit:
    page: Page[JournalEntry]
    # The previous visit: entries shared after it are new. None on a first visit.
    since: datetime | None
    new_ids: frozenset[str]
    # Counted over all shared entries on the first page only (None otherwise);
    # past what one Query reads the count is a lower bound (complete is False).
    new_count: int | None
    new_count_complete: bool

    def is_new(self, entry: JournalEntry) -> bool:
        return entry.entry_id in self.new_ids


def _baseline(record: Relationship | None, now: datetime) -> tuple[datetime | None, bool]:
    """(what "new" is measured from, whether this opening starts a new visit)."""
    last = record.therapist_last_visit_at if record else None
    if last is None:
        return None, True
    if now - last <= VISIT_GAP:
        return (record.therapist_previous_visit_at if record else None), False
    return last, True


def shared_entries_visit(*, user: User, client_id: str, cursor: str | None = None) -> SharedEntriesVisit:
    """The shared entries (policy and audit as in ``shared_entries_for_therapist``), with what is new.

    The relationship record comes with the mapping, in one BatchGetItem; the
    first page also costs one Select=COUNT Query when there was a previous
    visit, and one UpdateItem when this opening starts a visit.
    """
    page, record = shared_entries_and_record(user=user, client_id=client_id, cursor=cursor)
    therapist_id = user.account_id
    now = utcnow()
    since, starts_visit = _baseline(record, now)
    new_ids = frozenset(
        entry.entry_id
        for entry in page.items
        if since is not None and entry.shared_at is not None and entry.shared_at > since
    )
    new_count: int | None = None
    complete = True
    if cursor is None:
        if since is not None:
            new_count, complete = JournalRepository().count_shared_after(client_id, since)
        if record is not None and starts_visit:
            RelationshipRepository().note_therapist_visit(client_id, therapist_id, at=now, last_visit=record.therapist_last_visit_at)
    return SharedEntriesVisit(
        page=page, since=since, new_ids=new_ids, new_count=new_count, new_count_complete=complete
    )
