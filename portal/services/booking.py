"""Booking by availability: a therapist's hours, a client's week of open times, one-tap requests,
recurring series, and a small waitlist.

The rules that decide who gets a time live in DynamoDB (the claim written with
the session, portal/dynamo/booking.py); here: what is offered, and what a
request or a series becomes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from portal.accounts.user import User
from portal.availability import (
    MAX_DATES_OFF,
    Availability,
    InvalidAvailability,
    RequestsOff,
    TimeTaken,
    availability_default,
)
from portal.domain import (
    MAX_LOCATION_LENGTH,
    MAX_SESSION_TEXT_LENGTH,
    AccountKind,
    Conflict,
    IllegalTransition,
    Mapping,
    NotFound,
    SessionStatus,
    Side,
    TherapySession,
)
from portal.dynamo.booking import BookingRepository, Series, WaitRequest
from portal.dynamo.clients import ClientRepository
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.therapists import TherapistRepository
from portal.ids import new_id
from portal.policy import active_mapping_for_client, active_mapping_for_therapist, own_therapist_id
from portal.services.open_times import (
    Busy,
    OpenWeek,
    in_hours,
    is_open,
    nearest_open,
    open_week,
    series_starts,
    week_bounds,
    week_start_of,
)
from portal.services.session_notices import SessionNotice, session_notice
from portal.services.sessions import InvalidSession, ReadOnlySession, for_client, session_cancel
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

# Sessions that hold their time (a declined, cancelled or closed one frees it).
HOLDING = (SessionStatus.PENDING, SessionStatus.APPROVED, SessionStatus.OPEN)
# One Query reads a week of the therapist's sessions: more than any week holds.
WEEK_SESSIONS_LIMIT = 100
NEAREST_COUNT = 3
WAITLIST_DAYS = 56


def session_title(therapist_name: str) -> str:
    return f"Session with {therapist_name}".strip() if therapist_name else "Session"


# --- the therapist's hours -------------------------------------------------------------------


def availability_for(*, user: User) -> Availability:
    """The therapist's own availability (a blank one, in their zone, before they set any)."""
    therapist_id = own_therapist_id(user)
    saved = BookingRepository().availability(therapist_id, consistent=True)
    return saved or availability_default(therapist_id, user.time_zone)


def availability_save(*, user: User, availability: Availability, expected_version: int) -> Availability:
    """Save hours in the therapist's current zone; Conflict when they were saved elsewhere meanwhile."""
    therapist_id = own_therapist_id(user)
    if len(availability.dates_off) > MAX_DATES_OFF:
        raise InvalidAvailability(f"At most {MAX_DATES_OFF} dates off.")
    today = utcnow().date()
    # Dates off that have passed say nothing any more.
    kept = frozenset(d for d in availability.dates_off if d >= today - timedelta(days=1))
    saved = BookingRepository().save_availability(
        replace(availability, therapist_id=therapist_id, zone=user.time_zone, dates_off=kept),
        expected_version=expected_version,
    )
    logger.info("availability of therapist %s saved", therapist_id)
    return saved


def online_requests_on(therapist_id: str) -> bool:
    """For the directory profile: whether a client can pick one of this therapist's times online."""
    saved = BookingRepository().availability(therapist_id)
    return bool(saved and saved.online_requests and saved.weekly_hours)


# --- the client's week -------------------------------------------------------------------------


@dataclass(frozen=True)
class BookableWeek:
    therapist_id: str
    therapist_name: str
    availability: Availability
    week: OpenWeek
    client_zone: str
    # The time a client asked for that was just taken, and the nearest still open (in the client's zone).
    taken: datetime | None = None
    nearest: tuple[datetime, ...] = ()


def _busy(therapist_id: str, start: datetime, end: datetime) -> list[Busy]:
    times = BookingRepository().busy_times(therapist_id, start, end, limit=WEEK_SESSIONS_LIMIT)
    return [Busy(begins, ends) for begins, ends in times]


def _therapist_name(mapping: Mapping) -> str:
    """The name the mapping carries (a mapping from before names were copied on: one read of the account)."""
    if mapping.therapist_name:
        return mapping.therapist_name
    therapist = TherapistRepository().get(mapping.therapist_id)
    return therapist.name if therapist else ""


def _client_name(mapping: Mapping) -> str:
    if mapping.client_name:
        return mapping.client_name
    client = ClientRepository().get(mapping.client_id)
    return client.name if client else ""


def _client_zone(user: User) -> ZoneInfo:
    return ZoneInfo(user.time_zone or "UTC")


def bookable_week(*, user: User, therapist_id: str, week_start: date | None = None) -> BookableWeek:
    """A week of the therapist's open times in the client's zone: the mapping (consistent), the
    availability item and one Query of the therapist's sessions in that week."""
    mapping = active_mapping_for_client(user, therapist_id)
    zone = _client_zone(user)
    now = utcnow()
    availability = BookingRepository().availability(therapist_id) or availability_default(therapist_id, "UTC")
    this_week = week_start_of(now, zone)
    last_week = week_start_of(now + timedelta(weeks=availability.horizon_weeks), zone)
    wanted = week_start or this_week
    wanted = min(max(wanted - timedelta(days=wanted.weekday()), this_week), last_week)
    start, end = week_bounds(wanted, zone)
    busy = _busy(therapist_id, start, end) if availability.online_requests else []
    week = open_week(availability, busy=busy, now=now, week_start=wanted, client_zone=zone)
    return BookableWeek(
        therapist_id=therapist_id,
        therapist_name=_therapist_name(mapping),
        availability=availability,
        week=week,
        client_zone=str(zone),
    )


class TakenTime(TimeTaken):
    """The asked-for time is not open (any more); ``week`` shows its week with the nearest open times."""

    def __init__(self, week: BookableWeek) -> None:
        super().__init__("That time was just taken. Here are the nearest open times.")
        self.week = week


def _taken(user: User, therapist_id: str, start: datetime) -> TakenTime:
    zone = _client_zone(user)
    week = bookable_week(user=user, therapist_id=therapist_id, week_start=week_start_of(start, zone))
    window_start, window_end = week_bounds(week.week.week_start, zone)
    busy = _busy(therapist_id, window_start, window_end)
    nearest = nearest_open(
        week.availability,
        busy=busy,
        now=utcnow(),
        around=start,
        start=window_start,
        end=window_end,
        count=NEAREST_COUNT,
    )
    return TakenTime(replace(week, taken=start, nearest=tuple(nearest)))


def booking_request(
    *, user: User, therapist_id: str, start: datetime, message: str, idempotency_key: str
) -> TherapySession:
    """Ask for one of the therapist's open times: pending, or approved at once with instant booking.

    Raises TakenTime (with the nearest open times) when the time is not open or another
    request took it a moment ago, RequestsOff when the therapist takes no online requests.
    """
    mapping = active_mapping_for_client(user, therapist_id)
    message = message.strip()
    if len(message) > MAX_SESSION_TEXT_LENGTH:
        raise InvalidSession(f"A message holds at most {MAX_SESSION_TEXT_LENGTH} characters.")
    repo = BookingRepository()
    availability = repo.availability(therapist_id, consistent=True)
    if availability is None or not availability.online_requests:
        raise RequestsOff("Your therapist takes no online requests at the moment.")
    earlier = SessionRepository().created_with(user.account_id, idempotency_key)
    if earlier is not None:
        return for_client(earlier)
    therapist_name = _therapist_name(mapping)
    length = timedelta(minutes=availability.session_minutes)
    now = utcnow()
    busy = _busy(therapist_id, start - length, start + 2 * length)
    if not is_open(availability, busy=busy, now=now, slot=start):
        raise _taken(user, therapist_id, start)
    status = SessionStatus.APPROVED if availability.instant_booking else SessionStatus.PENDING
    session = TherapySession(
        session_id=new_id(),
        therapist_id=therapist_id,
        client_id=user.account_id,
        title=session_title(therapist_name),
        scheduled_for=start,
        status=status,
        duration_minutes=availability.session_minutes,
        request_message=message,
        requested_by=AccountKind.CLIENT,
        client_name=user.name,
        therapist_name=therapist_name,
        created_at=now,
    )
    try:
        stored, _created = repo.create_claimed(session, idempotency_key=idempotency_key)
    except TimeTaken:
        raise _taken(user, therapist_id, start) from None
    logger.info("session %s booked by client %s (%s)", stored.session_id, user.account_id, stored.status)
    if _created:
        kind = SessionNotice.BOOKED if stored.status is SessionStatus.APPROVED else SessionNotice.REQUESTED
        session_notice(stored, kind, to=Side.THERAPIST)
    return for_client(stored)


# --- recurring series ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    start: datetime
    # Why this one needs a look before saving ("" when none): a booked time, a date off, outside hours.
    collision: str = ""
    outside_hours: bool = False


@dataclass(frozen=True)
class SeriesPlan:
    client_id: str
    client_name: str
    occurrences: tuple[Occurrence, ...]
    duration_minutes: int
    location: str

    @property
    def collisions(self) -> tuple[Occurrence, ...]:
        return tuple(o for o in self.occurrences if o.collision)

    @property
    def outside_hours(self) -> tuple[Occurrence, ...]:
        return tuple(o for o in self.occurrences if o.outside_hours)


def series_plan(
    *,
    user: User,
    client_id: str,
    first: datetime,
    every_weeks: int,
    count: int | None,
    until: date | None,
    duration_minutes: int,
    location: str,
) -> SeriesPlan:
    """Every occurrence of a series at the first one's wall-clock time in the therapist's zone, each
    with what it collides with (a booked session, a date off) and whether it lies outside the hours.
    One consistent read of the mapping, the availability item, and one Query of the span."""
    therapist_id = own_therapist_id(user)
    mapping = active_mapping_for_therapist(user, client_id)
    location = location.strip()
    if len(location) > MAX_LOCATION_LENGTH:
        raise InvalidSession(f"Where holds at most {MAX_LOCATION_LENGTH} characters.")
    if first < utcnow():
        raise InvalidSession("Choose a first session that has not passed yet.")
    zone = ZoneInfo(user.time_zone or "UTC")
    try:
        starts = series_starts(first, zone, every_weeks=every_weeks, count=count, until=until)
    except ValueError as exc:
        raise InvalidSession("Say how often, and either how many sessions or until when.") from exc
    availability = BookingRepository().availability(therapist_id, consistent=True) or availability_default(
        therapist_id, user.time_zone
    )
    length = timedelta(minutes=duration_minutes)
    booked = (
        SessionRepository()
        .list_by_therapist(
            therapist_id,
            after=starts[0] - timedelta(hours=4),
            before=starts[-1] + length,
            statuses=HOLDING,
            limit=100,
        )
        .items
    )
    occurrences = []
    for start in starts:
        end = start + length
        clash = next((s for s in booked if s.scheduled_for < end and start < s.ends_at), None)
        collision = ""
        if clash is not None:
            collision = "another session is booked then"
        elif start.astimezone(ZoneInfo(availability.zone)).date() in availability.dates_off:
            collision = "a date off"
        outside = bool(availability.weekly_hours) and not in_hours(
            replace(availability, session_minutes=duration_minutes), start
        )
        occurrences.append(Occurrence(start=start, collision=collision, outside_hours=outside))
    return SeriesPlan(
        client_id=client_id,
        client_name=_client_name(mapping),
        occurrences=tuple(occurrences),
        duration_minutes=duration_minutes,
        location=location,
    )


@dataclass(frozen=True)
class SeriesResult:
    series_id: str
    sessions: tuple[TherapySession, ...]
    skipped: tuple[datetime, ...]  # occurrences left out because their time was taken


def series_create(*, user: User, plan: SeriesPlan, idempotency_key: str) -> SeriesResult:
    """Book every occurrence the therapist kept (collisions left out), each its own approved session.

    Each occurrence is created with its own key derived from the form's, in its own transaction
    with the claim of its time: a double submit or a retry after a failure half-way makes each
    occurrence once, so one series. The series id is derived from the form's key for the same reason.
    """
    therapist_id = own_therapist_id(user)
    active_mapping_for_therapist(user, plan.client_id)
    series_id = "S" + idempotency_key[:40]
    repo = BookingRepository()
    stored: list[TherapySession] = []
    skipped: list[datetime] = []
    for n, occurrence in enumerate(plan.occurrences):
        if occurrence.collision:
            continue
        session = TherapySession(
            session_id=new_id(),
            therapist_id=therapist_id,
            client_id=plan.client_id,
            title=session_title(user.name),
            scheduled_for=occurrence.start,
            status=SessionStatus.APPROVED,
            duration_minutes=plan.duration_minutes,
            location=plan.location,
            requested_by=AccountKind.THERAPIST,
            client_name=plan.client_name,
            therapist_name=user.name,
            created_at=utcnow(),
        )
        try:
            created, _ = repo.create_claimed(session, idempotency_key=f"{idempotency_key}.{n}", series_id=series_id)
        except TimeTaken:
            skipped.append(occurrence.start)
            continue
        stored.append(created)
    if stored:
        repo.save_series(
            Series(series_id, therapist_id, plan.client_id, tuple((s.scheduled_for, s.session_id) for s in stored))
        )
    logger.info("series %s of %d sessions booked by therapist %s", series_id, len(stored), therapist_id)
    return SeriesResult(series_id=series_id, sessions=tuple(stored), skipped=tuple(skipped))


@dataclass(frozen=True)
class SeriesPage:
    series: Series
    sessions: tuple[TherapySession, ...]


def series_page(*, user: User, series_id: str) -> SeriesPage:
    therapist_id = own_therapist_id(user)
    series = BookingRepository().series(therapist_id, series_id)
    if series is None:
        raise NotFound("No such series.")
    repo = SessionRepository()
    sessions = tuple(s for _, sid in series.occurrences if (s := repo.get(sid)) is not None)
    return SeriesPage(series=series, sessions=sessions)


def series_cancel(*, user: User, series_id: str, session_id: str, and_later: bool) -> int:
    """Cancel one occurrence, or it and every later one still pending or approved; each frees its time."""
    page = series_page(user=user, series_id=series_id)
    chosen = next((s for s in page.sessions if s.session_id == session_id), None)
    if chosen is None:
        raise NotFound("No such session in this series.")
    targets = [s for s in page.sessions if s.scheduled_for >= chosen.scheduled_for] if and_later else [chosen]
    cancelled = 0
    for session in targets:
        if session.status not in (SessionStatus.PENDING, SessionStatus.APPROVED):
            continue
        try:
            session_cancel(user=user, session_id=session.session_id)
        except (Conflict, IllegalTransition, NotFound, ReadOnlySession):
            continue
        cancelled += 1
    return cancelled


# --- the waitlist -----------------------------------------------------------------------------------


def waitlist_join(*, user: User, therapist_id: str, first_day: date, last_day: date) -> None:
    active_mapping_for_client(user, therapist_id)
    today = utcnow().date()
    if last_day < first_day or first_day < today - timedelta(days=1):
        raise InvalidSession("Choose a range of days from today on.")
    if (last_day - first_day).days > WAITLIST_DAYS:
        raise InvalidSession(f"Choose at most {WAITLIST_DAYS} days.")
    BookingRepository().wait(WaitRequest(therapist_id, user.account_id, first_day, last_day))
    logger.info("client %s waits for a time of therapist %s", user.account_id, therapist_id)


def waitlist_notify(*, therapist_id: str, freed: datetime) -> int:
    """A time was freed: email each client waiting for a day that holds it (in the therapist's zone),
    once: their wish is removed before the email goes, so a second run finds nothing. The email names
    no one and no other client; whoever books first through the normal booking gets the time."""
    repo = BookingRepository()
    if freed <= utcnow():
        return 0
    availability = repo.availability(therapist_id)
    if availability is None or not availability.online_requests:
        return 0
    day = freed.astimezone(ZoneInfo(availability.zone)).date()
    waiting = [w for w in repo.waiting(therapist_id) if w.first_day <= day <= w.last_day]
    if not waiting:
        return 0
    clients = ClientRepository()
    sent = 0
    for wish in waiting:
        if not repo.stop_waiting(therapist_id, wish.client_id):
            continue
        client = clients.get(wish.client_id)
        if client is None:
            continue
        body = render_to_string(
            "email/booking_time_opened.txt",
            {"link": f"{settings.PORTAL_BASE_URL.rstrip('/')}/booking/{therapist_id}/?week={day.isoformat()}"},
        )
        send_mail("A session time opened", body, None, [client.email])
        sent += 1
    logger.info("%d waiting clients of therapist %s told of a freed time", sent, therapist_id)
    return sent


def time_freed(session: TherapySession) -> None:
    """After a decline, cancel or withdraw: tell the waitlist. A failure here never undoes the cancel."""
    try:
        waitlist_notify(therapist_id=session.therapist_id, freed=session.scheduled_for)
    except Exception:  # the cancel stands whatever happens to the emails
        logger.exception("waitlist notice for therapist %s failed", session.therapist_id)
