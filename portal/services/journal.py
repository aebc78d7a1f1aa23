"""Journal rules: what a valid entry is, and who may change it."""

from __future__ import annotations

from datetime import datetime

from portal.domain import (
    FEELINGS,
    MAX_INTENSITY,
    MAX_NOTE_LENGTH,
    MIN_INTENSITY,
    DomainError,
    JournalEntry,
)
from portal.dynamo.journal import JournalRepository
from portal.ids import new_id
from portal.timeutil import utcnow


class InvalidEntry(DomainError):
    pass


def _validate(feeling: str, intensity: int, note: str) -> None:
    if feeling not in FEELINGS:
        raise InvalidEntry(f"Choose a feeling from the list ({feeling!r} is not one).")
    if not MIN_INTENSITY <= intensity <= MAX_INTENSITY:
        raise InvalidEntry(f"Intensity goes from {MIN_INTENSITY} to {MAX_INTENSITY}.")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidEntry(f"A note holds at most {MAX_NOTE_LENGTH} characters.")


def journal_entry_create(
    *,
    client_id: str,
    time_of_emotion: datetime,
    feeling: str,
    intensity: int,
    note: str = "",
    journal: JournalRepository | None = None,
) -> JournalEntry:
    _validate(feeling, intensity, note)
    entry = JournalEntry(
        client_id=client_id,
        entry_id=new_id(),
        time_of_emotion=time_of_emotion,
        feeling=feeling,
        intensity=intensity,
        note=note,
        created_at=utcnow(),
    )
    return (journal or JournalRepository()).add(entry)
