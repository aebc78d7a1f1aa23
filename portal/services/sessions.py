"""Therapy sessions: requesting, approving, holding and closing them, and their notes.

A client asks for a session with a therapist they work with (``pending``); the
therapist approves it (giving where it takes place) or rejects it (with an
optional reason the client reads); a therapist may also book a session
directly (it starts ``approved``). An approved session is opened when it
begins and closed when it ends; a pending or approved one can be cancelled
(a client withdrawing a request, a therapist cancelling an appointment) and
moved to another time. Every change is a conditional write on the version the
change was based on, so when both sides act at once exactly one wins.

Private notes are the therapist's alone: every function that serves the
client returns sessions with them blanked, and nothing here logs clinical text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from portal.accounts.user import User
from portal.availability import TimeTaken
from portal.domain import (
    DEFAULT_CANCELLATION_WINDOW_HOURS,
    DEFAULT_SESSION_MINUTES,
    MAX_CANCELLATION_WINDOW_HOURS,
    MAX_LOCATION_LENGTH,
    MAX_SESSION_MINUTES,
    MAX_SESSION_NOTES_LENGTH,
    MAX_SESSION_TEXT_LENGTH,
    MAX_SESSION_TITLE_LENGTH,
    MIN_SESSION_MINUTES,
    RESCHEDULABLE,
    AccountKind,
    Conflict,
    DomainError,
    IllegalTransition,
    JournalEntry,
    NotFound,
    Page,
    Relationship,
    SessionStatus,
    Side,
    TherapySession,
)
from portal.dynamo.audit import AuditRepository
from portal.dynamo.booking import BookingRepository
from portal.dynamo.clients import ClientRepository
from portal.dynamo.journal import JournalRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.therapists import TherapistRepository
from portal.ids import new_id
from portal.policy import (
    care_is_active,
    care_with_record,
    own_client_id,
    own_therapist_id,
    require_active_care,
    session_for_client,
    session_for_therapist,
)
from portal.services.measures import measures_session_scheduled
from portal.services.mood_chart import MoodChart, mood_chart
from portal.services.session_notices import SessionNotice, session_notice
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

# How often a session that keeps changing under the end of its relationship is read again.
_CANCEL_ATTEMPTS = 3
# How long after a session is made the session indexes surely list it (they lag by well
# under a second on AWS): a mark older than this may leave the relationship record.
INDEX_SETTLED = timedelta(hours=1)

PAGE_SIZE = 20
# The statuses on an agenda: arranged or happening.
AGENDA = frozenset({SessionStatus.APPROVED, SessionStatus.OPEN})
# Which statuses may overlap a new appointment.
BLOCKING = AGENDA
# A request for a time that has just passed is a slip; one from long ago is not a request.
PAST_SLACK = timedelta(minutes=5)
EARLIEST_YEAR = 2000
LATEST_YEAR = 2200
# With no earlier session, "since the last session" covers this long.
FIRST_SESSION_LOOKBACK = timedelta(days=30)
ENDED_READ = "session.read.ended"


class InvalidSession(DomainError):
    """What was typed cannot make a session; the message says why."""


class SessionOverlap(DomainError):
    """The time overlaps other approved sessions of the therapist (asked to confirm first)."""

    def __init__(self, overlapping: list[TherapySession]) -> None:
        super().__init__("This time overlaps another session in your agenda.")
        self.overlapping = overlapping


class NotesConflict(Conflict):
    """The notes changed since the therapist opened them; ``current`` is the newer version."""

    def __init__(self, current: TherapySession) -> None:
        super().__init__("These notes were saved elsewhere since you opened them.")
        self.current = current


class ReadOnlySession(DomainError):
    """The relationship ended: its sessions stay readable but no longer change."""


# --- validation ---------------------------------------------------------------------


def _check_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise InvalidSession("Give the session a short title.")
    if len(title) > MAX_SESSION_TITLE_LENGTH:
        raise InvalidSession(f"A title holds at most {MAX_SESSION_TITLE_LENGTH} characters.")
    return title


def _check_text(text: str, what: str, limit: int = MAX_SESSION_TEXT_LENGTH) -> str:
    text = text.strip()
    if len(text) > limit:
        raise InvalidSession(f"{what} holds at most {limit} characters.")
    return text


def _check_time(scheduled_for: datetime) -> None:
    if scheduled_for.tzinfo is None:
        raise ValueError("session times must carry a zone")
    if not EARLIEST_YEAR <= scheduled_for.year <= LATEST_YEAR:
        raise InvalidSession("That date looks mistyped: please check the year.")
    if scheduled_for < utcnow() - PAST_SLACK:
        raise InvalidSession("Choose a time that has not passed yet.")


def _check_duration(minutes: int) -> None:
    if not MIN_SESSION_MINUTES <= minutes <= MAX_SESSION_MINUTES:
        raise InvalidSession(
            f"A session lasts between {MIN_SESSION_MINUTES} and {MAX_SESSION_MINUTES} minutes."
        )


def _check_overlap(
    therapist_id: str, start: datetime, minutes: int, *, ignore: str | None, confirmed: bool
) -> None:
    if confirmed:
        return
    end = start + timedelta(minutes=minutes)
    overlapping = [
        s
        for s in SessionRepository().list_around(therapist_id, start, end, statuses=BLOCKING)
        if s.session_id != ignore
    ]
    if overlapping:
        raise SessionOverlap(overlapping)


def for_client(session: TherapySession) -> TherapySession:
    """The session as its client may see it: never the therapist's private notes."""
    return replace(session, private_notes="")


# --- the client's side ----------------------------------------------------------------


def session_request(
    *,
    user: User,
    therapist_id: str,
    title: str,
    scheduled_for: datetime,
    message: str = "",
    idempotency_key: str,
) -> TherapySession:
    """A client asks for a session with a therapist they work with (it starts pending)."""
    client_id = own_client_id(user)
    title = _check_title(title)
    message = _check_text(message, "A message")
    _check_time(scheduled_for)
    require_active_care(client_id, therapist_id)
    therapist = TherapistRepository().get(therapist_id)
    session = TherapySession(
        session_id=new_id(),
        therapist_id=therapist_id,
        client_id=client_id,
        title=title,
        scheduled_for=scheduled_for,
        status=SessionStatus.PENDING,
        request_message=message,
        requested_by=AccountKind.CLIENT,
        client_name=user.name,
        therapist_name=therapist.name if therapist else "",
        created_at=utcnow(),
    )
    stored = SessionRepository().create(session, idempotency_key=idempotency_key)
    logger.info("session %s requested by client %s", stored.session_id, client_id)
    session_notice(stored, SessionNotice.REQUESTED, to=Side.THERAPIST)
    return for_client(stored)


def session_withdraw(*, user: User, session_id: str) -> TherapySession:
    """The client takes back a pending request."""
    session = session_for_client(user, session_id)
    if session.status is not SessionStatus.PENDING:
        raise InvalidSession("Only a request that is still waiting can be withdrawn.")
    # The time's claim (a booked open time) is released in the same transaction.
    updated = BookingRepository().update_releasing(
        replace(session, status=SessionStatus.CANCELLED, cancelled_by=AccountKind.CLIENT),
        expected_version=session.version,
    )
    logger.info("session %s withdrawn by client %s", session_id, session.client_id)
    session_notice(updated, SessionNotice.WITHDRAWN, to=Side.THERAPIST)
    _time_freed(updated)
    return for_client(updated)


def _cancellation_window(therapist_id: str) -> timedelta:
    therapist = TherapistRepository().get(therapist_id)
    hours = therapist.cancellation_window_hours if therapist else DEFAULT_CANCELLATION_WINDOW_HOURS
    return timedelta(hours=hours)


@dataclass(frozen=True)
class ClientCancelPreview:
    """What the client is told before cancelling: whether it would be late, and the window."""

    session: TherapySession
    window_hours: int
    late: bool


def client_cancel_preview(*, user: User, session_id: str, now: datetime | None = None) -> ClientCancelPreview:
    session = session_for_client(user, session_id)
    window = _cancellation_window(session.therapist_id)
    late = session.scheduled_for - (now or utcnow()) < window
    return ClientCancelPreview(for_client(session), int(window.total_seconds() // 3600), late)


def session_cancel_by_client(*, user: User, session_id: str, now: datetime | None = None) -> TherapySession:
    """The client cancels an approved session.

    Inside the therapist's cancellation window (set on their profile) the
    cancellation is recorded as late, and both see it so; it has no other
    consequence here. A request still waiting is withdrawn instead.
    """
    session = session_for_client(user, session_id)
    if session.status is not SessionStatus.APPROVED:
        raise InvalidSession("Only an approved session that has not started can be cancelled.")
    if not care_is_active(session.client_id, session.therapist_id):
        raise ReadOnlySession("You no longer work with this therapist: the session can't change.")
    now = now or utcnow()
    late = session.scheduled_for - now < _cancellation_window(session.therapist_id)
    # The time's claim (a booked open time) is released in the same transaction.
    updated = BookingRepository().update_releasing(
        replace(
            session,
            status=SessionStatus.CANCELLED,
            cancelled_by=AccountKind.CLIENT,
            cancelled_at=now,
            late_cancellation=late,
            proposed_for=None,
        ),
        expected_version=session.version,
    )
    logger.info("session %s cancelled by client %s (late: %s)", session_id, session.client_id, late)
    session_notice(updated, SessionNotice.CANCELLED, to=Side.THERAPIST)
    _time_freed(updated)
    return for_client(updated)


def session_move_request(*, user: User, session_id: str, scheduled_for: datetime) -> TherapySession:
    """The client asks to move an approved session to another time.

    The session keeps its time (still booked, still in both agendas) until the
    therapist approves the move; asking again replaces the time asked for.
    """
    session = session_for_client(user, session_id)
    if session.status is not SessionStatus.APPROVED:
        raise InvalidSession("Only an approved session can move to another time.")
    if not care_is_active(session.client_id, session.therapist_id):
        raise ReadOnlySession("You no longer work with this therapist: the session can't change.")
    _check_time(scheduled_for)
    updated = SessionRepository().update(replace(session, proposed_for=scheduled_for), expected_version=session.version)
    logger.info("session %s: client %s asked to move it", session_id, session.client_id)
    session_notice(updated, SessionNotice.MOVE_REQUESTED, to=Side.THERAPIST)
    return for_client(updated)


def session_move_answer(
    *, user: User, session_id: str, approve: bool, confirm_overlap: bool = False
) -> TherapySession:
    """The therapist approves the time the client asked for (the session moves there) or declines it."""
    session = _therapist_session(user, session_id)
    if session.proposed_for is None or session.status is not SessionStatus.APPROVED:
        raise InvalidSession("There is no new time waiting for an answer.")
    repository = SessionRepository()
    if not approve:
        updated = repository.update(replace(session, proposed_for=None), expected_version=session.version)
        logger.info("session %s: move declined by therapist %s", session_id, session.therapist_id)
        session_notice(updated, SessionNotice.MOVE_DECLINED, to=Side.CLIENT)
        return updated
    _check_overlap(
        session.therapist_id,
        session.proposed_for,
        session.duration_minutes,
        ignore=session.session_id,
        confirmed=confirm_overlap,
    )
    # As a reschedule: the old time's claim is released and the new one claimed in the same transaction.
    try:
        updated = BookingRepository().update_moving(
            replace(
                session,
                scheduled_for=session.proposed_for,
                proposed_for=None,
                client_reminded_at=None,
                therapist_reminded_at=None,
            ),
            previous_start=session.scheduled_for,
            expected_version=session.version,
        )
    except TimeTaken:
        raise InvalidSession("A client booked that time a moment ago: keep the session or move it elsewhere.") from None
    if updated.scheduled_for != session.scheduled_for:
        _time_freed(session)
    logger.info("session %s: move approved by therapist %s", session_id, session.therapist_id)
    session_notice(updated, SessionNotice.RESCHEDULED, to=Side.CLIENT, previous=session.scheduled_for)
    _questionnaires_follow(updated)
    return updated


def cancellation_window_set(*, user: User, hours: int) -> None:
    """The therapist's cancellation window: a client's cancellation closer to the session is late."""
    if not 0 <= hours <= MAX_CANCELLATION_WINDOW_HOURS:
        raise InvalidSession(f"A cancellation window is between 0 and {MAX_CANCELLATION_WINDOW_HOURS} hours.")
    TherapistRepository().set_cancellation_window(own_therapist_id(user), hours)


@dataclass(frozen=True)
class ClientSessions:
    upcoming: Page[TherapySession]
    pending: Page[TherapySession]
    past: Page[TherapySession]


def client_sessions(
    *,
    user: User,
    upcoming_cursor: str | None = None,
    pending_cursor: str | None = None,
    past_cursor: str | None = None,
) -> ClientSessions:
    """The client's upcoming, requested and past sessions: one Query each, a page at a time."""
    client_id = own_client_id(user)
    repo = SessionRepository()
    # An hour back so a session under way still shows as the next one.
    current = utcnow() - timedelta(minutes=MAX_SESSION_MINUTES)
    upcoming = repo.list_section(
        "client", client_id, "upcoming", after=current, limit=PAGE_SIZE, cursor=upcoming_cursor, clinical=False
    )
    # Every request still waiting, however old: it is there until someone answers or withdraws it.
    pending = repo.list_section(
        "client", client_id, "requests", limit=PAGE_SIZE, cursor=pending_cursor, clinical=False
    )
    # Held, declined, cancelled and withdrawn sessions, newest first, whenever they were (or would have been).
    past = repo.list_section(
        "client", client_id, "history", newest_first=True, limit=PAGE_SIZE, cursor=past_cursor, clinical=False
    )
    # The section indexes copy no clinical text: titles, whether there are shared notes and the
    # reasons the history shows, for all three sections in one read.
    upcoming, pending, past = repo.with_titles([upcoming, pending, past], shared_notes=True, reasons=True)
    return ClientSessions(
        upcoming=Page([for_client(s) for s in upcoming.items], upcoming.next_cursor),
        pending=Page([for_client(s) for s in pending.items], pending.next_cursor),
        past=Page([for_client(s) for s in past.items], past.next_cursor),
    )


def sessions_not_closed_before(
    *, user: User, before: datetime, cursor: str | None = None
) -> Page[TherapySession]:
    """Approved or open sessions whose time came before ``before`` and that nobody closed or cancelled.

    They leave the upcoming list once their day has passed, and are in no history
    until they are closed or cancelled: this list keeps them findable (newest first).
    """
    repo = SessionRepository()
    if user.kind is AccountKind.THERAPIST:
        return repo.list_section(
            "therapist", own_therapist_id(user), "upcoming", before=before, newest_first=True,
            limit=PAGE_SIZE, cursor=cursor,
        )
    page = repo.list_section(
        "client", own_client_id(user), "upcoming", before=before, newest_first=True, limit=PAGE_SIZE, cursor=cursor
    )
    return Page([for_client(s) for s in page.items], page.next_cursor)


@dataclass(frozen=True)
class ClientSessionPage:
    session: TherapySession
    active: bool  # the relationship goes on, so the session may still change


def client_session_page(*, user: User, session_id: str) -> ClientSessionPage:
    session = session_for_client(user, session_id)
    return ClientSessionPage(
        session=for_client(session), active=care_is_active(session.client_id, session.therapist_id)
    )


# --- the therapist's side -----------------------------------------------------------------


def _therapist_session(user: User, session_id: str) -> TherapySession:
    """The therapist's own session, refusing changes once the relationship has ended."""
    session = session_for_therapist(user, session_id)
    if not care_is_active(session.client_id, session.therapist_id):
        raise ReadOnlySession("You no longer work with this client: the session can't change.")
    return session


def _questionnaires_follow(session: TherapySession) -> None:
    """Questionnaires asked for before every session follow the pair's approved sessions. Best effort:
    the session has changed already, and the next change or assignment sets the reminder again."""
    try:
        measures_session_scheduled(client_id=session.client_id, therapist_id=session.therapist_id)
    except Exception as exc:  # nothing here may fail the session change; ids only in the log
        logger.warning("questionnaires not updated after session %s: %s", session.session_id, type(exc).__name__)


def session_create(
    *,
    user: User,
    client_id: str,
    title: str,
    scheduled_for: datetime,
    duration_minutes: int = DEFAULT_SESSION_MINUTES,
    location: str = "",
    idempotency_key: str,
    confirm_overlap: bool = False,
) -> TherapySession:
    """A therapist books a session with an active client directly: it starts approved."""
    therapist_id = own_therapist_id(user)
    title = _check_title(title)
    location = _check_text(location, "Where", MAX_LOCATION_LENGTH)
    _check_time(scheduled_for)
    _check_duration(duration_minutes)
    require_active_care(client_id, therapist_id)
    try:
        _check_overlap(therapist_id, scheduled_for, duration_minutes, ignore=None, confirmed=confirm_overlap)
    except SessionOverlap:
        # A repeat of a form that was booked overlaps its own twin: it is that one.
        earlier = SessionRepository().created_with(therapist_id, idempotency_key)
        if earlier is not None:
            return earlier
        raise
    client = ClientRepository().get(client_id)
    session = TherapySession(
        session_id=new_id(),
        therapist_id=therapist_id,
        client_id=client_id,
        title=title,
        scheduled_for=scheduled_for,
        status=SessionStatus.APPROVED,
        duration_minutes=duration_minutes,
        location=location,
        requested_by=AccountKind.THERAPIST,
        client_name=client.name if client else "",
        therapist_name=user.name,
        created_at=utcnow(),
    )
    stored = SessionRepository().create(session, idempotency_key=idempotency_key)
    logger.info("session %s created by therapist %s", stored.session_id, therapist_id)
    session_notice(stored, SessionNotice.BOOKED, to=Side.CLIENT)
    _questionnaires_follow(stored)
    return stored


def session_approve(
    *,
    user: User,
    session_id: str,
    location: str,
    duration_minutes: int = DEFAULT_SESSION_MINUTES,
    confirm_overlap: bool = False,
) -> TherapySession:
    session = _therapist_session(user, session_id)
    location = _check_text(location, "Where", MAX_LOCATION_LENGTH)
    _check_duration(duration_minutes)
    if session.status is SessionStatus.PENDING:
        _check_overlap(
            session.therapist_id,
            session.scheduled_for,
            duration_minutes,
            ignore=session.session_id,
            confirmed=confirm_overlap,
        )
    updated = SessionRepository().update(
        replace(
            session,
            status=SessionStatus.APPROVED,
            location=location,
            duration_minutes=duration_minutes,
            client_reminded_at=None,
            therapist_reminded_at=None,
        ),
        expected_version=session.version,
        reset_reminders=True,
    )
    logger.info("session %s approved by therapist %s", session_id, session.therapist_id)
    if session.status is SessionStatus.PENDING:
        session_notice(updated, SessionNotice.APPROVED, to=Side.CLIENT)
    _questionnaires_follow(updated)
    return updated


def session_reject(*, user: User, session_id: str, reason: str = "") -> TherapySession:
    session = _therapist_session(user, session_id)
    reason = _check_text(reason, "A reason")
    updated = BookingRepository().update_releasing(
        replace(session, status=SessionStatus.REJECTED, rejection_reason=reason),
        expected_version=session.version,
    )
    logger.info("session %s rejected by therapist %s", session_id, session.therapist_id)
    session_notice(updated, SessionNotice.DECLINED, to=Side.CLIENT)
    _time_freed(updated)
    return updated


def _move(user: User, session_id: str, target: SessionStatus, verb: str) -> TherapySession:
    session = _therapist_session(user, session_id)
    changes: dict[str, object] = {"status": target}
    if target is SessionStatus.CANCELLED:
        changes["cancelled_by"] = AccountKind.THERAPIST
        changes["cancelled_at"] = utcnow()
    # The write's own condition refuses an illegal move (IllegalTransition); a cancel releases the time's claim.
    if target is SessionStatus.CANCELLED:
        updated = BookingRepository().update_releasing(replace(session, **changes), expected_version=session.version)  # type: ignore[arg-type]
    else:
        updated = SessionRepository().update(replace(session, **changes), expected_version=session.version)  # type: ignore[arg-type]
    logger.info("session %s %s by therapist %s", session_id, verb, session.therapist_id)
    if target is SessionStatus.CANCELLED:
        session_notice(updated, SessionNotice.CANCELLED, to=Side.CLIENT)
        _time_freed(updated)
    return updated


def _time_freed(session: TherapySession) -> None:
    # Imported here: the booking service builds on this module.
    from portal.services.booking import time_freed

    time_freed(session)


def session_open(*, user: User, session_id: str) -> TherapySession:
    return _move(user, session_id, SessionStatus.OPEN, "opened")


def session_close(*, user: User, session_id: str) -> TherapySession:
    """Close an open session, and keep its time as the pair's last session.

    The relationship record's ``lastSessionAt`` moves in the same transaction
    (see SessionRepository.close), so "since last session" never lags a close.
    The session keeps the previous session's time as the record held it, so
    its own page later shows the window it covered.
    """
    session = session_for_therapist(user, session_id)
    active, record = care_with_record(session.client_id, session.therapist_id)
    if not active:
        raise ReadOnlySession("You no longer work with this client: the session can't change.")
    last = record.last_session_at if record else None
    previous = last if last is not None and last < session.scheduled_for else None
    closed = SessionRepository().close(
        replace(session, status=SessionStatus.CLOSED, previous_session_at=previous),
        expected_version=session.version,
    )
    logger.info("session %s closed by therapist %s", session_id, session.therapist_id)
    return closed


def session_cancel(*, user: User, session_id: str) -> TherapySession:
    return _move(user, session_id, SessionStatus.CANCELLED, "cancelled")


def session_reschedule(
    *,
    user: User,
    session_id: str,
    scheduled_for: datetime,
    duration_minutes: int,
    location: str,
    confirm_overlap: bool = False,
) -> TherapySession:
    """A new time (and place) for a pending or approved session; reminders follow the new time."""
    session = _therapist_session(user, session_id)
    if session.status not in RESCHEDULABLE:
        raise InvalidSession("Only a requested or approved session can move to another time.")
    location = _check_text(location, "Where", MAX_LOCATION_LENGTH)
    _check_time(scheduled_for)
    _check_duration(duration_minutes)
    if session.status is SessionStatus.APPROVED:
        _check_overlap(
            session.therapist_id,
            scheduled_for,
            duration_minutes,
            ignore=session.session_id,
            confirmed=confirm_overlap,
        )
    # The old time's claim is released and the new one claimed in the same transaction.
    try:
        updated = BookingRepository().update_moving(
            replace(
                session,
                scheduled_for=scheduled_for,
                duration_minutes=duration_minutes,
                location=location,
                client_reminded_at=None,
                therapist_reminded_at=None,
            ),
            previous_start=session.scheduled_for,
            expected_version=session.version,
        )
    except TimeTaken:
        raise InvalidSession("A client booked that time a moment ago: choose another.") from None
    if updated.scheduled_for != session.scheduled_for:
        _time_freed(session)
    logger.info("session %s rescheduled by therapist %s", session_id, session.therapist_id)
    session_notice(updated, SessionNotice.RESCHEDULED, to=Side.CLIENT, previous=session.scheduled_for)
    _questionnaires_follow(updated)
    return updated


def session_notes_save(
    *, user: User, session_id: str, version: int, private_notes: str, shared_notes: str
) -> TherapySession:
    """Save both notes, only over the version the therapist was editing.

    A stale save raises NotesConflict carrying the newer session, so the page
    can keep what was typed and show what changed beside it.
    """
    session = _therapist_session(user, session_id)
    private_notes = _check_text(private_notes, "Private notes", MAX_SESSION_NOTES_LENGTH)
    shared_notes = _check_text(shared_notes, "Shared notes", MAX_SESSION_NOTES_LENGTH)
    if session.status in {SessionStatus.REJECTED, SessionStatus.CANCELLED}:
        raise InvalidSession("A session that will not take place has no notes.")
    if session.version != version:
        raise NotesConflict(session)
    try:
        updated = SessionRepository().update(
            replace(session, private_notes=private_notes, shared_notes=shared_notes),
            expected_version=version,
        )
    except Conflict:
        current = session_for_therapist(user, session_id)
        raise NotesConflict(current) from None
    logger.info("session %s notes saved by therapist %s", session_id, session.therapist_id)
    return updated


@dataclass(frozen=True)
class TherapistSessions:
    agenda: Page[TherapySession]
    requests: Page[TherapySession]
    past: Page[TherapySession]


def therapist_sessions(
    *,
    user: User,
    today_starts: datetime,
    agenda_cursor: str | None = None,
    requests_cursor: str | None = None,
    past_cursor: str | None = None,
) -> TherapistSessions:
    """Today and upcoming in time order, requests to answer, and past sessions: one Query each."""
    therapist_id = own_therapist_id(user)
    repo = SessionRepository()
    agenda = repo.list_section(
        "therapist", therapist_id, "upcoming", after=today_starts, limit=PAGE_SIZE, cursor=agenda_cursor, clinical=False
    )
    # Every request still waiting, oldest first: none is hidden behind answered ones.
    requests = repo.list_section(
        "therapist", therapist_id, "requests", limit=PAGE_SIZE, cursor=requests_cursor, clinical=False
    )
    past = repo.list_section(
        "therapist", therapist_id, "history", newest_first=True, limit=PAGE_SIZE, cursor=past_cursor, clinical=False
    )
    # The section indexes copy no clinical text: the titles of all three in one read.
    agenda, requests, past = repo.with_titles([agenda, requests, past])
    return TherapistSessions(agenda=agenda, requests=requests, past=past)


@dataclass(frozen=True)
class SinceLastSession:
    since: datetime
    until: datetime
    # No earlier session is known for this one: the panel covers FIRST_SESSION_LOOKBACK before it.
    first_session: bool
    entries: list[JournalEntry]
    truncated: bool
    chart: MoodChart


@dataclass(frozen=True)
class TherapistSessionPage:
    session: TherapySession
    active: bool
    since_last: SinceLastSession | None


def previous_session_time(*, session: TherapySession, record: Relationship | None) -> datetime | None:
    """When the pair's session before ``session`` took place, with no read of its own.

    A closed session carries the time it was closed after (kept at close), so
    a past session's panel keeps its own window; any other session takes the
    relationship record's ``lastSessionAt`` when that is earlier than it. A
    record already past this session (it is older than the last one closed)
    says nothing about what came before it: None.
    """
    if session.status is SessionStatus.CLOSED:
        return session.previous_session_at
    last = record.last_session_at if record else None
    return last if last is not None and last < session.scheduled_for else None


def since_last_session(
    *,
    session: TherapySession,
    record: Relationship | None,
    time_zone: str,
    now: datetime | None = None,
) -> SinceLastSession:
    """What the client shared, felt between the previous session and this one's end (or now).

    One Query of the shared-by-time index: the entries and the chart both come
    from it, so private entries are never read.
    """
    now = now or utcnow()
    previous = previous_session_time(session=session, record=record)
    until = min(now, session.ends_at)
    since = previous or (session.scheduled_for - FIRST_SESSION_LOOKBACK)
    if since > until:
        since = until - FIRST_SESSION_LOOKBACK
    entries, truncated = JournalRepository().list_shared_felt_between(
        session.client_id, start=since, end=until
    )
    chart = mood_chart(entries=entries, time_zone=time_zone, start=since, end=until, feeling=None)
    return SinceLastSession(
        since=since,
        until=until,
        first_session=previous is None,
        entries=list(reversed(entries)),
        truncated=truncated,
        chart=chart,
    )


def _audit_ended_read(session: TherapySession) -> None:
    """A read of a session of an ended relationship: someone the client no longer works with."""
    AuditRepository().record(
        subject_id=session.client_id,
        action=ENDED_READ,
        actor_kind=AccountKind.THERAPIST,
        actor_id=session.therapist_id,
        detail={"session": session.session_id},
    )


def _read_as_therapist(user: User, session_id: str) -> tuple[TherapySession, bool]:
    """The therapist's session and whether the relationship is active (reads of an ended one audited)."""
    session = session_for_therapist(user, session_id)
    active = care_is_active(session.client_id, session.therapist_id)
    if not active:
        _audit_ended_read(session)
    return session, active


def session_for_therapist_read(*, user: User, session_id: str) -> TherapySession:
    return _read_as_therapist(user, session_id)[0]


def therapist_session_page(*, user: User, session_id: str, time_zone: str) -> TherapistSessionPage:
    """One session for its therapist, with "since last session" while the relationship is active.

    The session (GetItem), the mapping and the relationship record together
    (one BatchGetItem), and the shared entries (one Query): a fixed cost.
    """
    session = session_for_therapist(user, session_id)
    active, record = care_with_record(session.client_id, session.therapist_id)
    if not active:
        _audit_ended_read(session)
        return TherapistSessionPage(session=session, active=False, since_last=None)
    if session.status in {SessionStatus.REJECTED, SessionStatus.CANCELLED}:
        return TherapistSessionPage(session=session, active=True, since_last=None)
    since = since_last_session(session=session, record=record, time_zone=time_zone)
    return TherapistSessionPage(session=session, active=True, since_last=since)


def _cancel_if_upcoming(
    repository: SessionRepository, session: TherapySession, *, now: datetime, ended_by: AccountKind
) -> bool:
    """Cancel ``session`` if it is still pending or approved and ahead, from its current version.

    A Conflict means it changed since it was read (approved or moved a moment
    ago): read it again and decide from that. A change that comes after the
    cancel fails on its own version condition.
    """
    for _attempt in range(_CANCEL_ATTEMPTS):
        if session.status not in (SessionStatus.PENDING, SessionStatus.APPROVED) or session.scheduled_for < now:
            return False
        try:
            repository.update(
                replace(session, status=SessionStatus.CANCELLED, cancelled_by=ended_by),
                expected_version=session.version,
            )
        except Conflict:
            current = repository.get(session.session_id)
            if current is None:
                return False
            session = current
            continue
        except (IllegalTransition, NotFound):
            return False
        return True
    logger.warning("session %s kept changing while its relationship ended; left as it is", session.session_id)
    return False


def sessions_cancel_for_ended_relationship(*, client_id: str, therapist_id: str, ended_by: AccountKind) -> int:
    """Cancel the pair's pending and approved sessions still ahead: the relationship has just ended.

    Past sessions stay as they are (the clinical record). Decided from
    consistent reads, never from the session index alone, which may lag: a
    session made a moment ago may be missing from it and one approved a moment
    ago may show as pending. Every session made while the pair was active has
    its id on the relationship record, written in the transaction that made it
    and refused once the end is written (relationships.session_made_op), so a
    consistent read of the record, after the end, lists all of them. The index
    adds sessions made before those marks began. Each session is then read
    consistently and cancelled from its current version (_cancel_if_upcoming).
    A POST action, bounded by the sessions the pair ever made.
    """
    repository = SessionRepository()
    records = RelationshipRepository()
    # One clock for the whole run: the index cursor's scope names it, so every page must share it.
    now = utcnow()
    record = records.get(client_id, therapist_id)
    marked = set(record.session_ids) if record is not None else set()
    candidates = set(marked)
    # Every pending and approved session ahead, however many (the section index, read to its end).
    candidates.update(
        s.session_id for s in repository.client_sessions_ahead(client_id, after=now) if s.therapist_id == therapist_id
    )
    cancelled = 0
    settled: list[str] = []
    for session in repository.get_many(sorted(candidates)):
        if session.client_id != client_id or session.therapist_id != therapist_id:
            continue
        if _cancel_if_upcoming(repository, session, now=now, ended_by=ended_by):
            cancelled += 1
        made = session.created_at
        if session.session_id in marked and made is not None and made < now - INDEX_SETTLED:
            settled.append(session.session_id)
    # Marks of sessions made long ago are in the index by now: the record need not keep them.
    records.forget_session_ids(client_id, therapist_id, settled)
    if cancelled:
        logger.info("%d sessions of client %s with therapist %s cancelled at the end", cancelled, client_id, therapist_id)
    return cancelled

