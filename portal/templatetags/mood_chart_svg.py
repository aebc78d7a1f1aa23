"""The mood chart's drawings and number tables, written in Python.

Each entry is a marker in the SVG and a row in the numbers table, each day a
mark on the line and a row: several hundred template nodes that made the chart
page twice its floor (`make bench`). The markup is fixed and small, so these
tags write it with every text escaped; coordinates are plain numbers printed
without localisation (a decimal comma would break the SVG), as the template's
``{% localize off %}`` did. ``portal/_mood_chart.html`` keeps the frame: the
figures, captions, headings and the calendar key.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import capfirst
from django.utils.safestring import SafeString, mark_safe

from portal.escaping import esc
from portal.services.mood_chart import MoodChart

register = template.Library()


def _shift(value: float, by: int) -> int:
    # What the template's ``value|add:by`` gave: Django's add filter truncates to int.
    return int(value) + by


@register.simple_tag
def mood_chart_line_svg(chart: MoodChart, cid: str) -> SafeString:
    """The daily mood line with a marker per entry, its axes and grid."""
    c, left, right, top, bottom = esc(cid), chart.plot_left, chart.plot_right, chart.plot_top, chart.plot_bottom
    grid = "".join(
        f'<line class="chart-gridline{" chart-zero" if tick.value == 0 else ""}" x1="{left}" y1="{tick.y}" '
        f'x2="{right}" y2="{tick.y}"/>\n      '
        for tick in chart.y_ticks
    )
    y_labels = "".join(
        f'<text class="chart-axis-text" x="{_shift(left, -6)}" y="{tick.y}" dy="0.35em" text-anchor="end" '
        f'font-size="12">{esc(tick.label)}</text>\n      '
        for tick in chart.y_ticks
    )
    x_labels = "".join(
        f'<line class="chart-axis" x1="{tick.x}" y1="{bottom}" x2="{tick.x}" y2="{_shift(bottom, 5)}"/>\n      '
        f'<text class="chart-axis-text" x="{tick.x}" y="{_shift(bottom, 20)}" text-anchor="middle" '
        f'font-size="12">{esc(tick.label)}</text>\n      '
        for tick in chart.x_ticks
    )
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
    return mark_safe(  # noqa: S308 (every text above is escaped; the rest are numbers)
        f'<svg class="chart-svg" role="img" aria-labelledby="{c}-title {c}-desc" viewBox="{esc(chart.view_box)}" '
        f'preserveAspectRatio="xMidYMid meet">\n'
        f'    <title id="{c}-title">{esc(chart.title)}</title>\n'
        f'    <desc id="{c}-desc">{esc(chart.description)}</desc>\n'
        f'    <g class="chart-grid">\n      {grid}\n    </g>\n'
        f'    <g class="chart-axes">\n'
        f'      <line class="chart-axis" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>\n'
        f'      <line class="chart-axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>\n'
        f"      {y_labels}\n"
        f'      <text class="chart-axis-text chart-scale-word" x="{_shift(left, 4)}" y="{_shift(top, 10)}" '
        f'font-size="10">pleasant</text>\n'
        f'      <text class="chart-axis-text chart-scale-word" x="{_shift(left, 4)}" y="{_shift(bottom, -4)}" '
        f'font-size="10">unpleasant</text>\n'
        f"      {x_labels}\n"
        f"    </g>\n"
        f"    {line}\n"
        f'    <g class="chart-days">\n      {days}\n    </g>\n'
        f'    <g class="chart-points">\n      {points}\n    </g>\n'
        f"  </svg>"
    )


@register.simple_tag
def mood_chart_legend_items(chart: MoodChart) -> SafeString:
    """One legend item per feeling: its marker shape (colour is never the only cue), name and valence."""
    return mark_safe(  # noqa: S308 (every text is escaped)
        "".join(
            f'<li><svg class="legend-mark" viewBox="-7 -7 14 14" aria-hidden="true" focusable="false">'
            f'<path class="legend-point chart-point mark-{esc(item.key)}{" hollow" if item.hollow else ""}" '
            f'd="{esc(item.marker)}"/></svg><span>{esc(capfirst(item.feeling))}</span> '
            f'<span class="muted">({esc(item.valence)})</span></li>\n    '
            for item in chart.legend
        )
    )


@register.simple_tag
def mood_chart_bars_svg(chart: MoodChart, cid: str) -> SafeString:
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
    return mark_safe(  # noqa: S308 (every text is escaped; the rest are numbers)
        f'<svg class="chart-svg chart-bars" role="img" aria-labelledby="{c}-bars-title {c}-bars-desc" '
        f'viewBox="{esc(chart.bars_view_box)}" preserveAspectRatio="xMidYMid meet">\n'
        f'    <title id="{c}-bars-title">How often each feeling appeared</title>\n'
        f'    <desc id="{c}-bars-desc">{esc(chart.bars_description)}</desc>\n'
        f"    {bars}\n"
        f"  </svg>"
    )


@register.simple_tag
def mood_chart_day_rows(chart: MoodChart) -> SafeString:
    return mark_safe(  # noqa: S308 (every text is escaped)
        "".join(
            f'<tr><td><time datetime="{esc(day.iso)}">{esc(day.label)}</time></td><td>{day.count}</td>'
            f"<td>{esc(day.mood_text)}</td></tr>\n      "
            for day in chart.days
        )
    )


@register.simple_tag
def mood_chart_entry_rows(chart: MoodChart) -> SafeString:
    return mark_safe(  # noqa: S308 (every text is escaped)
        "".join(
            f'<tr><td><time datetime="{esc(point.when_iso)}">{esc(point.when)}</time></td>'
            f"<td>{esc(point.feeling)}</td><td>{point.intensity}</td><td>{esc(point.mood_text)}</td></tr>\n      "
            for point in chart.points
        )
    )
