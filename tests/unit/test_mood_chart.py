"""The mood chart: layout (portal.services.mood_chart) and its template fragment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from portal.domain import JournalEntry
from portal.ids import new_id
from portal.services.mood_chart import ChartPoint, MoodChart, mood_chart
from tests.macros import render_macro

CLIENT_ID = new_id()
T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # a Tuesday


def _entry(when: datetime, intensity: int, feeling: str = "anxious") -> JournalEntry:
    return JournalEntry(
        client_id=CLIENT_ID,
        entry_id=new_id(),
        time_of_emotion=when,
        feeling=feeling,
        intensity=intensity,
    )


def _chart(
    entries: list[JournalEntry],
    *,
    time_zone: str = "UTC",
    start: datetime | None = None,
    end: datetime | None = None,
    feeling: str | None = None,
) -> MoodChart:
    return mood_chart(entries=entries, time_zone=time_zone, start=start, end=end, feeling=feeling)


def _polyline_pairs(chart: MoodChart) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in chart.polyline.split())]


# --- layout ----------------------------------------------------------------------


def test_it_signs_intensity_by_valence_so_happy_10_and_angry_10_sit_at_opposite_ends() -> None:
    entries = [_entry(T0, 10, "happy"), _entry(T0 + timedelta(days=1), 10, "angry")]

    chart = _chart(entries)

    happy, angry = chart.points
    assert (happy.mood, angry.mood) == (10, -10)
    assert happy.y == chart.plot_top
    assert angry.y == chart.plot_bottom
    assert chart.zero_y == pytest.approx((chart.plot_top + chart.plot_bottom) / 2, abs=0.1)


def test_it_draws_one_line_vertex_per_day_at_the_days_average() -> None:
    # Two entries on one day used to draw a vertical stroke; now the day is one averaged vertex.
    entries = [
        _entry(T0, 8, "calm"),
        _entry(T0 + timedelta(hours=3), 4, "anxious"),
        _entry(T0 + timedelta(days=1), 6, "sad"),
    ]

    chart = _chart(entries)

    assert [(day.day.isoformat(), day.count, day.mood) for day in chart.days] == [
        ("2026-03-03", 2, 2.0),
        ("2026-03-04", 1, -6.0),
    ]
    assert _polyline_pairs(chart) == [(day.x, day.y) for day in chart.days]
    assert len(chart.points) == 3


def test_it_counts_the_in_between_feelings_at_half_weight() -> None:
    chart = _chart([_entry(T0, 8, "tired"), _entry(T0 + timedelta(hours=1), 6, "numb")])

    assert [point.mood for point in chart.points] == [-4.0, -3.0]


def test_it_groups_days_in_the_clients_time_zone() -> None:
    # 23:30 UTC on the 3rd is the 4th in Tokyo: the two entries share a Tokyo day.
    entries = [_entry(T0.replace(hour=23, minute=30), 6, "calm"), _entry(T0 + timedelta(days=1), 2, "calm")]

    chart = _chart(entries, time_zone="Asia/Tokyo")

    assert [(day.day.isoformat(), day.count) for day in chart.days] == [("2026-03-04", 2)]


def test_it_gives_each_feeling_a_colour_class_and_its_own_shape() -> None:
    from portal.domain import FEELINGS
    from portal.services.mood_chart import SHAPES

    assert set(SHAPES) == set(FEELINGS)
    assert len(set(SHAPES.values())) == len(FEELINGS)
    chart = _chart([_entry(T0, 5, "calm"), _entry(T0 + timedelta(hours=1), 5, "tired"), _entry(T0, 5, "retired-word")])

    keys = {point.feeling: (point.key, point.hollow) for point in chart.points}
    assert keys == {"calm": ("calm", False), "tired": ("tired", True), "retired-word": ("other", True)}
    assert [item.feeling for item in chart.legend] == ["calm", "tired", "retired-word"]
    assert [item.valence for item in chart.legend] == ["pleasant", "in-between", "in-between"]


def test_it_counts_how_often_each_feeling_appeared_most_frequent_first() -> None:
    entries = [
        _entry(T0 + timedelta(hours=h), 5, f) for h, f in enumerate(["sad", "calm", "sad", "happy", "sad", "calm"])
    ]

    chart = _chart(entries)

    assert [(bar.feeling, bar.count) for bar in chart.bars] == [("sad", 3), ("calm", 2), ("happy", 1)]
    assert chart.bars[0].width > chart.bars[1].width > chart.bars[2].width
    assert chart.bars_description == "sad: 3 times; calm: 2 times; happy: 1 time."


def test_it_lays_out_a_monday_first_calendar_with_each_days_mood() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
    chart = _chart([_entry(T0, 9, "happy"), _entry(T0 + timedelta(days=2), 7, "anxious")], start=start, end=end)

    (march,) = chart.months
    assert march.title == "March 2026"
    first_week = march.weeks[0]
    assert list(first_week[:6]) == [None] * 6  # 1 March 2026 is a Sunday
    days = {day.iso: day for week in march.weeks for day in week if day}
    assert len(days) == 31
    assert (days["2026-03-03"].mood_text, days["2026-03-03"].bucket) == ("+9", "very-good")
    assert (days["2026-03-05"].mood_text, days["2026-03-05"].bucket) == ("\u22127", "very-low")
    assert days["2026-03-04"].mood is None and days["2026-03-04"].bucket == "none"


def test_it_shows_at_most_the_last_three_months_of_a_long_range() -> None:
    start = datetime(2025, 11, 5, tzinfo=UTC)
    end = datetime(2026, 3, 10, tzinfo=UTC)

    chart = _chart([_entry(T0, 5)], start=start, end=end)

    assert [month.title for month in chart.months] == ["January 2026", "February 2026", "March 2026"]
    assert chart.months_cut


def test_it_places_points_in_proportion_to_time() -> None:
    entries = [_entry(T0, 5), _entry(T0 + timedelta(hours=1), 5), _entry(T0 + timedelta(hours=4), 5)]

    chart = _chart(entries)

    left, right = chart.plot_left, chart.plot_right
    assert [point.x for point in chart.points] == pytest.approx([left, left + (right - left) / 4, right], abs=0.1)


def test_it_spans_the_x_axis_from_start_to_end_when_they_are_given() -> None:
    start = T0 - timedelta(days=5)
    end = T0 + timedelta(days=5)
    entries = [_entry(T0, 5)]
    chart = _chart(entries, start=start, end=end)
    assert chart.points[0].x == pytest.approx((chart.plot_left + chart.plot_right) / 2, abs=0.1)
    entries = [_entry(start + timedelta(days=2), 5), _entry(start + timedelta(days=7), 5)]
    chart = _chart(entries, start=start, end=end)
    width = chart.plot_right - chart.plot_left
    assert [point.x for point in chart.points] == pytest.approx(
        [chart.plot_left + 0.2 * width, chart.plot_left + 0.7 * width], abs=0.1
    )


def test_it_centres_a_single_entry() -> None:
    chart = _chart([_entry(T0, 7)])

    assert not chart.empty
    assert len(chart.points) == 1
    assert chart.points[0].x == pytest.approx((chart.plot_left + chart.plot_right) / 2)
    assert chart.description.startswith("1 entry on 1 day, Tue 3 Mar: mood \u22127, very unpleasant.")


def test_it_returns_an_empty_chart_for_no_entries() -> None:
    chart = _chart([], feeling="sad")

    assert chart.empty
    assert chart.points == []
    assert chart.polyline == ""
    assert chart.count == 0
    assert chart.title == "Mood from feeling sad"
    assert chart.description == "No entries in this range yet."


def test_it_leaves_out_other_feelings_and_entries_outside_the_range() -> None:
    start = T0
    end = T0 + timedelta(days=1)
    entries = [
        _entry(T0 - timedelta(minutes=1), 9),  # before the range
        _entry(T0 + timedelta(hours=2), 4),
        _entry(T0 + timedelta(hours=3), 6, "calm"),  # another feeling
        _entry(end + timedelta(minutes=1), 2),  # after the range
    ]

    chart = _chart(entries, start=start, end=end, feeling="anxious")

    assert [(point.feeling, point.intensity) for point in chart.points] == [("anxious", 4)]


def test_it_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        _chart([_entry(datetime(2026, 3, 3, 9, 0), 5)])  # noqa: DTZ001 - naive on purpose


# --- words -----------------------------------------------------------------------


def test_it_labels_points_in_the_clients_time_zone() -> None:
    late_in_utc = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)  # Tuesday night in UTC

    chart = _chart([_entry(late_in_utc, 7)], time_zone="Asia/Tokyo")

    point = chart.points[0]
    assert point.when == "Wed 4 Mar, 08:30"  # already Wednesday morning in Tokyo
    assert point.when_iso == "2026-03-04T08:30+09:00"
    assert point.label == "Wed 4 Mar, 08:30 — anxious, 7 (mood \u22127)"
    assert [tick.label for tick in chart.x_ticks] == ["4 Mar"]
    assert chart.title == "Mood, 4 March 2026"


def test_it_puts_date_ticks_at_local_midnight() -> None:
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    end = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)

    chart = _chart([_entry(start + timedelta(hours=12), 5)], time_zone="Asia/Tokyo", start=start, end=end)

    # Tokyo midnight is 15:00 UTC the day before: 2 March starts 15/48 of the way along.
    width = chart.plot_right - chart.plot_left
    labels = {tick.label: tick.x for tick in chart.x_ticks}
    assert list(labels) == ["2 Mar", "3 Mar"]
    assert labels["2 Mar"] == pytest.approx(chart.plot_left + 15 / 48 * width, abs=0.1)


def test_it_titles_the_chart_with_the_feeling_and_the_range() -> None:
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    end = datetime(2026, 3, 14, 22, 0, tzinfo=UTC)
    entries = [_entry(start + timedelta(days=3), 6)]

    assert _chart(entries, start=start, end=end, feeling="anxious").title == (
        "Mood from feeling anxious, 1 to 14 March 2026"
    )
    assert _chart(entries, start=start, end=end).title == "Mood, 1 to 14 March 2026"
    # The range is read in the client's zone too: 22:00 UTC on the 14th is the 15th in Tokyo.
    assert _chart(entries, start=start, end=end, time_zone="Asia/Tokyo").title == "Mood, 1 to 15 March 2026"
    across_months = _chart(entries, start=start - timedelta(days=2), end=end)
    assert across_months.title == "Mood, 27 February to 14 March 2026"


def test_it_describes_count_days_mood_range_trend_and_most_frequent_feelings() -> None:
    rising = [
        _entry(T0, 8, "sad"),
        _entry(T0 + timedelta(days=1), 2, "calm"),
        _entry(T0 + timedelta(days=2), 9, "happy"),
    ]

    chart = _chart(rising)

    assert (chart.count, chart.lowest, chart.highest) == (3, -8, 9)
    assert chart.average == pytest.approx(1)
    assert chart.trend == "rising"
    assert chart.description == (
        "3 entries on 3 days. Daily mood from \u22128 to +9, average +1, getting more pleasant over the period. "
        "Mood runs from \u221210, the most unpleasant, to +10, the most pleasant. "
        "Most often: calm (1), happy (1), sad (1)."
    )

    falling = [
        _entry(T0, 9, "calm"),
        _entry(T0 + timedelta(days=1), 5, "calm"),
        _entry(T0 + timedelta(days=2), 2, "calm"),
    ]
    assert _chart(falling).trend == "falling"
    level = [
        _entry(T0, 5, "calm"),
        _entry(T0 + timedelta(days=1), 6, "calm"),
        _entry(T0 + timedelta(days=2), 5, "calm"),
    ]
    assert _chart(level).trend == "steady"
    assert "staying about level" in _chart(level).description


# --- template --------------------------------------------------------------------


def _render(chart: MoodChart, chart_id: str = "", heading_level: int | str = "") -> str:
    return render_macro("portal/_mood_chart.html", "mood_chart_figure", chart, chart_id, heading_level)


def test_it_renders_an_accessible_svg_named_by_its_title_and_desc() -> None:
    chart = _chart([_entry(T0, 3), _entry(T0 + timedelta(days=1, hours=5), 8)], feeling="anxious")

    html = _render(chart)

    assert '<svg class="chart-svg" role="img"' in html
    assert f'viewBox="0 0 {chart.width} {chart.height}"' in html
    labelled_by = re.search(r'aria-labelledby="([^"]+)"', html)
    assert labelled_by is not None
    title_id, desc_id = labelled_by.group(1).split()
    assert f'<title id="{title_id}">{chart.title}</title>' in html
    assert f'<desc id="{desc_id}">{chart.description}</desc>' in html
    assert html.count('<path class="chart-point mark-anxious"') == 2
    assert html.count('class="legend-point chart-point mark-anxious"') == 1
    for point in chart.points:
        assert f'd="{point.marker}"><title>{point.label}</title>' in html
    assert f'points="{chart.polyline}"' in html
    assert 'Anxious</span> <span class="muted">(unpleasant)</span>' in html


def test_it_renders_tables_of_the_days_and_of_each_entry() -> None:
    entries = [_entry(T0 + timedelta(hours=hour), hour + 1) for hour in range(4)]
    entries.append(_entry(T0 + timedelta(days=1), 6, "calm"))

    html = _render(_chart(entries))

    assert "<summary>Show the numbers</summary>" in html
    days = re.search(r'<table class="chart-data chart-days-data">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert days is not None
    day_rows = re.findall(r"<tr>(.*?)</tr>", days.group(1), re.S)
    assert day_rows == [
        '<td><time datetime="2026-03-03">Tue 3 Mar</time></td><td>4</td><td>\u22122.5</td>',
        '<td><time datetime="2026-03-04">Wed 4 Mar</time></td><td>1</td><td>+6</td>',
    ]
    each = re.search(
        r'<table class="chart-data chart-entries-data">.*?<thead>(.*?)</thead>\s*<tbody>(.*?)</tbody>', html, re.S
    )
    assert each is not None
    assert re.findall(r'<th scope="col">([^<]+)</th>', each.group(1)) == ["When", "Feeling", "Intensity", "Mood"]
    rows = re.findall(r"<tr>(.*?)</tr>", each.group(2), re.S)
    assert len(rows) == 5
    assert (
        rows[0]
        == '<td><time datetime="2026-03-03T09:00+00:00">Tue 3 Mar, 09:00</time></td><td>anxious</td><td>1</td><td>\u22121</td>'
    )


def test_it_renders_bars_with_words_and_counts_and_a_calendar_with_numbers() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 3, 31, tzinfo=UTC)
    chart = _chart(
        [_entry(T0, 9, "happy"), _entry(T0 + timedelta(hours=1), 3, "happy"), _entry(T0, 7, "sad")],
        start=start,
        end=end,
    )

    html = _render(chart)

    bars = re.search(r'<svg class="chart-svg chart-bars".*?</svg>', html, re.S)
    assert bars is not None
    assert re.findall(r'font-size="12">([^<]+)</text>', bars.group(0)) == ["Happy", "2", "Sad", "1"]
    assert "<caption>March 2026</caption>" in html
    cell = re.search(
        r'<td class="mood-day mood-mixed"><time class="day-number" datetime="2026-03-03">3</time>(.*?)</td>', html
    )
    assert cell is not None
    assert (
        cell.group(1)
        == '<span class="day-mood">+1.7</span><span class="visually-hidden">, mixed or neutral, 3 entries</span>'
    )


def test_it_escapes_a_hostile_feeling() -> None:
    hostile = "<script>alert('x')</script>"
    chart = _chart([_entry(T0, 4, hostile), _entry(T0 + timedelta(hours=1), 6, hostile)], feeling=hostile)

    html = _render(chart)

    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_it_uses_no_inline_styles() -> None:
    html = _render(_chart([_entry(T0, 4), _entry(T0 + timedelta(hours=1), 6)]))

    assert "style=" not in html.lower()
    assert "<style" not in html.lower()


def test_it_prefixes_ids_with_chart_id_so_two_charts_can_share_a_page() -> None:
    chart = _chart([_entry(T0, 4), _entry(T0 + timedelta(hours=1), 6)])

    default = _render(chart)
    other = _render(chart, chart_id="week-chart")

    assert 'aria-labelledby="mood-chart-title mood-chart-desc"' in default
    assert 'aria-labelledby="mood-chart-bars-title mood-chart-bars-desc"' in default
    assert 'aria-labelledby="week-chart-title week-chart-desc"' in other
    ids = re.findall(r'\bid="([^"]+)"', default + other)
    assert len(ids) == len(set(ids))


def test_it_renders_a_kind_sentence_and_no_svg_when_empty() -> None:
    html = _render(_chart([]))

    assert "No entries in this range yet." in html
    assert "<svg" not in html
    assert "<table" not in html


def test_it_never_prints_coordinates_with_a_decimal_comma(settings: object) -> None:
    # A localised "36,5" would break the SVG for a client browsing in, say, German.
    settings.USE_I18N = True  # type: ignore[attr-defined]
    chart = _chart([_entry(T0, 4), _entry(T0 + timedelta(hours=1), 6), _entry(T0 + timedelta(hours=7), 7)])
    assert any(point.x != int(point.x) for point in chart.points)

    with translation.override("de"):
        html = _render(chart)

    for point in chart.points:
        assert f'd="{point.marker}"' in html
        assert "," not in point.marker


def test_it_labels_a_point_with_when_feeling_and_intensity() -> None:
    point = ChartPoint(x=0.0, y=0.0, when="Tue 3 Mar, 21:40", when_iso="", feeling="anxious", intensity=7, mood=-7)
    assert point.label == "Tue 3 Mar, 21:40 — anxious, 7 (mood \u22127)"


def _walked_midnights(first: datetime, last: datetime, zone) -> list[str]:
    """Every local midnight inside the range, found the slow way: a day at a time."""
    from datetime import time as clock

    found, day = [], first.astimezone(zone).date()
    while day <= last.astimezone(zone).date():
        midnight = datetime.combine(day, clock(0), tzinfo=zone)
        if first <= midnight <= last:
            found.append(day.isoformat())
        day += timedelta(days=1)
    return found


@pytest.mark.parametrize(
    ("first", "last", "zone_name"),
    [
        (datetime(2023, 1, 5, 13, 0, tzinfo=UTC), datetime(2026, 3, 4, 9, 0, tzinfo=UTC), "Europe/London"),
        (datetime(2026, 3, 1, 0, 0, tzinfo=UTC), datetime(2026, 3, 20, 23, 0, tzinfo=UTC), "UTC"),
        (datetime(2026, 3, 7, 8, 0, tzinfo=UTC), datetime(2026, 3, 9, 12, 0, tzinfo=UTC), "America/New_York"),
    ],
)
def test_it_labels_evenly_spaced_local_midnights_however_long_the_range(first, last, zone_name) -> None:
    from zoneinfo import ZoneInfo

    from portal.services.mood_chart import MAX_X_TICKS, _x_ticks

    zone = ZoneInfo(zone_name)
    ticks = _x_ticks(first, last, zone)
    midnights = _walked_midnights(first, last, zone)
    assert 1 <= len(ticks) <= MAX_X_TICKS
    step = -(-len(midnights) // (MAX_X_TICKS - 1 if first.year != last.year else MAX_X_TICKS))
    assert [tick.iso_date for tick in ticks] == midnights[::step]
    assert [tick.x for tick in ticks] == sorted(tick.x for tick in ticks)
