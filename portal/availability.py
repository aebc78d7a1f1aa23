"""A therapist's bookable hours: plain values, no storage, no HTTP.

Hours are wall-clock times in the therapist's own zone, so "Mondays 09:00-12:00"
stays 09:00 in July and in January; instants are computed from them per date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from portal.domain import DEFAULT_SESSION_MINUTES, MAX_SESSION_MINUTES, MIN_SESSION_MINUTES, DomainError

DEFAULT_GAP_MINUTES = 10
DEFAULT_HORIZON_WEEKS = 8
DEFAULT_NOTICE_HOURS = 24
MAX_GAP_MINUTES = 120
MAX_HORIZON_WEEKS = 52
MAX_NOTICE_HOURS = 24 * 14
MAX_DATES_OFF = 200
MAX_RANGES_PER_DAY = 6
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class InvalidAvailability(DomainError):
    """Hours that cannot be saved as written (a range that ends before it starts, overlapping ranges, ...)."""


class TimeTaken(DomainError):
    """The time was booked by someone else a moment ago (or is no longer open)."""


class RequestsOff(DomainError):
    """The therapist takes no online requests at the moment."""


@dataclass(frozen=True, order=True)
class HoursRange:
    """One range of working hours on a weekday, wall-clock in the therapist's zone; end is exclusive."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidAvailability("A range of hours must end after it starts.")

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Availability:
    therapist_id: str
    zone: str
    # Weekday (0 = Monday) to its ranges, sorted and not overlapping.
    weekly_hours: dict[int, tuple[HoursRange, ...]] = field(default_factory=dict)
    session_minutes: int = DEFAULT_SESSION_MINUTES
    gap_minutes: int = DEFAULT_GAP_MINUTES
    horizon_weeks: int = DEFAULT_HORIZON_WEEKS
    notice_hours: int = DEFAULT_NOTICE_HOURS
    dates_off: frozenset[date] = frozenset()
    online_requests: bool = True
    instant_booking: bool = False
    version: int = 0
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not MIN_SESSION_MINUTES <= self.session_minutes <= MAX_SESSION_MINUTES:
            raise InvalidAvailability(
                f"A session lasts between {MIN_SESSION_MINUTES} and {MAX_SESSION_MINUTES} minutes."
            )
        if not 0 <= self.gap_minutes <= MAX_GAP_MINUTES:
            raise InvalidAvailability(f"The gap is between 0 and {MAX_GAP_MINUTES} minutes.")
        if not 1 <= self.horizon_weeks <= MAX_HORIZON_WEEKS:
            raise InvalidAvailability(f"Clients may book between 1 and {MAX_HORIZON_WEEKS} weeks ahead.")
        if not 0 <= self.notice_hours <= MAX_NOTICE_HOURS:
            raise InvalidAvailability(f"The shortest notice is between 0 and {MAX_NOTICE_HOURS} hours.")
        if len(self.dates_off) > MAX_DATES_OFF:
            raise InvalidAvailability(f"At most {MAX_DATES_OFF} dates off.")
        for weekday, ranges in self.weekly_hours.items():
            if not 0 <= weekday <= 6:
                raise InvalidAvailability("Weekdays run from Monday (0) to Sunday (6).")
            if len(ranges) > MAX_RANGES_PER_DAY:
                raise InvalidAvailability(f"At most {MAX_RANGES_PER_DAY} ranges a day.")
            ordered = sorted(ranges)
            for earlier, later in zip(ordered, ordered[1:], strict=False):
                if later.start < earlier.end:
                    raise InvalidAvailability(f"The hours of {WEEKDAY_NAMES[weekday]} overlap.")

    def ranges_on(self, weekday: int) -> tuple[HoursRange, ...]:
        return tuple(sorted(self.weekly_hours.get(weekday, ())))


def availability_default(therapist_id: str, zone: str) -> Availability:
    """What a therapist who never set hours has: no hours (so nothing is bookable), requests on."""
    return Availability(therapist_id=therapist_id, zone=zone)


def parse_hours(text: str) -> tuple[HoursRange, ...]:
    """Reads "09:00-12:00, 13:00-17:00" (blank: no hours that day)."""
    ranges: list[HoursRange] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        start_text, sep, end_text = part.partition("-")
        if not sep:
            raise InvalidAvailability(f"Write hours as 09:00-12:00 (read {part!r}).")
        try:
            start = time.fromisoformat(start_text.strip())
            end = time.fromisoformat(end_text.strip())
        except ValueError as error:
            raise InvalidAvailability(f"Write hours as 09:00-12:00 (read {part!r}).") from error
        ranges.append(HoursRange(start, end))
    return tuple(sorted(ranges))


def format_hours(ranges: tuple[HoursRange, ...]) -> str:
    return ", ".join(r.label() for r in sorted(ranges))
