"""Open times: which starts a client may book, computed from a therapist's hours and booked sessions.

Pure functions, no storage. Hours are wall-clock in the therapist's zone; each
range becomes two instants on its date (so a range that holds a clock change is
an hour shorter or longer), and starts step through it in real time. Results are
instants (UTC) with their local time in the client's zone, grouped by the
client's days, a week (Monday to Sunday in the client's zone) at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.availability import Availability

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Busy:
    """A time already taken (a pending, approved or open session)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class OpenTime:
    start: datetime  # UTC
    end: datetime  # UTC
    local_start: datetime  # in the client's zone

    @property
    def key(self) -> str:
        """The value a booking form posts back: the UTC start to the minute."""
        return self.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class OpenDay:
    day: date  # the client's date
    times: tuple[OpenTime, ...]


@dataclass(frozen=True)
class OpenWeek:
    week_start: date  # a Monday, in the client's zone
    days: tuple[OpenDay, ...]
    previous_week: date | None  # None: the week before holds nothing bookable any more (it is past)
    next_week: date | None  # None: beyond the horizon

    @property
    def count(self) -> int:
        return sum(len(d.times) for d in self.days)


def parse_time_key(text: str) -> datetime:
    """Reads what ``OpenTime.key`` wrote; ValueError otherwise."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%MZ")
    return moment.replace(tzinfo=UTC)


def week_start_of(moment: datetime, zone: ZoneInfo) -> date:
    local_day = moment.astimezone(zone).date()
    return local_day - timedelta(days=local_day.weekday())


def week_bounds(week_start: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a client's week starts and ends (a week with a clock change is an hour shorter or longer)."""
    start = datetime.combine(week_start, time(0), tzinfo=zone)
    end = datetime.combine(week_start + WEEK, time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a date as an instant. A time the clock skips (02:30 on a spring-forward day)
    reads with the offset before the change, which lands an hour later on the new clock; a time that
    happens twice (autumn) is its first occurrence."""
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def candidate_starts(availability: Availability, start: datetime, end: datetime) -> Iterator[datetime]:
    """Every start inside the hours between two instants (UTC), in order, ignoring notice, horizon and bookings."""
    zone = ZoneInfo(availability.zone)
    length = timedelta(minutes=availability.session_minutes)
    step = length + timedelta(minutes=availability.gap_minutes)
    # A day in the therapist's zone may begin up to a day before the window in UTC.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last_day:
        if day not in availability.dates_off:
            for hours in availability.ranges_on(day.weekday()):
                slot = _instant(day, hours.start, zone)
                range_end = _instant(day, hours.end, zone)
                while slot + length <= range_end:
                    if start <= slot < end:
                        yield slot
                    slot += step
        day += timedelta(days=1)


def _clashes(slot: datetime, length: timedelta, gap: timedelta, busy: Sequence[Busy]) -> bool:
    # The gap keeps a pause on both sides of a booked session, as between two open times.
    return any(slot < b.end + gap and b.start < slot + length + gap for b in busy)


def open_starts(
    availability: Availability, *, busy: Iterable[Busy], now: datetime, start: datetime, end: datetime
) -> list[datetime]:
    """Bookable starts between two instants: inside the hours, not on a date off, after the shortest
    notice, before the horizon, clear of every booked session and its gap."""
    length = timedelta(minutes=availability.session_minutes)
    gap = timedelta(minutes=availability.gap_minutes)
    earliest = now + timedelta(hours=availability.notice_hours)
    latest = now + timedelta(weeks=availability.horizon_weeks)
    taken = sorted(busy, key=lambda b: b.start)
    lower = max(start, earliest)
    upper = min(end, latest)
    if lower >= upper or not availability.online_requests:
        return []
    return [slot for slot in candidate_starts(availability, lower, upper) if not _clashes(slot, length, gap, taken)]


def is_open(availability: Availability, *, busy: Iterable[Busy], now: datetime, slot: datetime) -> bool:
    return slot in open_starts(availability, busy=busy, now=now, start=slot, end=slot + timedelta(minutes=1))


def open_week(
    availability: Availability, *, busy: Iterable[Busy], now: datetime, week_start: date, client_zone: ZoneInfo
) -> OpenWeek:
    """The client's week of open times, every day listed (an empty day says so on the page)."""
    start, end = week_bounds(week_start, client_zone)
    length = timedelta(minutes=availability.session_minutes)
    starts = open_starts(availability, busy=busy, now=now, start=start, end=end)
    by_day: dict[date, list[OpenTime]] = {week_start + timedelta(days=i): [] for i in range(7)}
    for slot in starts:
        local = slot.astimezone(client_zone)
        by_day[local.date()].append(OpenTime(start=slot, end=slot + length, local_start=local))
    this_week = week_start_of(now, client_zone)
    previous_week = week_start - WEEK if week_start > this_week else None
    horizon_end = now + timedelta(weeks=availability.horizon_weeks)
    next_week = week_start + WEEK if end < horizon_end else None
    return OpenWeek(
        week_start=week_start,
        days=tuple(OpenDay(day=d, times=tuple(t)) for d, t in by_day.items()),
        previous_week=previous_week,
        next_week=next_week,
    )


def nearest_open(
    availability: Availability,
    *,
    busy: Iterable[Busy],
    now: datetime,
    around: datetime,
    start: datetime,
    end: datetime,
    count: int = 3,
) -> list[datetime]:
    """The open starts nearest a wanted time (within the window whose bookings ``busy`` holds), in time order."""
    starts = open_starts(availability, busy=busy, now=now, start=start, end=end)
    nearest = sorted(starts, key=lambda s: (abs(s - around), s))[:count]
    return sorted(nearest)


def in_hours(availability: Availability, slot: datetime) -> bool:
    """Whether a session starting then lies wholly inside one range of the weekly hours (dates off aside)."""
    zone = ZoneInfo(availability.zone)
    length = timedelta(minutes=availability.session_minutes)
    local_day = slot.astimezone(zone).date()
    return any(
        _instant(local_day, hours.start, zone) <= slot and slot + length <= _instant(local_day, hours.end, zone)
        for hours in availability.ranges_on(local_day.weekday())
    )


MAX_SERIES = 52


def series_starts(
    first: datetime, zone: ZoneInfo, *, every_weeks: int, count: int | None = None, until: date | None = None
) -> list[datetime]:
    """The starts of a weekly (or every n weeks) series, each at the first one's wall-clock time in ``zone``:
    a 17:00 New York series stays 17:00 New York across a clock change (its UTC hour moves)."""
    if every_weeks not in (1, 2):
        raise ValueError("a series repeats every week or every two weeks")
    if (count is None) == (until is None):
        raise ValueError("a series ends after a count or on a date, one of the two")
    local = first.astimezone(zone)
    starts: list[datetime] = []
    n = 0
    while len(starts) < MAX_SERIES:
        day = local.date() + timedelta(weeks=every_weeks * n)
        if count is not None and n >= count:
            break
        if until is not None and day > until:
            break
        starts.append(_instant(day, local.time().replace(tzinfo=None), zone))
        n += 1
    return starts
