"""Booking rules beyond the pages: a series across a clock change, the calendar feed of a series, escaping."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from icalendar import Calendar

from portal.availability import Availability, HoursRange
from portal.domain import MappingStatus, SessionStatus
from portal.dynamo.booking import BookingRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.services import booking as service
from portal.services import calendar as calendar_service
from portal.timeutil import utcnow
from tests.accounts import log_in
from tests.sessions_data import Pair, care_pair

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def pair(dynamo) -> Pair:
    return care_pair()


def _a_monday_weeks_before_a_clock_change() -> date:
    """A Monday from which 12 weekly sessions cross New York's next clock change (March or November)."""
    today = utcnow().date()
    for year in (today.year, today.year + 1):
        for month, day in ((3, 8), (11, 1)):
            change = date(year, month, day)
            first = change - timedelta(weeks=5)
            first -= timedelta(days=first.weekday())
            if first > today + timedelta(days=1):
                return first
    raise AssertionError("no clock change ahead")


def test_a_series_of_12_weekly_sessions_keeps_17_00_new_york_across_the_clock_change(pair: Pair) -> None:
    therapist = pair.therapist
    therapist.time_zone = "America/New_York"
    first_day = _a_monday_weeks_before_a_clock_change()
    plan = service.series_plan(
        user=therapist,
        client_id=pair.client.account_id,
        first=datetime.combine(first_day, time(17), tzinfo=NEW_YORK),
        every_weeks=1,
        count=12,
        until=None,
        duration_minutes=50,
        location="",
    )
    assert plan.collisions == ()
    key = new_id()
    result = service.series_create(user=therapist, plan=plan, idempotency_key=key)

    stored = sorted((SessionRepository().get(s.session_id) for s in result.sessions), key=lambda s: s.scheduled_for)  # type: ignore[union-attr, return-value, arg-type]
    assert len(stored) == 12
    assert {s.scheduled_for.astimezone(NEW_YORK).strftime("%a %H:%M") for s in stored} == {"Mon 17:00"}  # type: ignore[union-attr]
    assert len({s.scheduled_for.astimezone(NEW_YORK).utcoffset() for s in stored}) == 2  # type: ignore[union-attr]
    assert all(s.status is SessionStatus.APPROVED and s.title == "Session with Dr Tara" for s in stored)  # type: ignore[union-attr]
    # A client in Berlin sees each one at its own Berlin time: 23:00 usually, 22:00 in the weeks the zones disagree.
    assert {s.scheduled_for.astimezone(BERLIN).strftime("%H:%M") for s in stored} <= {"22:00", "23:00"}  # type: ignore[union-attr]

    # A repeat of the same form makes no second series.
    again = service.series_create(user=therapist, plan=plan, idempotency_key=key)
    assert {s.session_id for s in again.sessions} == {s.session_id for s in result.sessions}
    assert len(SessionRepository().list_by_therapist(therapist.account_id, limit=50).items) == 12


def test_a_series_warns_of_times_outside_the_hours_and_of_dates_off(pair: Pair) -> None:
    first_day = utcnow().date() + timedelta(days=7)
    BookingRepository().save_availability(
        Availability(
            therapist_id=pair.therapist.account_id,
            zone="UTC",
            weekly_hours={first_day.weekday(): (HoursRange(time(9), time(12)),)},
            dates_off=frozenset({first_day + timedelta(weeks=1)}),
        ),
        expected_version=0,
    )
    plan = service.series_plan(
        user=pair.therapist,
        client_id=pair.client.account_id,
        first=datetime.combine(first_day, time(11, 30), tzinfo=ZoneInfo("UTC")),
        every_weeks=2,
        count=None,
        until=first_day + timedelta(weeks=4),
        duration_minutes=50,
        location="",
    )
    assert len(plan.occurrences) == 3
    assert [o.collision for o in plan.occurrences] == ["", "", ""]  # every two weeks skips the date off
    assert len(plan.outside_hours) == 3  # 11:30 + 50 minutes ends after 12:00
    weekly = service.series_plan(
        user=pair.therapist,
        client_id=pair.client.account_id,
        first=datetime.combine(first_day, time(9), tzinfo=ZoneInfo("UTC")),
        every_weeks=1,
        count=3,
        until=None,
        duration_minutes=50,
        location="",
    )
    assert [o.collision for o in weekly.occurrences] == ["", "a date off", ""]
    assert weekly.outside_hours == ()
    result = service.series_create(user=pair.therapist, plan=weekly, idempotency_key=new_id())
    assert len(result.sessions) == 2


def test_each_occurrence_is_its_own_event_in_the_calendar_feed(pair: Pair) -> None:
    plan = service.series_plan(
        user=pair.therapist,
        client_id=pair.client.account_id,
        first=datetime.combine(utcnow().date() + timedelta(days=2), time(15), tzinfo=ZoneInfo("UTC")),
        every_weeks=1,
        count=3,
        until=None,
        duration_minutes=50,
        location="",
    )
    result = service.series_create(user=pair.therapist, plan=plan, idempotency_key=new_id())
    token = calendar_service.feed_create(user=pair.client)
    feed = Calendar.from_ical(calendar_service.feed_ics(token=token))
    events = [c for c in feed.walk("VEVENT")]
    assert len(events) == 3
    assert all("RRULE" not in event for event in events)
    assert {str(event["SUMMARY"]) for event in events} == {"Therapy session"}
    assert sorted(event.decoded("DTSTART") for event in events) == [s.scheduled_for for s in result.sessions]


def test_names_and_messages_come_out_escaped(pair: Pair) -> None:
    nasty = "<script>alert(1)</script>\"'{{ 7*7 }}"
    MappingRepository().put(
        pair.client.account_id,
        pair.therapist.account_id,
        MappingStatus.ACTIVE,
        client_name=nasty,
        therapist_name=nasty,
    )
    BookingRepository().save_availability(
        Availability(
            therapist_id=pair.therapist.account_id,
            zone="UTC",
            weekly_hours={d: (HoursRange(time(9), time(17)),) for d in range(7)},
        ),
        expected_version=0,
    )
    http = HttpClient()
    log_in(http, pair.client)
    pages = [
        http.get(f"/booking/{pair.therapist.account_id}/"),
        http.get(f"/booking/{pair.therapist.account_id}/request/?start=2030-01-07T10:00Z"),
        http.post(
            f"/booking/{pair.therapist.account_id}/request/",
            {"start": "2030-01-07T10:00Z", "message": nasty + "x" * 3000, "idempotency_key": new_id()},
        ),
    ]
    therapist = HttpClient()
    log_in(therapist, pair.therapist)
    first = (utcnow().date() + timedelta(days=3)).isoformat()
    pages.append(
        therapist.post(
            "/booking/series/new/",
            {
                "client": pair.client.account_id,
                "day": first,
                "start_time": "10:00",
                "every": "1",
                "count": "2",
                "until": "",
                "duration": "50",
                "location": nasty,
                "idempotency_key": new_id(),
            },
        )  # fmt: skip
    )
    for page in pages:
        html = page.content.decode()
        assert "<script>alert(1)" not in html
        assert "{{ 7*7 }}" in html or "49" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].content.decode()
    assert "&lt;script&gt;" in pages[3].content.decode()
