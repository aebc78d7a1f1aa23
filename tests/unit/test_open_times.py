"""Open times from hours, gaps, notice, horizon, dates off and booked sessions, across zones and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.availability import Availability, HoursRange, InvalidAvailability, parse_hours
from portal.services.open_times import (
    Busy,
    in_hours,
    nearest_open,
    open_starts,
    open_week,
    parse_time_key,
    series_starts,
    week_bounds,
    week_start_of,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
EVERY_WEEKDAY = {d: (HoursRange(time(9), time(12)),) for d in range(7)}


def make_availability(**overrides: object) -> Availability:
    values: dict[object, object] = {
        "therapist_id": "t1",
        "zone": "America/New_York",
        "weekly_hours": EVERY_WEEKDAY,
        "session_minutes": 50,
        "gap_minutes": 10,
        "horizon_weeks": 8,
        "notice_hours": 24,
    }
    values.update(overrides)
    return Availability(**values)  # type: ignore[arg-type]


def local_starts(availability: Availability, day: date, zone: ZoneInfo, now: datetime) -> list[str]:
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    found = open_starts(availability, busy=[], now=now, start=start, end=end)
    return [s.astimezone(zone).strftime("%H:%M") for s in found]


NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)  # a Monday


def test_it_steps_through_the_hours_by_length_and_gap() -> None:
    availability = make_availability()
    assert local_starts(availability, date(2026, 6, 10), NEW_YORK, NOW) == ["09:00", "10:00", "11:00"]


def test_it_fits_only_whole_sessions_and_reads_several_ranges_a_day() -> None:
    hours = {2: (HoursRange(time(9), time(11, 30)), HoursRange(time(14), time(16)))}
    availability = make_availability(weekly_hours=hours, session_minutes=45, gap_minutes=15)
    assert local_starts(availability, date(2026, 6, 10), NEW_YORK, NOW) == ["09:00", "10:00", "14:00", "15:00"]
    assert local_starts(availability, date(2026, 6, 11), NEW_YORK, NOW) == []  # Thursday: no hours


def test_it_keeps_the_shortest_notice() -> None:
    availability = make_availability(notice_hours=24)
    now = datetime(2026, 6, 10, 10, 30, tzinfo=NEW_YORK)
    # Tomorrow 09:00 is less than 24 hours away, 11:00 is not.
    assert local_starts(availability, date(2026, 6, 11), NEW_YORK, now) == ["11:00"]
    assert local_starts(make_availability(notice_hours=0), date(2026, 6, 10), NEW_YORK, now) == ["11:00"]


def test_it_stops_at_the_horizon() -> None:
    availability = make_availability(horizon_weeks=1, notice_hours=0)
    now = datetime(2026, 6, 10, 10, 30, tzinfo=NEW_YORK)
    assert local_starts(availability, date(2026, 6, 17), NEW_YORK, now) == ["09:00", "10:00"]
    assert local_starts(availability, date(2026, 6, 18), NEW_YORK, now) == []


def test_it_skips_dates_off() -> None:
    availability = make_availability(dates_off=frozenset({date(2026, 6, 10)}))
    assert local_starts(availability, date(2026, 6, 10), NEW_YORK, NOW) == []
    assert local_starts(availability, date(2026, 6, 11), NEW_YORK, NOW) == ["09:00", "10:00", "11:00"]


def test_it_leaves_out_booked_sessions_and_their_gap() -> None:
    availability = make_availability(weekly_hours={2: (HoursRange(time(9), time(14)),)})
    booked = datetime(2026, 6, 10, 10, 30, tzinfo=NEW_YORK)
    busy = [Busy(booked, booked + timedelta(minutes=50))]
    start = datetime(2026, 6, 10, tzinfo=NEW_YORK)
    found = open_starts(availability, busy=busy, now=NOW, start=start, end=start + timedelta(days=1))
    # 10:00 overlaps it, 11:00 starts 10 minutes after it ends (within the gap), 09:00 ends 40 minutes before it.
    assert [s.astimezone(NEW_YORK).strftime("%H:%M") for s in found] == ["09:00", "12:00", "13:00"]


def test_it_offers_nothing_when_online_requests_are_off() -> None:
    availability = make_availability(online_requests=False)
    assert local_starts(availability, date(2026, 6, 10), NEW_YORK, NOW) == []


def test_it_shows_a_new_york_therapists_times_in_berlin_grouped_by_the_clients_days() -> None:
    # 18:00-22:00 in New York is 00:00-04:00 the next day in Berlin.
    availability = make_availability(weekly_hours={0: (HoursRange(time(18), time(22)),)})
    week = open_week(availability, busy=[], now=NOW, week_start=date(2026, 6, 8), client_zone=BERLIN)
    assert [d.day for d in week.days] == [date(2026, 6, 8) + timedelta(days=i) for i in range(7)]
    tuesday = week.days[1]
    assert [t.local_start.strftime("%H:%M") for t in tuesday.times] == ["00:00", "01:00", "02:00", "03:00"]
    assert week.days[0].times == ()
    assert tuesday.times[0].start == datetime(2026, 6, 8, 22, tzinfo=UTC)
    assert week.count == 4


def test_week_navigation_stops_at_this_week_and_the_horizon() -> None:
    availability = make_availability(horizon_weeks=2)
    this_week = week_start_of(NOW, BERLIN)
    first = open_week(availability, busy=[], now=NOW, week_start=this_week, client_zone=BERLIN)
    assert first.previous_week is None and first.next_week == this_week + timedelta(days=7)
    third = open_week(availability, busy=[], now=NOW, week_start=this_week + timedelta(days=14), client_zone=BERLIN)
    assert third.next_week is None and third.previous_week == this_week + timedelta(days=7)


@pytest.mark.parametrize(
    ("zone", "day", "utc_hours"),
    [
        # Spring forward: 09:00 local moves one hour earlier in UTC from the day after the change.
        ("America/New_York", date(2026, 3, 7), [14, 15, 16]),
        ("America/New_York", date(2026, 3, 8), [13, 14, 15]),
        ("America/New_York", date(2026, 10, 31), [13, 14, 15]),
        ("America/New_York", date(2026, 11, 1), [14, 15, 16]),
        ("Europe/Berlin", date(2026, 3, 28), [8, 9, 10]),
        ("Europe/Berlin", date(2026, 3, 29), [7, 8, 9]),
        ("Europe/Berlin", date(2026, 10, 24), [7, 8, 9]),
        ("Europe/Berlin", date(2026, 10, 25), [8, 9, 10]),
    ],
)
def test_hours_keep_their_wall_clock_on_both_clock_changes(zone: str, day: date, utc_hours: list[int]) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    availability = make_availability(zone=zone, horizon_weeks=52)
    assert local_starts(availability, day, ZoneInfo(zone), now) == ["09:00", "10:00", "11:00"]
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    found = open_starts(availability, busy=[], now=now, start=start, end=start + timedelta(days=1))
    assert [s.astimezone(UTC).hour for s in found] == utc_hours


def test_a_range_holding_the_clock_change_is_an_hour_shorter_or_longer() -> None:
    night = {6: (HoursRange(time(0), time(4)),)}  # Sundays 00:00-04:00
    availability = make_availability(weekly_hours=night, session_minutes=60, gap_minutes=0, horizon_weeks=52)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    spring = local_starts(availability, date(2026, 3, 8), NEW_YORK, now)
    autumn_start = datetime(2026, 11, 1, tzinfo=NEW_YORK)
    autumn = open_starts(availability, busy=[], now=now, start=autumn_start, end=autumn_start + timedelta(days=1))
    assert spring == ["00:00", "01:00", "03:00"]  # 02:00 never happens
    assert len(autumn) == 5  # 01:00 happens twice
    assert [s.astimezone(NEW_YORK).strftime("%H:%M") for s in autumn] == ["00:00", "01:00", "01:00", "02:00", "03:00"]


def test_a_week_holding_a_clock_change_in_the_clients_zone_keeps_its_days() -> None:
    availability = make_availability(zone="Europe/Berlin", horizon_weeks=52)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    week = open_week(availability, busy=[], now=now, week_start=date(2026, 3, 23), client_zone=NEW_YORK)
    start, end = week_bounds(date(2026, 3, 23), NEW_YORK)
    assert end - start == timedelta(days=7)  # New York changed earlier, in this week Berlin does
    # Berlin's 09:00 is 04:00 New York until Berlin's change on the 29th, then 03:00.
    assert [t.local_start.strftime("%H:%M") for t in week.days[5].times] == ["04:00", "05:00", "06:00"]
    assert [t.local_start.strftime("%H:%M") for t in week.days[6].times] == ["03:00", "04:00", "05:00"]


def test_nearest_open_times_surround_the_wanted_one() -> None:
    availability = make_availability()
    wanted = datetime(2026, 6, 10, 10, tzinfo=NEW_YORK)
    busy = [Busy(wanted, wanted + timedelta(minutes=50))]
    start, end = week_bounds(date(2026, 6, 8), NEW_YORK)
    nearest = nearest_open(availability, busy=busy, now=NOW, around=wanted, start=start, end=end, count=2)
    assert nearest == [datetime(2026, 6, 10, 9, tzinfo=NEW_YORK), datetime(2026, 6, 10, 11, tzinfo=NEW_YORK)]


def test_in_hours_knows_a_session_that_spills_out() -> None:
    availability = make_availability()
    assert in_hours(availability, datetime(2026, 6, 10, 10, 30, tzinfo=NEW_YORK))
    assert not in_hours(availability, datetime(2026, 6, 10, 11, 30, tzinfo=NEW_YORK))
    assert not in_hours(availability, datetime(2026, 6, 10, 17, tzinfo=NEW_YORK))


def test_time_keys_round_trip() -> None:
    availability = make_availability()
    week = open_week(availability, busy=[], now=NOW, week_start=date(2026, 6, 8), client_zone=BERLIN)
    first = week.days[2].times[0]
    assert parse_time_key(first.key) == first.start
    with pytest.raises(ValueError):
        parse_time_key("tomorrow")


def test_a_weekly_series_keeps_17_00_new_york_across_both_changes_and_shows_in_berlin() -> None:
    first = datetime(2026, 2, 23, 17, tzinfo=NEW_YORK)
    starts = series_starts(first, NEW_YORK, every_weeks=1, count=12)
    assert len(starts) == 12
    assert {s.astimezone(NEW_YORK).strftime("%a %H:%M") for s in starts} == {"Mon 17:00"}
    assert {s.astimezone(UTC).hour for s in starts} == {22, 21}
    berlin = [s.astimezone(BERLIN).strftime("%m-%d %H:%M") for s in starts]
    # New York moved on March 8, Berlin only on March 29: for three weeks the gap is five hours.
    assert berlin[:3] == ["02-23 23:00", "03-02 23:00", "03-09 22:00"]
    assert berlin[5] == "03-30 23:00"
    autumn = series_starts(
        datetime(2026, 10, 19, 17, tzinfo=NEW_YORK), NEW_YORK, every_weeks=2, until=date(2026, 11, 30)
    )
    assert [s.astimezone(NEW_YORK).strftime("%m-%d %H:%M") for s in autumn] == [
        "10-19 17:00", "11-02 17:00", "11-16 17:00", "11-30 17:00",
    ]  # fmt: skip
    assert autumn[0].astimezone(UTC).hour == 21 and autumn[1].astimezone(UTC).hour == 22


def test_series_refuse_other_rhythms_and_ambiguous_ends() -> None:
    first = datetime(2026, 2, 23, 17, tzinfo=NEW_YORK)
    with pytest.raises(ValueError):
        series_starts(first, NEW_YORK, every_weeks=3, count=2)
    with pytest.raises(ValueError):
        series_starts(first, NEW_YORK, every_weeks=1, count=2, until=date(2026, 5, 1))


def test_availability_refuses_overlaps_and_reads_hours_text() -> None:
    assert parse_hours("13:00-17:00, 09:00-12:00") == (HoursRange(time(9), time(12)), HoursRange(time(13), time(17)))
    assert parse_hours(" ") == ()
    with pytest.raises(InvalidAvailability):
        parse_hours("9-12")
    with pytest.raises(InvalidAvailability):
        parse_hours("12:00-09:00")
    with pytest.raises(InvalidAvailability):
        make_availability(weekly_hours={0: parse_hours("09:00-12:00, 11:00-13:00")})
    with pytest.raises(InvalidAvailability):
        make_availability(session_minutes=5)
