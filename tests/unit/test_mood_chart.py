"""The mood chart: layout (portal.services.mood_chart) and its template fragment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from portal.domain import JournalEntry
from portal.ids import new_id
from portal.services.mood_chart import ChartPoint, MoodChart, mood_chart

CLIENT_ID = new_id()
T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # a Tuesday
TEMPLATE = "portal/client/_mood_chart.html"


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


def test_it_orders_points_by_time_and_puts_intensity_10_at_the_top_and_1_at_the_bottom() -> None:
    # Deliberately out of order: the repository may page newest first.
    entries = [
        _entry(T0 + timedelta(hours=2), 5),
        _entry(T0, 10),
        _entry(T0 + timedelta(hours=1), 1),
    ]

    chart = _chart(entries)

    assert [point.intensity for point in chart.points] == [10, 1, 5]
    assert [point.x for point in chart.points] == sorted(point.x for point in chart.points)
    top, bottom = chart.points[0].y, chart.points[1].y
    assert top == chart.plot_top
    assert bottom == chart.plot_bottom
    # 5 sits 4/9 of the way up from 1 to 10.
    assert chart.points[2].y == pytest.approx(chart.plot_bottom - 4 / 9 * (chart.plot_bottom - chart.plot_top), abs=0.1)
    # The line goes through the points, in time order.
    assert _polyline_pairs(chart) == [(point.x, point.y) for point in chart.points]


def test_it_places_points_in_proportion_to_time() -> None:
    entries = [_entry(T0, 3), _entry(T0 + timedelta(hours=1), 4), _entry(T0 + timedelta(hours=4), 5)]

    chart = _chart(entries)

    left, right = chart.plot_left, chart.plot_right
    assert [point.x for point in chart.points] == pytest.approx([left, left + (right - left) / 4, right], abs=0.1)


def test_it_spans_the_x_axis_from_start_to_end_when_they_are_given() -> None:
    start, end = T0, T0 + timedelta(days=10)
    entries = [_entry(T0 + timedelta(days=5), 6)]

    chart = _chart(entries, start=start, end=end)

    assert chart.points[0].x == pytest.approx((chart.plot_left + chart.plot_right) / 2, abs=0.1)
    entries = [_entry(T0 + timedelta(days=2), 6), _entry(T0 + timedelta(days=7), 6)]
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
    assert chart.description == "1 entry, with intensity 7."


def test_it_returns_an_empty_chart_for_no_entries() -> None:
    chart = _chart([], feeling="sad")

    assert chart.empty
    assert chart.points == []
    assert chart.polyline == ""
    assert chart.count == 0
    assert chart.title == "Intensity of feeling sad"
    assert chart.description == "No entries in this range yet."


def test_it_leaves_out_other_feelings_and_entries_outside_the_range() -> None:
    start, end = T0, T0 + timedelta(days=1)
    entries = [
        _entry(T0 + timedelta(hours=1), 4, "anxious"),
        _entry(T0 + timedelta(hours=2), 8, "calm"),
        _entry(T0 - timedelta(seconds=1), 9, "anxious"),
        _entry(end + timedelta(seconds=1), 9, "anxious"),
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
    assert point.label == "Wed 4 Mar, 08:30 — anxious, 7"
    assert [tick.label for tick in chart.x_ticks] == ["4 Mar"]
    assert chart.title == "Intensity of all feelings, 4 March 2026"


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
        "Intensity of feeling anxious, 1 to 14 March 2026"
    )
    assert _chart(entries, start=start, end=end).title == "Intensity of all feelings, 1 to 14 March 2026"
    # The range is read in the client's zone too: 22:00 UTC on the 14th is the 15th in Tokyo.
    assert _chart(entries, start=start, end=end, time_zone="Asia/Tokyo").title == (
        "Intensity of all feelings, 1 to 15 March 2026"
    )
    across_months = _chart(entries, start=start - timedelta(days=2), end=end)
    assert across_months.title == "Intensity of all feelings, 27 February to 14 March 2026"


def test_it_describes_count_lowest_highest_average_and_trend() -> None:
    rising = [_entry(T0, 2), _entry(T0 + timedelta(days=1), 5), _entry(T0 + timedelta(days=2), 9)]

    chart = _chart(rising)

    assert (chart.count, chart.lowest, chart.highest) == (3, 2, 9)
    assert chart.average == pytest.approx(16 / 3)
    assert chart.trend == "rising"
    assert chart.description == "3 entries: lowest intensity 2, highest 9, average 5.3, rising over the period."

    falling = [_entry(T0, 9), _entry(T0 + timedelta(days=1), 5), _entry(T0 + timedelta(days=2), 2)]
    assert _chart(falling).trend == "falling"
    level = [_entry(T0, 5), _entry(T0 + timedelta(days=1), 6), _entry(T0 + timedelta(days=2), 5)]
    assert _chart(level).trend == "steady"
    assert "staying about level" in _chart(level).description


# --- template --------------------------------------------------------------------


def _render(chart: MoodChart, **context: object) -> str:
    return render_to_string(TEMPLATE, {"chart": chart, **context})


def test_it_renders_an_accessible_svg_named_by_its_title_and_desc() -> None:
    chart = _chart([_entry(T0, 3), _entry(T0 + timedelta(hours=5), 8)], feeling="anxious")

    html = _render(chart)

    assert '<svg class="chart-svg" role="img"' in html
    assert f'viewBox="0 0 {chart.width} {chart.height}"' in html
    labelled_by = re.search(r'aria-labelledby="([^"]+)"', html)
    assert labelled_by is not None
    title_id, desc_id = labelled_by.group(1).split()
    assert f'<title id="{title_id}">{chart.title}</title>' in html
    assert f'<desc id="{desc_id}">{chart.description}</desc>' in html
    assert html.count("<circle ") == 2
    for point in chart.points:
        assert f"<title>{point.label}</title>" in html
    assert f'points="{chart.polyline}"' in html


def test_it_renders_a_table_with_one_row_per_entry() -> None:
    entries = [_entry(T0 + timedelta(hours=hour), hour + 1) for hour in range(4)]

    html = _render(_chart(entries))

    assert "<summary>Show the numbers</summary>" in html
    assert '<table class="chart-data">' in html
    assert '<caption class="visually-hidden">Intensity of all feelings, 3 March 2026</caption>' in html
    headers = re.findall(r'<th scope="col">([^<]+)</th>', html)
    assert headers == ["When", "Feeling", "Intensity"]
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body is not None
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    assert len(rows) == 4
    assert '<td><time datetime="2026-03-03T09:00+00:00">Tue 3 Mar, 09:00</time></td><td>anxious</td><td>1</td>' in rows[0]


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
        assert f'cx="{point.x}" cy="{point.y}"' in html


def test_it_labels_a_point_with_when_feeling_and_intensity() -> None:
    point = ChartPoint(x=0.0, y=0.0, when="Tue 3 Mar, 21:40", when_iso="", feeling="anxious", intensity=7)
    assert point.label == "Tue 3 Mar, 21:40 — anxious, 7"
