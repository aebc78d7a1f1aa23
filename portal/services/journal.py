"""Journal rules: what a valid entry is, who may read and change it, sharing.

Entries are private until their client shares them. A therapist reads shared
entries only while their mapping with the client is active, and each time they
open them the audit log records it, so the client can see who read what when.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from portal.accounts.user import User
from portal.domain import (
    FEELINGS,
    MAX_INTENSITY,
    MAX_NOTE_LENGTH,
    MIN_INTENSITY,
    AccountKind,
    AuditEvent,
    DatabaseUnavailable,
    DomainError,
    JournalEntry,
    MoodReading,
    NotFound,
    Page,
    Relationship,
)
from portal.dynamo.audit import AuditRepository
from portal.dynamo.journal import JournalRepository
from portal.dynamo.therapists import TherapistRepository
from portal.ids import new_id
from portal.policy import active_care_record_for_therapist, own_client_id, require_verified_email
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
SHARED_READ = "journal.shared.read"
# A little slack for a phone whose clock runs ahead; a feeling is not in the future.
FUTURE_SLACK = timedelta(minutes=10)
# Anything earlier is a typing slip in the year, not a memory.
EARLIEST_YEAR = 1900


class InvalidEntry(DomainError):
    pass


def _validate(feeling: str, intensity: int, note: str, time_of_emotion: datetime) -> None:
    if feeling not in FEELINGS:
        raise InvalidEntry(f"Choose a feeling from the list ({feeling!r} is not one).")
    if not MIN_INTENSITY <= intensity <= MAX_INTENSITY:
        raise InvalidEntry(f"Intensity goes from {MIN_INTENSITY} to {MAX_INTENSITY}.")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidEntry(f"A note holds at most {MAX_NOTE_LENGTH} characters.")
    if time_of_emotion > utcnow() + FUTURE_SLACK:
        raise InvalidEntry("The time of the feeling can't be in the future.")
    if time_of_emotion.year < EARLIEST_YEAR:
        raise InvalidEntry("That date looks mistyped: please check the year.")


def journal_entry_create(
    *,
    client_id: str,
    time_of_emotion: datetime,
    feeling: str,
    intensity: int,
    note: str = "",
    idempotency_key: str | None = None,
    journal: JournalRepository | None = None,
) -> JournalEntry:
    """Store a new entry. With the form's ``idempotency_key`` a double submit or a
    retry returns the entry the first submission stored instead of a second one."""
    _validate(feeling, intensity, note, time_of_emotion)
    entry = JournalEntry(
        client_id=client_id,
        entry_id=new_id(),
        time_of_emotion=time_of_emotion,
        feeling=feeling,
        intensity=intensity,
        note=note,
        created_at=utcnow(),
    )
    repository = journal or JournalRepository()
    if idempotency_key is None:
        stored = repository.add(entry)
    else:
        stored, created = repository.add_once(entry, idempotency_key)
        if not created:
            logger.info("journal entry %s sent again by client %s: kept once", stored.entry_id, client_id)
            return stored
    logger.info("journal entry %s created by client %s", entry.entry_id, client_id)
    return stored


def journal_entry_get(*, user: User, entry_id: str) -> JournalEntry:
    """One of the client's own entries; another client's id is simply not found."""
    entry = JournalRepository().get(own_client_id(user), entry_id)
    if entry is None:
        raise NotFound("No such journal entry.")
    return entry


def journal_entry_update(
    *,
    user: User,
    entry_id: str,
    time_of_emotion: datetime,
    feeling: str,
    intensity: int,
    note: str,
) -> JournalEntry:
    _validate(feeling, intensity, note, time_of_emotion)
    current = journal_entry_get(user=user, entry_id=entry_id)
    updated = JournalRepository().update(
        replace(current, time_of_emotion=time_of_emotion, feeling=feeling, intensity=intensity, note=note)
    )
    logger.info("journal entry %s updated by client %s", entry_id, user.account_id)
    return updated


def journal_entry_delete(*, user: User, entry_id: str) -> None:
    if not JournalRepository().delete(own_client_id(user), entry_id):
        raise NotFound("No such journal entry.")
    logger.info("journal entry %s deleted by client %s", entry_id, user.account_id)


def journal_entry_set_shared(*, user: User, entry_id: str, shared: bool) -> JournalEntry:
    """Share an entry with the client's therapists, or take it back at once."""
    client_id = own_client_id(user)
    if shared:
        require_verified_email(user, "share journal entries")
    entry = JournalRepository().set_shared(client_id, entry_id, utcnow() if shared else None)
    logger.info("journal entry %s %s by client %s", entry_id, "shared" if shared else "unshared", client_id)
    return entry


@dataclass(frozen=True)
class JournalFilter:
    feeling: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    @property
    def active(self) -> bool:
        return bool(self.feeling or self.start or self.end)


def journal_page(
    *, user: User, filters: JournalFilter, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page[JournalEntry]:
    """A page of the client's entries, newest felt first: one Query whatever the journal's size.

    A feeling (with or without dates) reads LSI_Journal_FeelingTime, dates
    alone read LSI_Journal_Time; either way the filter is the key condition, so
    every page is full until the last one.
    """
    client_id = own_client_id(user)
    journal = JournalRepository()
    if filters.feeling:
        return journal.list_by_feeling(
            client_id, filters.feeling, start=filters.start, end=filters.end, limit=limit, cursor=cursor
        )
    return journal.list_by_time(client_id, start=filters.start, end=filters.end, limit=limit, cursor=cursor)


def journal_chart_entries(
    *, user: User, feeling: str | None, start: datetime, end: datetime
) -> tuple[list[MoodReading], bool]:
    return JournalRepository().list_for_chart(own_client_id(user), start=start, end=end, feeling=feeling)


class ExportInterrupted(DatabaseUnavailable):
    """The database failed after the download had started: the response must end as a failure."""


EXPORT_PAGE_SIZE = 100


def journal_export(*, user: User) -> Iterator[JournalEntry]:
    """Every entry, oldest first, read a page at a time as the download streams.

    The first page is read before this returns, so a database that is down
    already gives the 503 page rather than a download that starts and breaks.
    A failure on a later page raises ExportInterrupted from the iterator: the
    server then drops the connection without ending the response, and the
    browser reports a failed download instead of saving a file that silently
    stops part-way.
    """
    client_id = own_client_id(user)
    journal = JournalRepository()
    first = journal.list_by_time(client_id, newest_first=False, limit=EXPORT_PAGE_SIZE)
    return _export_rest(journal, client_id, first)


def _export_rest(journal: JournalRepository, client_id: str, page: Page[JournalEntry]) -> Iterator[JournalEntry]:
    written = 0
    while True:
        yield from page.items
        written += len(page.items)
        if not page.next_cursor:
            return
        try:
            page = journal.list_by_time(
                client_id, newest_first=False, limit=EXPORT_PAGE_SIZE, cursor=page.next_cursor
            )
        except DatabaseUnavailable as exc:
            logger.error("journal export of client %s interrupted after %d entries", client_id, written)
            raise ExportInterrupted(str(exc)) from exc


def shared_entries_for_therapist(
    *, user: User, client_id: str, cursor: str | None = None
) -> Page[JournalEntry]:
    """The client's shared entries as their therapist sees them, newest felt first: one Query of the sparse index.

    404 unless the mapping is active. Every opening is written to the audit log.
    """
    return shared_entries_and_record(user=user, client_id=client_id, cursor=cursor)[0]


def shared_entries_and_record(
    *, user: User, client_id: str, cursor: str | None = None
) -> tuple[Page[JournalEntry], Relationship | None]:
    """As ``shared_entries_for_therapist``, with the pair's relationship record read in the same call as the mapping."""
    record = active_care_record_for_therapist(user, client_id)
    page = JournalRepository().list_shared(client_id, limit=PAGE_SIZE, cursor=cursor)
    AuditRepository().record(
        subject_id=client_id,
        action=SHARED_READ,
        actor_kind=AccountKind.THERAPIST,
        actor_id=user.account_id,
        # Ids only (no feelings or text): the client's access history names the entries from them.
        detail={
            "entries": str(len(page.items)),
            "page": "next" if cursor else "first",
            **({"entryIds": " ".join(entry.entry_id for entry in page.items)} if page.items else {}),
        },
    )
    return page, record


# Reads by one therapist less than this apart are one visit (the idle logoff's length).
VISIT_GAP = timedelta(minutes=30)
ACCESS_PAGE_SIZE = 25


@dataclass(frozen=True)
class AccessVisit:
    """One therapist's reading of the shared entries, from their first opening to their last."""

    reader_id: str
    reader_name: str
    started_at: datetime
    ended_at: datetime
    openings: int
    # The entries read that still exist, newest felt first.
    entries: list[JournalEntry]
    # Entries read then and deleted since, and (for readings recorded before entry ids
    # were kept) how many entries were shown without saying which.
    deleted_entries: int
    unnamed_entries: int


def _entry_ids(event: AuditEvent) -> list[str]:
    return event.detail.get("entryIds", "").split()


def _group_visits(events: list[AuditEvent]) -> list[list[AuditEvent]]:
    """Consecutive readings (newest first) by the same reader, each within VISIT_GAP of the next."""
    visits: list[list[AuditEvent]] = []
    for event in events:
        current = visits[-1] if visits else None
        if (
            current is not None
            and current[-1].actor_id == event.actor_id
            and current[-1].occurred_at - event.occurred_at <= VISIT_GAP
        ):
            current.append(event)
        else:
            visits.append([event])
    return visits


def journal_access_history(
    *, user: User, cursor: str | None = None, limit: int = ACCESS_PAGE_SIZE
) -> Page[AccessVisit]:
    """Who read my shared entries, visit by visit, naming the entries read.

    One Query of the audit log, one BatchGetItem for the readers' names and one
    for the entries (BatchGetItem takes 100 keys a call, and a page of readings
    names at most ACCESS_PAGE_SIZE * PAGE_SIZE entries, so the count stays fixed
    whatever the journal's size). A visit cut by the page's end continues on
    the next page.
    """
    client_id = own_client_id(user)
    page = AuditRepository().list_for_subject(client_id, action=SHARED_READ, limit=limit, cursor=cursor)
    if not page.items:
        return Page(items=[], next_cursor=page.next_cursor)
    therapists = TherapistRepository().get_many({e.actor_id for e in page.items})
    wanted = {entry_id for event in page.items for entry_id in _entry_ids(event)}
    entries = JournalRepository().get_labels(client_id, wanted) if wanted else {}
    visits: list[AccessVisit] = []
    for group in _group_visits(page.items):
        ids = list(dict.fromkeys(entry_id for event in group for entry_id in _entry_ids(event)))
        found = sorted((entries[i] for i in ids if i in entries), key=lambda e: e.time_of_emotion, reverse=True)
        reader = therapists.get(group[0].actor_id)
        visits.append(
            AccessVisit(
                reader_id=group[0].actor_id,
                reader_name=reader.name if reader else "A former therapist",
                started_at=group[-1].occurred_at,
                ended_at=group[0].occurred_at,
                openings=len(group),
                entries=found,
                deleted_entries=len(ids) - len(found),
                unnamed_entries=sum(
                    int(e.detail.get("entries", "0") or 0) for e in group if "entryIds" not in e.detail
                ),
            )
        )
    return Page(items=visits, next_cursor=page.next_cursor)
