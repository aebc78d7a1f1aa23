"""A chart of whole days has its axis and title remembered for those days; one that follows the entries is drawn afresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.domain import MoodReading
from portal.presenters import mood_chart_svg
from portal.services import mood_chart as service
from portal.services.mood_chart import chart_range, mood_chart

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
START, END = chart_range(start=None, end=None, now=NOW, time_zone="Europe/London")


def _readings(*hours_ago: int) -> list[MoodReading]:
    return [MoodReading(f"e{i}", NOW - timedelta(hours=h), "calm", 5) for i, h in enumerate(hours_ago)]


def _axis(svg: str) -> list[str]:
    return [line for line in svg.splitlines() if 'class="chart-axis"' in line or "text-anchor=\"middle\"" in line]


def test_whole_days_draw_the_axis_that_drawing_it_afresh_gives_and_remember_it() -> None:
    service._whole_day_ticks.cache_clear()
    service._title_of_whole_days.cache_clear()
    mood_chart_svg._x_labels.cache_clear()
    first = mood_chart(entries=_readings(3), time_zone="Europe/London", start=START, end=END, feeling=None)
    second = mood_chart(entries=_readings(30, 200), time_zone="Europe/London", start=START, end=END, feeling=None)
    assert first.whole_days and second.whole_days
    assert first.x_ticks is second.x_ticks  # remembered for these days
    assert first.x_ticks == service._ticks(START, END, service.ZoneInfo("Europe/London"))
    bottom = first.plot_bottom
    assert mood_chart_svg._x_labels(bottom, first.x_ticks) == mood_chart_svg._write_x_labels(bottom, first.x_ticks)
    mood_chart_svg.mood_chart_line_svg(first, "a")
    mood_chart_svg.mood_chart_line_svg(second, "b")
    assert mood_chart_svg._x_labels.cache_info().currsize == 1
    assert first.title == second.title == service._title(None, START, END, service.ZoneInfo("Europe/London"))
    assert service._title_of_whole_days.cache_info().currsize == 1


def test_an_axis_that_follows_the_entries_is_never_remembered() -> None:
    service._whole_day_ticks.cache_clear()
    service._title_of_whole_days.cache_clear()
    mood_chart_svg._x_labels.cache_clear()
    # No range given (the therapist's view of a client): the axis runs from the first entry to the last.
    chart = mood_chart(entries=_readings(3, 400), time_zone="Europe/London", start=None, end=None, feeling=None)
    svg = mood_chart_svg.mood_chart_line_svg(chart, "c")
    assert not chart.whole_days
    assert service._whole_day_ticks.cache_info().currsize == 0
    assert service._title_of_whole_days.cache_info().currsize == 0
    assert mood_chart_svg._x_labels.cache_info().currsize == 0
    assert len(_axis(svg)) >= 2 * len(chart.x_ticks) > 0


def test_a_range_that_is_not_whole_days_is_not_remembered_either() -> None:
    service._whole_day_ticks.cache_clear()
    chart = mood_chart(
        entries=_readings(3), time_zone="Europe/London", start=NOW - timedelta(days=30), end=NOW, feeling=None
    )
    assert not chart.whole_days and chart.x_ticks
    assert service._whole_day_ticks.cache_info().currsize == 0


def test_across_a_change_of_clocks_a_point_at_a_local_midnight_sits_on_its_tick() -> None:
    from datetime import time
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    # 20 to 31 October 2026, whole days in London: the clocks go back on the 25th.
    start = datetime.combine(datetime(2026, 10, 20).date(), time(0), tzinfo=london)
    end = datetime.combine(datetime(2026, 11, 1).date(), time(0), tzinfo=london) - timedelta(microseconds=1)
    at_midnight = datetime(2026, 10, 29, 0, 0, tzinfo=london)  # after the change: 00:00 GMT
    chart = mood_chart(
        entries=[MoodReading("e0", at_midnight.astimezone(UTC), "calm", 5)],
        time_zone="Europe/London",
        start=start,
        end=end,
        feeling=None,
    )
    (tick,) = [tick for tick in chart.x_ticks if tick.iso_date == "2026-10-29"]
    assert chart.whole_days
    # One clock for both: the time elapsed from the start, an hour more than the wall clock says.
    assert chart.points[0].x == tick.x
    # And the range's end is the axis's right edge.
    last_moment = mood_chart(
        entries=[MoodReading("e1", end.astimezone(UTC), "calm", 5)],
        time_zone="Europe/London", start=start, end=end, feeling=None,
    )
    assert last_moment.points[0].x == last_moment.plot_right
