"""The range a mood chart shows when the filter leaves an end open: whole local days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.services.mood_chart import DAYS_SHOWN, chart_range

AUCKLAND = ZoneInfo("Pacific/Auckland")
# 23:30 UTC on 25 November is already 12:30 on 26 November in Auckland (UTC+13 in summer).
NOW = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)


def test_with_no_filter_it_runs_from_a_local_midnight_to_the_end_of_the_local_today() -> None:
    start, end = chart_range(start=None, end=None, now=NOW, time_zone="Pacific/Auckland")
    assert end.astimezone(AUCKLAND) == datetime(2026, 11, 26, 23, 59, 59, 999999, tzinfo=AUCKLAND)
    assert start.astimezone(AUCKLAND) == datetime(2026, 10, 27, 0, 0, tzinfo=AUCKLAND)
    assert (end.astimezone(AUCKLAND).date() - start.astimezone(AUCKLAND).date()).days == DAYS_SHOWN


def test_it_is_the_same_range_all_day() -> None:
    early = chart_range(start=None, end=None, now=datetime(2026, 11, 26, 0, 1, tzinfo=UTC), time_zone="Europe/London")
    late = chart_range(start=None, end=None, now=datetime(2026, 11, 26, 23, 58, tzinfo=UTC), time_zone="Europe/London")
    assert early == late


def test_a_start_before_a_change_of_clocks_is_still_local_midnight() -> None:
    london = ZoneInfo("Europe/London")
    # 30 days before 15 April 2026 is 16 March, before the clocks went forward on 29 March.
    start, end = chart_range(start=None, end=None, now=datetime(2026, 4, 15, 9, tzinfo=UTC), time_zone="Europe/London")
    assert start.astimezone(london).time() == time(0) and start.astimezone(london).date().isoformat() == "2026-03-16"
    assert end.astimezone(london).utcoffset() == timedelta(hours=1)
    assert end.astimezone(london).time() == time(23, 59, 59, 999999)


def test_a_given_end_keeps_its_own_day_and_the_start_is_whole_days_before_it() -> None:
    chosen_end = datetime(2026, 9, 10, 23, 59, 59, 999999, tzinfo=AUCKLAND)
    start, end = chart_range(start=None, end=chosen_end, now=NOW, time_zone="Pacific/Auckland")
    assert end == chosen_end
    assert start == datetime(2026, 8, 11, 0, 0, tzinfo=AUCKLAND)


def test_a_given_start_runs_to_the_end_of_today() -> None:
    chosen_start = datetime(2026, 1, 5, 0, 0, tzinfo=AUCKLAND)
    start, end = chart_range(start=chosen_start, end=None, now=NOW, time_zone="Pacific/Auckland")
    assert start == chosen_start
    assert end.astimezone(AUCKLAND).date().isoformat() == "2026-11-26"
    assert end.astimezone(AUCKLAND).time() == time(23, 59, 59, 999999)


def test_both_given_are_kept_as_they_are() -> None:
    chosen = (datetime(2026, 1, 5, tzinfo=AUCKLAND), datetime(2026, 2, 1, 23, 59, tzinfo=AUCKLAND))
    assert chart_range(start=chosen[0], end=chosen[1], now=NOW, time_zone="Pacific/Auckland") == chosen
