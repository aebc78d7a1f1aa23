"""What the booking pages show of a week of open times: labels and links computed once per time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.urls import reverse

from portal.services.booking import BookableWeek
from portal.services.open_times import OpenTime
from portal.timeutil import MONTHS_SHORT, WEEKDAYS_SHORT


@dataclass(frozen=True)
class TimeLink:
    label: str  # "09:00", or "Tue 9 Jun, 09:00" where the day is not said around it
    iso: str
    url: str


@dataclass(frozen=True)
class DayColumn:
    heading: str  # "Tue 9 Jun"
    iso: str
    times: tuple[TimeLink, ...]


@dataclass(frozen=True)
class WeekView:
    therapist_id: str
    therapist_name: str
    heading: str  # "Week of Mon 8 Jun 2026"
    zone: str
    days: tuple[DayColumn, ...]
    count: int
    previous_url: str | None
    next_url: str | None
    requests_on: bool
    taken: str  # the just-taken time in words, or ""
    nearest: tuple[TimeLink, ...]
    first_day: str  # the week's Monday, for the waitlist form
    last_day: str


def _day(day: date) -> str:
    return f"{WEEKDAYS_SHORT[day.weekday()]} {day.day} {MONTHS_SHORT[day.month - 1]}"


def _link(therapist_id: str, moment: datetime, zone: ZoneInfo, *, with_day: bool) -> TimeLink:
    local = moment.astimezone(zone)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    key = OpenTime(start=moment, end=moment, local_start=local).key
    url = reverse("booking_request", args=[therapist_id]) + "?" + urlencode({"start": key})
    return TimeLink(
        label=f"{_day(local.date())}, {clock}" if with_day else clock,
        iso=local.isoformat(timespec="minutes"),
        url=url,
    )


def _week_url(therapist_id: str, week: date | None) -> str | None:
    if week is None:
        return None
    return reverse("booking_week", args=[therapist_id]) + "?" + urlencode({"week": week.isoformat()})


def week_view(bookable: BookableWeek) -> WeekView:
    zone = ZoneInfo(bookable.client_zone)
    week = bookable.week
    days = tuple(
        DayColumn(
            heading=_day(day.day),
            iso=day.day.isoformat(),
            times=tuple(_link(bookable.therapist_id, t.start, zone, with_day=False) for t in day.times),
        )
        for day in week.days
    )
    start = week.week_start
    taken = ""
    if bookable.taken is not None:
        taken = _link(bookable.therapist_id, bookable.taken, zone, with_day=True).label
    return WeekView(
        therapist_id=bookable.therapist_id,
        therapist_name=bookable.therapist_name,
        heading=f"Week of {_day(start)} {start.year}",
        zone=bookable.client_zone,
        days=days,
        count=week.count,
        previous_url=_week_url(bookable.therapist_id, week.previous_week),
        next_url=_week_url(bookable.therapist_id, week.next_week),
        requests_on=bookable.availability.online_requests and bool(bookable.availability.weekly_hours),
        taken=taken,
        nearest=tuple(_link(bookable.therapist_id, m, zone, with_day=True) for m in bookable.nearest),
        first_day=start.isoformat(),
        last_day=week.days[-1].day.isoformat(),
    )


def when_label(moment: datetime, zone: str) -> str:
    """ "Tue 9 Jun 2026, 09:00" in ``zone``."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{_day(local.date())} {local.year}, {local.hour:02d}:{local.minute:02d}"
