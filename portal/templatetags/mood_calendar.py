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


def _table(month: Any) -> str:
    rows = "\n    ".join("<tr>" + "".join(_cell(day) for day in week) + "</tr>" for week in month.weeks)
    return (
        f'<table class="mood-calendar">\n    <caption>{esc(month.title)}</caption>\n    {_HEAD}\n'
        f"    <tbody>\n    {rows}\n    </tbody>\n  </table>"
    )


# A month without entries is the same table in every chart of the same days (its
# plain_key says which): written once. Only dates, never a mood, are in these.
_plain_tables: dict[tuple[Any, ...], str] = {}
_PLAIN_TABLES_KEPT = 256


def _plain_table(month: Any) -> str:
    table = _plain_tables.get(month.plain_key)
    if table is None:
        table = _table(month)
        if len(_plain_tables) >= _PLAIN_TABLES_KEPT:
            _plain_tables.clear()
        _plain_tables[month.plain_key] = table
    return table


@register.simple_tag
def mood_calendar_months(chart: Any) -> SafeString:
    tables = [_table(month) if getattr(month, "plain_key", None) is None else _plain_table(month) for month in chart.months]
    return safe("\n  ".join(tables))  # safe: every value above is escaped
