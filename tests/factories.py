"""Plain factory functions for the domain's dataclasses.

Every call returns a fresh object with new ULIDs and a unique email, so tests
never collide with each other; pass keyword overrides for what a test is about.
Times are set explicitly (not left to the repository) so that what a test
stores compares equal to what it reads back.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from portal.domain import (
    Client,
    JournalEntry,
    SessionStatus,
    StaffMember,
    Therapist,
    TherapySession,
)
from portal.ids import new_id
from portal.timeutil import utcnow

# Not a real hash: tests that exercise hashing do it through Django's hashers.
PASSWORD_HASH = "md5$salt$0123456789abcdef"


def _unique_email(role: str, account_id: str) -> str:
    return f"{role}-{account_id.lower()}@example.com"


def _now() -> datetime:
    return utcnow()


def make_client(**overrides: Any) -> Client:
    client_id = overrides.pop("client_id", None) or new_id()
    client = Client(
        client_id=client_id,
        email=_unique_email("client", client_id),
        name="Casey Client",
        password_hash=PASSWORD_HASH,
        time_zone="Europe/Paris",
        created_at=_now(),
    )
    return replace(client, **overrides)


def make_therapist(**overrides: Any) -> Therapist:
    therapist_id = overrides.pop("therapist_id", None) or new_id()
    therapist = Therapist(
        therapist_id=therapist_id,
        email=_unique_email("therapist", therapist_id),
        name="Dr Tara Therapist",
        specialization="anxiety",
        password_hash=PASSWORD_HASH,
        created_at=_now(),
    )
    return replace(therapist, **overrides)


def make_staff(**overrides: Any) -> StaffMember:
    staff_id = overrides.pop("staff_id", None) or new_id()
    member = StaffMember(
        staff_id=staff_id,
        email=_unique_email("staff", staff_id),
        name="Sam Staff",
        password_hash=PASSWORD_HASH,
        created_at=_now(),
    )
    return replace(member, **overrides)


def make_entry(**overrides: Any) -> JournalEntry:
    now = _now()
    entry = JournalEntry(
        client_id=overrides.pop("client_id", None) or new_id(),
        entry_id=overrides.pop("entry_id", None) or new_id(),
        time_of_emotion=now - timedelta(hours=1),
        feeling="calm",
        intensity=3,
        note="Walked by the river.",
        created_at=now,
    )
    return replace(entry, **overrides)


def make_session(**overrides: Any) -> TherapySession:
    now = _now()
    session = TherapySession(
        session_id=overrides.pop("session_id", None) or new_id(),
        therapist_id=overrides.pop("therapist_id", None) or new_id(),
        client_id=overrides.pop("client_id", None) or new_id(),
        title="Weekly session",
        scheduled_for=now + timedelta(days=1),
        status=SessionStatus.PENDING,
        created_at=now,
    )
    return replace(session, **overrides)
