"""The mood chart's month calendars, written in Python.

A calendar is up to six weeks of seven cells per month, each cell with its
date, mood and words for a screen reader: several hundred template nodes, a
third of the chart page's own time (`make bench`). The markup is fixed, so
``{% mood_calendar_months chart %}`` writes it with every value escaped.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.utils.safestring import SafeString

from portal.escaping import esc, safe
from portal.services.mood_chart import CalendarDay

register = template.Library()

_HEAD = (
    '<thead><tr><th scope="col"><abbr title="Monday">Mo</abbr></th><th scope="col"><abbr title="Tuesday">Tu</abbr>'
    '</th><th scope="col"><abbr title="Wednesday">We</abbr></th><th scope="col"><abbr title="Thursday">Th</abbr>'
    '</th><th scope="col"><abbr title="Friday">Fr</abbr></th><th scope="col"><abbr title="Saturday">Sa</abbr>'
    '</th><th scope="col"><abbr title="Sunday">Su</abbr></th></tr></thead>'
)


def _cell(day: Any) -> str:
    if not day:
        return '<td class="mood-day blank"></td>'
    if day.mood is None:
        return _cell_without_mood(day.day, day.iso, day.in_range, day.bucket)
    return _written_cell(day)


# A day without entries looks the same in every chart that shows it: most cells
# of a calendar are written once per process, not once per chart.
@lru_cache(maxsize=1024)
def _cell_without_mood(number: int, iso: str, in_range: bool, bucket: str) -> str:
    return _written_cell(CalendarDay(day=number, iso=iso, in_range=in_range, bucket=bucket))


def _written_cell(day: Any) -> str:
    classes = f"mood-day mood-{esc(day.bucket)}" + ("" if day.in_range else " out-of-range")
    text = f'<time class="day-number" datetime="{esc(day.iso)}">{day.day}</time>'
    if day.mood is not None:
        entries = "entry" if day.count == 1 else "entries"
        text += (
            f'<span class="day-mood">{esc(day.mood_text)}</span>'
            f'<span class="visually-hidden">, {esc(day.mood_words)}, {day.count} {entries}</span>'
        )
    elif day.in_range:
        text += '<span class="visually-hidden">, no entries</span>'
    return f'<td class="{classes}">{text}</td>'


def _row(week: Any) -> str:
    return "<tr>" + "".join(_cell(day) for day in week) + "</tr>"


def _table(month: Any, rows: str | None = None) -> str:
    if rows is None:
        rows = "\n    ".join(_row(week) for week in month.weeks)
    return (
        f'<table class="mood-calendar">\n    <caption>{esc(month.title)}</caption>\n    {_HEAD}\n'
        f"    <tbody>\n    {rows}\n    </tbody>\n  </table>"
    )


# A month's days without entries are the same in every chart of the same days (its
# days_key says which): a month without entries is written once as a table, and the
# weeks without entries of a month with some once as rows. Only dates, never a mood,
# are in these.
_plain_tables: dict[tuple[Any, ...], str] = {}
_plain_rows: dict[tuple[Any, ...], tuple[str, ...]] = {}
_KEPT = 256


def _remember(memo: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> Any:
    if len(memo) >= _KEPT:
        memo.clear()
    memo[key] = value
    return value


def _month_table(month: Any) -> str:
    key = getattr(month, "days_key", None)
    plain_weeks = getattr(month, "plain_weeks", ())
    if key is None or len(plain_weeks) != len(month.weeks):
        return _table(month)
    if month.weeks is plain_weeks:
        return _plain_tables.get(key) or _remember(_plain_tables, key, _table(month))
    plain_rows = _plain_rows.get(key) or _remember(_plain_rows, key, tuple(_row(week) for week in plain_weeks))
    rows = "\n    ".join(
        plain_row if week is plain_week else _row(week)
        for week, plain_week, plain_row in zip(month.weeks, plain_weeks, plain_rows, strict=True)
    )
    return _table(month, rows)


@register.simple_tag
def mood_calendar_months(chart: Any) -> SafeString:
    return safe(months_markup(chart))  # safe: every value is escaped


def months_markup(chart: Any) -> str:
    """The chart's month tables, every value escaped."""
    return "\n  ".join(_month_table(month) for month in chart.months)
