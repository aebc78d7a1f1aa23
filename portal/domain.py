"""The portal's domain: plain dataclasses and the errors services raise.

Nothing here knows about DynamoDB or HTTP.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


# --- errors -----------------------------------------------------------------


class DomainError(Exception):
    """Base of every error a service may raise on purpose."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """A write lost a race or was made against a stale version."""


class EmailTaken(Conflict):
    pass


class IllegalTransition(DomainError):
    pass


class InvalidCursor(DomainError):
    """A pagination cursor was tampered with or belongs to another listing."""


class InvalidMessage(DomainError):
    """A message that cannot be sent as written (empty, or too long)."""


class UnreadableText(DomainError):
    """Stored clinical text failed its integrity check (altered, or moved from
    another record or field), or its key cannot be unwrapped. Never shown as
    text: the page says the record cannot be read."""


class KeyDestroyed(DomainError):
    """New clinical text for an owner whose data key was destroyed (an erased client)."""


class DatabaseUnavailable(Exception):
    """DynamoDB did not answer (or refused) in time. Not the user's fault."""


# --- vocabularies the product keeps ---------------------------------------------

# Feelings a client can record; short, plain words that read well on a phone.
FEELINGS: tuple[str, ...] = (
    "calm",
    "happy",
    "grateful",
    "hopeful",
    "tired",
    "sad",
    "lonely",
    "anxious",
    "stressed",
    "angry",
    "ashamed",
    "numb",
)

SPECIALIZATIONS: tuple[str, ...] = (
    "anxiety",
    "depression",
    "trauma",
    "relationships",
    "grief",
    "addiction",
    "eating-disorders",
    "family",
    "general",
)

MIN_INTENSITY = 1
MAX_INTENSITY = 10
MAX_NOTE_LENGTH = 2000
# A message is a note to a person, not a document; DynamoDB's item limit is 400 KB.
MAX_MESSAGE_LENGTH = 4000


# --- values -----------------------------------------------------------------

REMOVED_AT_CLIENTS_REQUEST = "Removed at the client's request."
FORMER_CLIENT = "Former client"


class ErasedText(str):
    """Clinical text whose key was destroyed when the client erased their account.

    It reads as REMOVED_AT_CLIENTS_REQUEST wherever it is shown; code that must
    tell it from real text checks ``is_erased(value)``.
    """

    __slots__ = ()

    def __new__(cls) -> ErasedText:
        return super().__new__(cls, REMOVED_AT_CLIENTS_REQUEST)


def is_erased(value: str) -> bool:
    return isinstance(value, ErasedText)



@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def normalize_email(email: str) -> str:
    """One spelling per mailbox: surrounding spaces dropped, case folded."""
    return email.strip().lower()


class AccountKind(enum.StrEnum):
    CLIENT = "client"
    THERAPIST = "therapist"
    STAFF = "staff"


@dataclass(frozen=True)
class Client:
    client_id: str
    email: str
    name: str
    password_hash: str
    time_zone: str = "UTC"
    email_verified: bool = False
    created_at: datetime | None = None
    mfa_secret: str | None = None


@dataclass(frozen=True)
class Therapist:
    therapist_id: str
    email: str
    name: str
    specialization: str
    password_hash: str
    time_zone: str = "UTC"
    email_verified: bool = False
    created_at: datetime | None = None
    mfa_secret: str | None = None


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    email: str
    name: str
    password_hash: str
    created_at: datetime | None = None
    mfa_secret: str | None = None
    # Staff accounts are made by an administrator at the command line.
    time_zone: str = "UTC"
    email_verified: bool = True


@dataclass(frozen=True)
class EmailClaim:
    email: str
    account_kind: AccountKind
    account_id: str


class MappingStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Mapping:
    client_id: str
    therapist_id: str
    status: MappingStatus
    updated_at: datetime | None = None


@dataclass(frozen=True)
class JournalEntry:
    client_id: str
    entry_id: str
    time_of_emotion: datetime
    feeling: str
    intensity: int
    note: str = ""
    shared_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_shared(self) -> bool:
        return self.shared_at is not None


class SessionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    OPEN = "open"
    CLOSED = "closed"


# pending -> approved | rejected, approved -> open -> closed.
SESSION_TRANSITIONS: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.PENDING: frozenset({SessionStatus.APPROVED, SessionStatus.REJECTED}),
    SessionStatus.APPROVED: frozenset({SessionStatus.OPEN}),
    SessionStatus.OPEN: frozenset({SessionStatus.CLOSED}),
    SessionStatus.REJECTED: frozenset(),
    SessionStatus.CLOSED: frozenset(),
}


def statuses_allowed_before(target: SessionStatus) -> frozenset[SessionStatus]:
    """The statuses a session may have when it is saved with ``target`` (staying put included)."""
    return frozenset({target} | {s for s, nexts in SESSION_TRANSITIONS.items() if target in nexts})


def check_session_transition(current: SessionStatus, target: SessionStatus) -> None:
    if target not in SESSION_TRANSITIONS[current]:
        raise IllegalTransition(f"A {current} session cannot become {target}.")


@dataclass(frozen=True)
class TherapySession:
    session_id: str
    therapist_id: str
    client_id: str
    title: str
    scheduled_for: datetime
    status: SessionStatus = SessionStatus.PENDING
    private_notes: str = ""
    shared_notes: str = ""
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Sender(enum.StrEnum):
    CLIENT = "client"
    THERAPIST = "therapist"


@dataclass(frozen=True)
class Message:
    client_id: str
    therapist_id: str
    message_id: str
    created_at: datetime
    sender: Sender
    content: str
    # The sort key value: "<iso-8601>#<messageId>", unique and time-ordered.
    sort_key: str = field(default="", compare=False)

    @property
    def receiver(self) -> Sender:
        return Sender.THERAPIST if self.sender is Sender.CLIENT else Sender.CLIENT


@dataclass(frozen=True)
class AuditEvent:
    subject_id: str
    occurred_at: datetime
    event_id: str
    action: str
    actor_kind: AccountKind
    actor_id: str
    detail: dict[str, str] = field(default_factory=dict)
