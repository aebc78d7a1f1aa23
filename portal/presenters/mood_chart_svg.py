"""The mood chart's two drawings, written in Python: they are geometry.

The line chart (each day's mood, a marker per entry, axes, grid) and the bars
(how often each feeling appeared) are coordinates computed by
portal.services.mood_chart and printed into SVG; a template would only loop
over numbers. Every text is escaped; coordinates are plain numbers printed
without localisation (a decimal comma would break the SVG). The figure around
them (captions, legend, calendar, tables of numbers) is the macro
``mood_chart_figure`` in templates/portal/_mood_chart.html, which calls
``mood_chart_line_svg`` and ``mood_chart_bars_svg`` (globals of the template
environment).
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from markupsafe import Markup

from portal.services.mood_chart import MoodChart, XTick, YTick


def esc(value: object) -> str:
    """Django's ``escape``: & < > " ' as entities."""
    return escape(str(value))


def mood_chart_line_svg(chart: MoodChart, cid: str) -> Markup:
    """The daily mood line with a marker per entry, its axes and grid; ids start with ``cid``."""
    return Markup(_line_svg(chart, cid))  # every text in it is escaped; the rest are numbers


def mood_chart_bars_svg(chart: MoodChart, cid: str) -> Markup:
    """How often each feeling appeared; ids start with ``cid``."""
    return Markup(_bars_svg(chart, cid))  # every text in it is escaped; the rest are numbers


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shift(value: float, by: int) -> int:
    # What the template's ``value|add:by`` gave: Django's add filter truncates to int.
    return int(value) + by


def _line_svg(chart: MoodChart, cid: str) -> str:
    """The daily mood line with a marker per entry, its axes and grid."""
    c, bottom = esc(cid), chart.plot_bottom
    view_box, grid_and_axes = _plot_frame(
        chart.width, chart.height, chart.plot_left, chart.plot_right, chart.plot_top, bottom, tuple(chart.y_ticks)
    )
    # An axis that follows the entries (no range given) is written afresh: only days are remembered.
    x_labels = _x_labels(bottom, chart.x_ticks) if chart.whole_days else _write_x_labels(bottom, chart.x_ticks)
    line = (
        f'<polyline class="chart-line" fill="none" stroke-linejoin="round" stroke-linecap="round" '
        f'points="{esc(chart.polyline)}"/>'
        if len(chart.days) > 1
        else ""
    )
    days = "".join(
        f'<line class="chart-day" x1="{day.left}" y1="{day.y}" x2="{day.right}" y2="{day.y}"><title>'
        f"{esc(day.label)}: daily mood {esc(day.mood_text)} ({day.count} "
        f"{'entry' if day.count == 1 else 'entries'})</title></line>\n      "
        for day in chart.days
    )
    points = "".join(
        f'<path class="chart-point mark-{esc(point.key)}{" hollow" if point.hollow else ""}" '
        f'd="{esc(point.marker)}"><title>{esc(point.label)}</title></path>\n      '
        for point in chart.points
    )
    return (  # every text above is escaped; the rest are numbers
        f'<svg class="chart-svg" role="img" aria-labelledby="{c}-title {c}-desc" viewBox="{view_box}" '
        f'preserveAspectRatio="xMidYMid meet">\n'
        f'    <title id="{c}-title">{esc(chart.title)}</title>\n'
        f'    <desc id="{c}-desc">{esc(chart.description)}</desc>\n'
        f"{grid_and_axes}"
        f"      {x_labels}\n"
        f"    </g>\n"
        f"    {line}\n"
        f'    <g class="chart-days">\n      {days}\n    </g>\n'
        f'    <g class="chart-points">\n      {points}\n    </g>\n'
        f"  </svg>"
    )


# The grid, the axes and the scale are the same on every chart (the geometry and the
# ticks are fixed), and so is each feeling's legend item: written once per process,
# not once per chart.
@lru_cache(maxsize=8)
def _plot_frame(
    width: int, height: int, left: int, right: int, top: int, bottom: int, ticks: tuple[YTick, ...]
) -> tuple[str, str]:
    """The viewBox, escaped; and the grid and the axes up to the x axis's labels."""
    grid, y_labels = _grid_and_y_labels(left, right, ticks)
    return esc(f"0 0 {width} {height}"), (
        f'    <g class="chart-grid">\n      {grid}\n    </g>\n'
        f'    <g class="chart-axes">\n'
        f'      <line class="chart-axis" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>\n'
        f'      <line class="chart-axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>\n'
        f"      {y_labels}\n"
        f'      <text class="chart-axis-text chart-scale-word" x="{_shift(left, 4)}" y="{_shift(top, 10)}" '
        f'font-size="10">pleasant</text>\n'
        f'      <text class="chart-axis-text chart-scale-word" x="{_shift(left, 4)}" y="{_shift(bottom, -4)}" '
        f'font-size="10">unpleasant</text>\n'
    )


def _grid_and_y_labels(left: int, right: int, ticks: tuple[YTick, ...]) -> tuple[str, str]:
    grid = "".join(
        f'<line class="chart-gridline{" chart-zero" if tick.value == 0 else ""}" x1="{left}" y1="{tick.y}" '
        f'x2="{right}" y2="{tick.y}"/>\n      '
        for tick in ticks
    )
    y_labels = "".join(
        f'<text class="chart-axis-text" x="{_shift(left, -6)}" y="{tick.y}" dy="0.35em" text-anchor="end" '
        f'font-size="12">{esc(tick.label)}</text>\n      '
        for tick in ticks
    )
    return grid, y_labels


# The same whole days in the same zone have the same axis (mood_chart._x_ticks): its
# labels are written once for them. Dates and places only, nothing about a person.
@lru_cache(maxsize=256)
def _x_labels(bottom: int, ticks: tuple[XTick, ...]) -> str:
    return _write_x_labels(bottom, ticks)


def _write_x_labels(bottom: int, ticks: tuple[XTick, ...]) -> str:
    return "".join(
        f'<line class="chart-axis" x1="{tick.x}" y1="{bottom}" x2="{tick.x}" y2="{_shift(bottom, 5)}"/>\n      '
        f'<text class="chart-axis-text" x="{tick.x}" y="{_shift(bottom, 20)}" text-anchor="middle" '
        f'font-size="12">{esc(tick.label)}</text>\n      '
        for tick in ticks
    )


def _bars_svg(chart: MoodChart, cid: str) -> str:
    """How often each feeling appeared: a bar with its word and its count."""
    c = esc(cid)
    bars = "".join(
        f'<g class="chart-bar">\n'
        f'      <text class="chart-axis-text chart-bar-label" x="{chart.bar_label_right}" y="{bar.text_y}" '
        f'dy="0.35em" text-anchor="end" font-size="12">{esc(_capfirst(bar.feeling))}</text>\n'
        f'      <rect class="chart-bar-fill bar-{esc(bar.key)}" x="{chart.bar_left}" y="{bar.y}" '
        f'width="{bar.width}" height="{chart.bar_height}" rx="2"/>\n'
        f'      <text class="chart-axis-text" x="{bar.count_x}" y="{bar.text_y}" dy="0.35em" '
        f'font-size="12">{bar.count}</text>\n'
        f"    </g>\n    "
        for bar in chart.bars
    )
    return (  # every text is escaped; the rest are numbers
        f'<svg class="chart-svg chart-bars" role="img" aria-labelledby="{c}-bars-title {c}-bars-desc" '
        f'viewBox="{esc(chart.bars_view_box)}" preserveAspectRatio="xMidYMid meet">\n'
        f'    <title id="{c}-bars-title">How often each feeling appeared</title>\n'
        f'    <desc id="{c}-bars-desc">{esc(chart.bars_description)}</desc>\n'
        f"    {bars}\n"
        f"  </svg>"
    )
