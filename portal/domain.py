"""The portal's domain: plain dataclasses and the errors services raise.

Nothing here knows about DynamoDB or HTTP.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

T = TypeVar("T")


# --- errors -----------------------------------------------------------------


class DomainError(Exception):
    """Base of every error a service may raise on purpose."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """A write lost a race or was made against a stale version."""


class DuplicateSubmission(Conflict):
    """A form's idempotency key was already used, and what it created is gone (deleted since)."""


class EmailTaken(Conflict):
    pass


class IllegalTransition(DomainError):
    pass


class InvalidCursor(DomainError):
    """A pagination cursor was tampered with or belongs to another listing."""


class InvalidMessage(DomainError):
    """A message that cannot be sent as written (empty, or too long)."""


class ConversationClosed(DomainError):
    """A message to a relationship that is not active (ended, blocked, or never accepted)."""


class UnreadableText(DomainError):
    """Stored clinical text failed its integrity check (altered, or moved from
    another record or field), or its key cannot be unwrapped. Never shown as
    text: the page says the record cannot be read."""


class KeyDestroyed(DomainError):
    """New clinical text for an owner whose data key was destroyed (an erased client)."""


class DatabaseUnavailable(Exception):
    """DynamoDB did not answer (or refused) in time. Not the user's fault."""


# --- vocabularies the product keeps ---------------------------------------------


class Valence(enum.StrEnum):
    """How a feeling is felt: the sign it gives to its intensity on the mood chart."""

    PLEASANT = "pleasant"
    IN_BETWEEN = "in-between"
    UNPLEASANT = "unpleasant"


@dataclass(frozen=True)
class Feeling:
    """One word of the journal's vocabulary and what the product does with it.

    ``weight`` turns an intensity into a mood value: +1 for a pleasant feeling,
    -1 for an unpleasant one, something in between for the in-between ones.
    ``distressing`` feelings at a high intensity bring the crisis contacts
    onto the confirmation after a save (nothing is sent anywhere).
    """

    name: str
    valence: Valence
    weight: float
    distressing: bool = False
    why: str = ""


# The vocabulary, decided here once: the entry form's chips, the chart's signs
# and the safety prompt all read it. Short, plain words that read well on a phone.
# The order is the form's order within each valence group.
VOCABULARY: tuple[Feeling, ...] = (
    Feeling("calm", Valence.PLEASANT, 1.0),
    Feeling("happy", Valence.PLEASANT, 1.0),
    Feeling("grateful", Valence.PLEASANT, 1.0),
    Feeling("hopeful", Valence.PLEASANT, 1.0),
    Feeling(
        "tired",
        Valence.IN_BETWEEN,
        -0.5,
        why=(
            "Tiredness is mostly a state of the body, and it follows good days (a long walk) as well as bad ones, "
            "so it is not a mood on its own; it still weighs a day down a little, so it counts half, on the "
            "unpleasant side. It is not marked distressing: 'tired 9' after a night shift is not a crisis."
        ),
    ),
    Feeling(
        "numb",
        Valence.IN_BETWEEN,
        -0.5,
        distressing=True,
        why=(
            "Numbness is the absence of feeling rather than a painful one, so counting it fully unpleasant would "
            "draw 'numb 10' as the worst day possible, and counting it neutral would hide it from the chart; it "
            "counts half, on the unpleasant side. Strong numbness goes with depression and dissociation, so at a "
            "high intensity it is treated as distressing, like sadness."
        ),
    ),
    Feeling("sad", Valence.UNPLEASANT, -1.0, distressing=True),
    Feeling("lonely", Valence.UNPLEASANT, -1.0, distressing=True),
    Feeling("anxious", Valence.UNPLEASANT, -1.0, distressing=True),
    Feeling("stressed", Valence.UNPLEASANT, -1.0, distressing=True),
    Feeling("angry", Valence.UNPLEASANT, -1.0, distressing=True),
    Feeling("ashamed", Valence.UNPLEASANT, -1.0, distressing=True),
)

FEELING_BY_NAME: dict[str, Feeling] = {feeling.name: feeling for feeling in VOCABULARY}

# Feelings a client can record (the stored values).
FEELINGS: tuple[str, ...] = tuple(feeling.name for feeling in VOCABULARY)

# From this intensity on, a distressing feeling brings up the crisis contacts.
DISTRESS_INTENSITY = 8


def feeling_valence(name: str) -> Valence:
    """The valence of a stored feeling; a word no longer in the vocabulary counts as in-between."""
    known = FEELING_BY_NAME.get(name)
    return known.valence if known else Valence.IN_BETWEEN


def mood_value(feeling: str, intensity: int) -> float:
    """Valence-signed intensity: +10 is the best a moment can be, -10 the worst.

    A word no longer in the vocabulary counts zero: it moves no line up or down.
    """
    known = FEELING_BY_NAME.get(feeling)
    return known.weight * intensity if known else 0.0


def is_distressing(feeling: str, intensity: int) -> bool:
    known = FEELING_BY_NAME.get(feeling)
    return bool(known and known.distressing and intensity >= DISTRESS_INTENSITY)


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
# A message still unread this long after it arrived gets its recipient an email
# notice (one that says only "a new message", with a link)...
MESSAGE_NOTICE_DELAY = timedelta(minutes=5)
# ...and each recipient gets at most one such notice per conversation this often.
MESSAGE_NOTICE_INTERVAL = timedelta(minutes=15)
# Longer passwords are refused before hashing: hashing megabytes is a cheap denial of service.
MAX_PASSWORD_LENGTH = 1024


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
    # Set by staff: a deactivated account cannot log in and loses its sessions.
    deactivated: bool = False
    # Bumped (UpdateItem ADD) by every change that must end or refresh sessions.
    account_version: int = 0
    # Reminders and notices of changes (never security mails); the person may turn them off.
    optional_emails: bool = True
    last_login_at: datetime | None = None


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
    # Set by staff: a deactivated account cannot log in and loses its sessions.
    deactivated: bool = False
    # Bumped (UpdateItem ADD) by every change that must end or refresh sessions.
    account_version: int = 0
    # Reminders and notices of changes (never security mails); the person may turn them off.
    optional_emails: bool = True
    last_login_at: datetime | None = None
    # Staff can take a therapist out of the directory (and put them back).
    listed: bool = True
    bio: str = ""
    accepting_clients: bool = True
    # What a client needs to choose, written by the therapist (never checked by the portal).
    licence_type: str = ""
    licence_state: str = ""
    modalities: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    fees: str = ""
    # Names the current photo (TherapistPhotos); empty: no photo. A new version is a new URL.
    photo_version: str = ""
    # How long before a session a client may cancel it without it counting as late.
    cancellation_window_hours: int = 24


MAX_BIO_LENGTH = 1000
MAX_REQUEST_MESSAGE_LENGTH = 1000
MAX_LICENCE_LENGTH = 80
MAX_FEES_LENGTH = 300
# How a therapist meets clients: value -> label.
MODALITIES: dict[str, str] = {"in_person": "In person", "video": "Video"}
# The languages a therapist may say they work in (a fixed list, so a client's filter finds them).
LANGUAGES: tuple[str, ...] = (
    "Arabic",
    "Cantonese",
    "English",
    "French",
    "German",
    "Hindi",
    "Italian",
    "Japanese",
    "Korean",
    "Mandarin",
    "Polish",
    "Portuguese",
    "Russian",
    "Spanish",
    "Tagalog",
    "Ukrainian",
    "Vietnamese",
)

DEFAULT_CANCELLATION_WINDOW_HOURS = 24
MAX_CANCELLATION_WINDOW_HOURS = 7 * 24


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
    # Set by staff: a deactivated account cannot log in and loses its sessions.
    deactivated: bool = False
    # Bumped (UpdateItem ADD) by every change that must end or refresh sessions.
    account_version: int = 0
    last_login_at: datetime | None = None


@dataclass(frozen=True)
class EmailClaim:
    email: str
    account_kind: AccountKind
    account_id: str


class MappingStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    BLOCKED = "blocked"


class Side(enum.StrEnum):
    """The two sides of a care relationship."""

    CLIENT = "client"
    THERAPIST = "therapist"

    @property
    def other(self) -> Side:
        return Side.THERAPIST if self is Side.CLIENT else Side.CLIENT


@dataclass(frozen=True)
class Mapping:
    """The care relationship as it stands now: one item per pair, deleted when it ends."""

    client_id: str
    therapist_id: str
    status: MappingStatus
    updated_at: datetime | None = None
    requested_by: Side = Side.CLIENT
    requested_at: datetime | None = None
    # Copied on so lists and the journal page need no extra reads.
    client_name: str = ""
    therapist_name: str = ""
    # What the client wrote when asking (encrypted under the client's key); read only
    # with the therapist's list of requests waiting for an answer, empty elsewhere.
    request_message: str = ""

    def awaits_answer_from(self, side: Side) -> bool:
        return self.status is MappingStatus.PENDING and self.requested_by is not side


@dataclass(frozen=True)
class Relationship:
    """What outlives the mapping: conversation and session bookkeeping for one pair.

    Created when a pair first has something to remember (a notice, an activation);
    ending the relationship sets ``ended_at`` and never deletes this record.
    """

    client_id: str
    therapist_id: str
    client_name: str = ""
    therapist_name: str = ""
    # Start of the latest active period; None for a pair that was never active.
    active_since: datetime | None = None
    ended_at: datetime | None = None
    ended_by: Side | None = None
    # Sort key of the therapist's index; present only once the pair was active.
    last_activity_at: datetime | None = None
    last_message_at: datetime | None = None
    client_read_at: datetime | None = None
    therapist_read_at: datetime | None = None
    last_notice_at: datetime | None = None
    last_session_at: datetime | None = None
    # Start of the therapist's latest visit to the client's shared entries, and of the one before
    # (what "new since your last visit" is measured from while the latest visit goes on).
    therapist_last_visit_at: datetime | None = None
    therapist_previous_visit_at: datetime | None = None
    # Messages each side has not opened yet, kept by the sends and the opening.
    client_unread: int = 0
    therapist_unread: int = 0
    # When an email notice of unread messages falls due for each side (None: none
    # pending), and when each side was last sent one.
    client_notice_due_at: datetime | None = None
    therapist_notice_due_at: datetime | None = None
    client_noticed_at: datetime | None = None
    therapist_noticed_at: datetime | None = None
    # Every session made for the pair since marks began, written in the transaction that
    # made it: what a consistent read of this record lists, where the session index may lag.
    session_ids: frozenset[str] = frozenset()

    @property
    def was_active(self) -> bool:
        return self.active_since is not None

    @property
    def is_active(self) -> bool:
        """Active now, as the record last saw it (sending re-checks the mapping itself)."""
        return self.active_since is not None and self.ended_at is None

    def unread_for(self, side: Side) -> int:
        return self.client_unread if side is Side.CLIENT else self.therapist_unread

    def read_at(self, side: Side) -> datetime | None:
        return self.client_read_at if side is Side.CLIENT else self.therapist_read_at

    def notice_due_at(self, side: Side) -> datetime | None:
        return self.client_notice_due_at if side is Side.CLIENT else self.therapist_notice_due_at

    def noticed_at(self, side: Side) -> datetime | None:
        return self.client_noticed_at if side is Side.CLIENT else self.therapist_noticed_at


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


@dataclass(frozen=True, slots=True)
class MoodReading:
    """What the mood chart reads of an entry: when, which feeling, how strongly; never its note."""

    entry_id: str
    time_of_emotion: datetime
    feeling: str
    intensity: int


class SessionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# pending -> approved | rejected, approved -> open -> closed, and pending or
# approved -> cancelled (a withdrawn request, a cancelled appointment).
SESSION_TRANSITIONS: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.PENDING: frozenset({SessionStatus.APPROVED, SessionStatus.REJECTED, SessionStatus.CANCELLED}),
    SessionStatus.APPROVED: frozenset({SessionStatus.OPEN, SessionStatus.CANCELLED}),
    SessionStatus.OPEN: frozenset({SessionStatus.CLOSED}),
    SessionStatus.REJECTED: frozenset(),
    SessionStatus.CLOSED: frozenset(),
    SessionStatus.CANCELLED: frozenset(),
}
# The time (and place) of a session may change only before it happens.
RESCHEDULABLE: frozenset[SessionStatus] = frozenset({SessionStatus.PENDING, SessionStatus.APPROVED})
# On the calendar: what is arranged, happening, or was held.
ON_CALENDAR: frozenset[SessionStatus] = frozenset({SessionStatus.APPROVED, SessionStatus.OPEN, SessionStatus.CLOSED})
DEFAULT_SESSION_MINUTES = 50
MIN_SESSION_MINUTES = 10
MAX_SESSION_MINUTES = 240
MAX_SESSION_TITLE_LENGTH = 120
MAX_SESSION_TEXT_LENGTH = 2000
MAX_SESSION_NOTES_LENGTH = 20000
MAX_LOCATION_LENGTH = 300
# Each side is emailed about this long before an approved session.
REMINDER_LEAD = timedelta(hours=24)


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
    duration_minutes: int = DEFAULT_SESSION_MINUTES
    # An office address or the video link the therapist uses.
    location: str = ""
    # The client's words when asking for the session, and the therapist's when declining it.
    request_message: str = ""
    rejection_reason: str = ""
    requested_by: AccountKind = AccountKind.CLIENT
    cancelled_by: AccountKind | None = None
    # Names ride on the session so agendas and lists need no extra reads.
    client_name: str = ""
    therapist_name: str = ""
    # When each side was emailed its reminder (None: still to send).
    client_reminded_at: datetime | None = None
    therapist_reminded_at: datetime | None = None
    # Set when the session is closed: the time of the pair's previous session as
    # the relationship record held it then (None: no earlier one was known), so
    # a past session's "since last session" keeps the window it had.
    previous_session_at: datetime | None = None
    # When a session was cancelled, and whether the client cancelled inside their
    # therapist's cancellation window (a "late" cancellation, shown to both).
    cancelled_at: datetime | None = None
    late_cancellation: bool = False
    # A time the client asked to move an approved session to: the session keeps
    # its own time (still booked) until the therapist approves the move.
    proposed_for: datetime | None = None

    @property
    def ends_at(self) -> datetime:
        return self.scheduled_for + timedelta(minutes=self.duration_minutes)

    @property
    def reminders_pending(self) -> bool:
        return self.status is SessionStatus.APPROVED and (
            self.client_reminded_at is None or self.therapist_reminded_at is None
        )


@dataclass(frozen=True)
class SessionSchedule:
    """A therapy session without its title or notes: what staff may see."""

    session_id: str
    therapist_id: str
    client_id: str
    scheduled_for: datetime
    status: SessionStatus


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


class AuditCategory(enum.StrEnum):
    """The lists an audit event belongs to; the audit table's sort key starts with it.

    Each list a person or staff reads about one subject ("who read my journal",
    "what staff did to this account") is then one key condition, however many
    events of other kinds pile up beside it.
    """

    JOURNAL_READ = "journal-read"
    ACCOUNT = "account"
    STAFF = "staff"
    CARE = "care"
    SESSION = "session"
    MESSAGE = "message"
    OTHER = "other"


# Prefix of an action name -> its category; the longest matching prefix wins.
_CATEGORY_PREFIXES: dict[str, AuditCategory] = {
    "journal.shared.read": AuditCategory.JOURNAL_READ,
    "journal.read": AuditCategory.JOURNAL_READ,
    "staff.": AuditCategory.STAFF,
    "account.": AuditCategory.ACCOUNT,
    "login": AuditCategory.ACCOUNT,
    "password.": AuditCategory.ACCOUNT,
    "mfa.": AuditCategory.ACCOUNT,
    "mapping.": AuditCategory.CARE,
    "care.": AuditCategory.CARE,
    "relationship.": AuditCategory.CARE,
    "session.": AuditCategory.SESSION,
    "message.": AuditCategory.MESSAGE,
}


def audit_category_for(action: str) -> AuditCategory:
    """The category an action is filed under (``other`` for names nobody registered)."""
    best: tuple[int, AuditCategory] = (0, AuditCategory.OTHER)
    for prefix, category in _CATEGORY_PREFIXES.items():
        if action.startswith(prefix) and len(prefix) > best[0]:
            best = (len(prefix), category)
    return best[1]


@dataclass(frozen=True)
class AuditEvent:
    subject_id: str
    occurred_at: datetime
    event_id: str
    action: str
    actor_kind: AccountKind
    actor_id: str
    detail: dict[str, str] = field(default_factory=dict)
    category: AuditCategory = AuditCategory.OTHER
