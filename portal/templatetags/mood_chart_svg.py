"""The mood chart's drawings and number tables, written in Python.

Each entry is a marker in the SVG and a row in the numbers table, each day a
mark on the line and a row: several hundred template nodes that made the chart
page twice its floor (`make bench`). The markup is fixed and small, so these
tags write it with every text escaped; coordinates are plain numbers printed
without localisation (a decimal comma would break the SVG), as the template's
``{% localize off %}`` did. ``{% mood_chart_figure %}`` puts them together with
the captions, headings and the calendar key, as ``portal/_mood_chart.html`` did
(kept at tests/unit/reference/mood_chart.html, and held to it by
tests/unit/test_mood_chart_markup.py).
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.safestring import SafeString

from portal.escaping import esc, safe
from portal.services.mood_chart import MoodChart, XTick, YTick
from portal.templatetags.mood_calendar import months_markup

register = template.Library()


def capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shift(value: float, by: int) -> int:
    # What the template's ``value|add:by`` gave: Django's add filter truncates to int.
    return int(value) + by


@register.simple_tag
def mood_chart_line_svg(chart: MoodChart, cid: str) -> SafeString:
    return safe(_line_svg(chart, cid))  # safe: written escaped by _line_svg


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


@lru_cache(maxsize=64)
def _legend_item(key: str, hollow: bool, marker: str, feeling: str, valence: str) -> str:
    return (
        f'<li><svg class="legend-mark" viewBox="-7 -7 14 14" aria-hidden="true" focusable="false">'
        f'<path class="legend-point chart-point mark-{esc(key)}{" hollow" if hollow else ""}" '
        f'd="{esc(marker)}"/></svg><span>{esc(capfirst(feeling))}</span> '
        f'<span class="muted">({esc(valence)})</span></li>\n    '
    )


@register.simple_tag
def mood_chart_legend_items(chart: MoodChart) -> SafeString:
    return safe(_legend_items(chart))  # safe: written escaped by _legend_items


def _legend_items(chart: MoodChart) -> str:
    """One legend item per feeling: its marker shape (colour is never the only cue), name and valence."""
    return (  # every text is escaped
        "".join(_legend_item(i.key, i.hollow, i.marker, i.feeling, i.valence) for i in chart.legend)
    )


@register.simple_tag
def mood_chart_bars_svg(chart: MoodChart, cid: str) -> SafeString:
    return safe(_bars_svg(chart, cid))  # safe: written escaped by _bars_svg


def _bars_svg(chart: MoodChart, cid: str) -> str:
    """How often each feeling appeared: a bar with its word and its count."""
    c = esc(cid)
    bars = "".join(
        f'<g class="chart-bar">\n'
        f'      <text class="chart-axis-text chart-bar-label" x="{chart.bar_label_right}" y="{bar.text_y}" '
        f'dy="0.35em" text-anchor="end" font-size="12">{esc(capfirst(bar.feeling))}</text>\n'
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


@register.simple_tag
def mood_chart_day_rows(chart: MoodChart) -> SafeString:
    return safe(_day_rows(chart))  # safe: written escaped by _day_rows


def _day_rows(chart: MoodChart) -> str:
    return (  # every text is escaped
        "".join(
            f'<tr><td><time datetime="{esc(day.iso)}">{esc(day.label)}</time></td><td>{day.count}</td>'
            f"<td>{esc(day.mood_text)}</td></tr>\n      "
            for day in chart.days
        )
    )


@register.simple_tag
def mood_chart_entry_rows(chart: MoodChart) -> SafeString:
    return safe(_entry_rows(chart))  # safe: written escaped by _entry_rows


def _entry_rows(chart: MoodChart) -> str:
    return (  # every text is escaped
        "".join(
            f'<tr><td><time datetime="{esc(point.when_iso)}">{esc(point.when)}</time></td>'
            f"<td>{esc(point.feeling)}</td><td>{point.intensity}</td><td>{esc(point.mood_text)}</td></tr>\n      "
            for point in chart.points
        )
    )


_CALENDAR_KEY = (
    '<ul class="calendar-key" aria-label="Calendar colours">\n'
    '    <li><span class="swatch mood-very-good" aria-hidden="true"></span> +6 or more: very pleasant</li>\n'
    '    <li><span class="swatch mood-good" aria-hidden="true"></span> +2 to +6: pleasant</li>\n'
    '    <li><span class="swatch mood-mixed" aria-hidden="true"></span> &minus;2 to +2: mixed or neutral</li>\n'
    '    <li><span class="swatch mood-low" aria-hidden="true"></span> &minus;6 to &minus;2: unpleasant</li>\n'
    '    <li><span class="swatch mood-very-low" aria-hidden="true"></span> &minus;6 or less: very unpleasant</li>\n'
    "  </ul>"
)


@register.simple_tag
def mood_chart_figure(chart: MoodChart, chart_id: str = "", heading_level: int | str = "") -> SafeString:
    """A whole mood chart (portal.services.mood_chart.MoodChart): inline SVG and tables, no chart script.

    ``chart_id`` prefixes every id (pass a different one for each chart on a page);
    ``heading_level`` is the level of the chart's section headings (2 by default).
    Colours and sizes come from static/css/chart.css through classes only (the CSP
    blocks style= attributes). Colour is never the only cue: every feeling also has
    its own marker shape and its name in the legend, the bars carry words and
    counts, and each calendar day prints its mood as a number.
    """
    c = esc(chart_id or "mood-chart")
    if chart.empty:
        return safe(f'\n<p class="chart-empty" id="{c}">No entries in this range yet.</p>\n')  #
    h = esc(heading_level or 2)
    months_cut = (
        f'<p class="muted">The calendar shows the last {len(chart.months)} months of this range.</p>'
        if chart.months_cut
        else ""
    )
    return safe(  # safe: every text is escaped; the drawings are written escaped above
        f'\n<div class="mood-chart" id="{c}">\n<figure class="chart-figure">\n'
        f'  <figcaption class="chart-caption" id="{c}-caption">{esc(chart.title)}</figcaption>\n'
        f"  {_line_svg(chart, chart_id or 'mood-chart')}\n"
        '  <p class="chart-key-line"><span class="key-line" aria-hidden="true"></span> The line is each day\'s '
        "average mood; each mark is one entry.</p>\n"
        '  <ul class="chart-legend" aria-label="Feelings on this chart">\n'
        f"    {_legend_items(chart)}\n  </ul>\n</figure>\n\n"
        '<figure class="chart-figure">\n'
        f'  <figcaption class="chart-caption" id="{c}-bars-caption">How often each feeling appeared</figcaption>\n'
        f"  {_bars_svg(chart, chart_id or 'mood-chart')}\n</figure>\n\n"
        f'<section class="chart-calendar" aria-labelledby="{c}-calendar-heading">\n'
        f'  <h{h} class="chart-caption" id="{c}-calendar-heading">Each day\'s mood</h{h}>\n'
        f"  {months_cut}\n  {_CALENDAR_KEY}\n"
        f'  <div class="calendar-months">\n  {months_markup(chart)}\n  </div>\n</section>\n\n'
        '<details class="chart-details">\n  <summary>Show the numbers</summary>\n'
        '  <table class="chart-data chart-days-data">\n'
        f"    <caption>Daily mood: {esc(chart.title)}</caption>\n"
        '    <thead>\n      <tr><th scope="col">Day</th><th scope="col">Entries</th><th scope="col">Mood</th></tr>\n'
        f"    </thead>\n    <tbody>\n      {_day_rows(chart)}\n    </tbody>\n  </table>\n"
        '  <table class="chart-data chart-entries-data">\n    <caption>Each entry</caption>\n'
        '    <thead>\n      <tr><th scope="col">When</th><th scope="col">Feeling</th><th scope="col">Intensity</th>'
        '<th scope="col">Mood</th></tr>\n'
        f"    </thead>\n    <tbody>\n      {_entry_rows(chart)}\n    </tbody>\n  </table>\n"
        "</details>\n</div>\n"
    )
