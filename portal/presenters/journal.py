"""A journal's entries as their templates show them: each entry's times, words and links, worked out once.

The journal page shows 20 entries, each with its time three ways, its feeling,
its sharing state and three controls. What is the same for every entry of one
render (the return address, who can read a shared entry, the viewer's zone,
where entry URLs start) is an ``EntryList``, made once per
render; what is one entry's own is an ``EntryItem``, made once per entry. The
markup is the macros' in templates/portal/client/_journal.html and
templates/portal/therapist/_shared_entry.html.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from portal.accounts.user import Reader
from portal.domain import JournalEntry
from portal.templating.filters import every_form

_ACTIONS = frozenset({"", "edit", "delete", "share"})


def journal_prefix() -> str:
    """Where every entry's URL starts: a list looks it up once for all of its entries."""
    return reverse("journal")


def entry_path(prefix: str, entry_id: str, action: str = "") -> str:
    """An entry's address (or one of its actions') under ``prefix``, without a URL reversal per entry."""
    if action not in _ACTIONS:
        raise ValueError(f"unknown journal entry action {action!r}")
    return f"{prefix}{entry_id}/{action + '/' if action else ''}"


def reader_names(readers: Sequence[Reader] | None) -> str | None:
    """Who can read a shared entry now, "Dr Ada, your therapist"; "" for nobody; None when not known."""
    if readers is None:
        return None
    return ", ".join(r.therapist_name or "your therapist" for r in readers)


@dataclass(frozen=True, slots=True)
class EntryList:
    """What every entry of one render shares: worked out once, not per entry."""

    return_to: str  # the journal view (filter and page) to come back to, for a form's "next"
    back: str  # the same, quoted as a query value ({{ return_to|urlencode }}: "/" kept)
    reader_names: str | None  # see reader_names()
    nobody_reads: bool  # the client has no active therapist: sharing reaches nobody yet
    error: str  # why an action on the entry was refused ("" when it was not)
    directory_url: str
    entry_prefix: str
    # The viewer's zone, looked up once for the list (no template changes the zone within a list).
    zone: tzinfo

    @classmethod
    def of(
        cls,
        *,
        readers: Sequence[Reader] | None,
        return_to: str,
        entry_error: str | None = None,
    ) -> EntryList:
        return cls(
            return_to=return_to,
            back=quote(return_to, safe="/"),
            reader_names=reader_names(readers),
            nobody_reads=readers is not None and not readers,
            error=entry_error or "",
            directory_url=reverse("directory"),
            entry_prefix=journal_prefix(),
            zone=timezone.get_current_timezone(),
        )


@dataclass(frozen=True, slots=True)
class EntryItem:
    """One entry as its client's list shows it."""

    entry_id: str
    iso: str  # for <time datetime>
    when: str  # "Tue 3 Mar 2026, 21:40"
    when_short: str  # "3 Mar, 21:40", naming the entry to a screen reader
    feeling: str
    feeling_label: str  # the feeling with a capital
    intensity: int
    shared: bool
    note: str
    edit_url: str
    delete_url: str
    share_url: str


def entry_item(entry: JournalEntry, page: EntryList) -> EntryItem:
    iso, when, when_short = every_form(entry.time_of_emotion, page.zone)
    url = f"{page.entry_prefix}{entry.entry_id}/"
    feeling = entry.feeling
    return EntryItem(
        entry_id=entry.entry_id,
        iso=iso,
        when=when,
        when_short=when_short,
        feeling=feeling,
        feeling_label=feeling[:1].upper() + feeling[1:],
        intensity=entry.intensity,
        shared=entry.shared_at is not None,
        note=entry.note,
        edit_url=f"{url}edit/",
        delete_url=f"{url}delete/",
        share_url=f"{url}share/",
    )


def entry_items(entries: Iterable[JournalEntry], page: EntryList) -> list[EntryItem]:
    return [entry_item(entry, page) for entry in entries]


@dataclass(frozen=True, slots=True)
class SharedEntryItem:
    """One shared entry as the therapist reads it, in the therapist's own zone."""

    entry_id: str
    new: bool  # shared since the therapist's last visit
    iso: str
    when: str
    # The same moment on the client's clock ("" when both live in one zone).
    client_when: str
    feeling_label: str
    intensity: int
    note: str


def shared_entry_items(
    entries: Iterable[JournalEntry],
    *,
    time_zone: str,
    new_ids: Container[str] = frozenset(),
    client_time_zone: str | None = None,
) -> list[SharedEntryItem]:
    """Entries in ``time_zone`` (the therapist's: the day an entry belongs to is the same on
    every page they read), each with the client's own time beside it when their zones differ."""
    zone = ZoneInfo(time_zone)
    client_zone = ZoneInfo(client_time_zone) if client_time_zone and client_time_zone != time_zone else None
    items = []
    for entry in entries:
        iso, when, _short = every_form(entry.time_of_emotion, zone)
        client_when = every_form(entry.time_of_emotion, client_zone)[2] if client_zone is not None else ""
        feeling = entry.feeling
        items.append(
            SharedEntryItem(
                entry_id=entry.entry_id,
                new=entry.entry_id in new_ids,
                iso=iso,
                when=when,
                client_when=client_when,
                feeling_label=feeling[:1].upper() + feeling[1:],
                intensity=entry.intensity,
                note=entry.note,
            )
        )
    return items
