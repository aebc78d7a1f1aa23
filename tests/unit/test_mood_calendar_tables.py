"""A month's days without entries are written once per range of days, and are what writing them afresh gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.domain import MoodReading
from portal.services.mood_chart import mood_chart
from portal.templatetags import mood_calendar

END = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _chart(start: datetime, *entries: datetime) -> object:
    readings = [MoodReading(f"e{i}", moment, "sad", 6) for i, moment in enumerate(entries)]
    return mood_chart(entries=readings, time_zone="Europe/London", start=start, end=END, feeling=None)


def _fresh(chart: object) -> str:
    return "\n  ".join(mood_calendar._table(month) for month in chart.months)  # type: ignore[attr-defined]


def test_a_month_without_entries_is_written_once_and_as_before() -> None:
    mood_calendar._plain_tables.clear()
    chart = _chart(END - timedelta(days=30), END - timedelta(days=2))
    october, november = chart.months  # type: ignore[attr-defined]
    assert not october.has_entries and november.has_entries  # the entry is in November
    first = mood_calendar.mood_calendar_months(chart)
    assert first == _fresh(chart)
    assert list(mood_calendar._plain_tables) == [october.days_key]
    # Asked again, from memory: the same; November, with its mood, is written each time.
    assert mood_calendar.mood_calendar_months(chart) == first
    assert "1 entry" in first.split("</table>")[1]


def test_the_same_month_over_other_days_is_another_table() -> None:
    mood_calendar._plain_tables.clear()
    month = _chart(END - timedelta(days=30), END - timedelta(days=1))
    longer = _chart(END - timedelta(days=40), END - timedelta(days=1))
    written, written_longer = mood_calendar.mood_calendar_months(month), mood_calendar.mood_calendar_months(longer)
    assert written == _fresh(month) and written_longer == _fresh(longer)
    # October's days in range differ (from the 27th, or from the 17th): so do its cells.
    assert written.split("</table>")[0] != written_longer.split("</table>")[0]
    assert len(mood_calendar._plain_tables) == 2


def test_a_month_with_entries_writes_only_its_weeks_with_entries_anew() -> None:
    mood_calendar._plain_rows.clear()
    chart = _chart(END - timedelta(days=30), END - timedelta(days=2), END - timedelta(days=20))
    november = chart.months[1]  # type: ignore[attr-defined]
    # The entries are in two weeks of November (the 6th and the 24th): the other weeks are the plain ones.
    changed = [week is not plain for week, plain in zip(november.weeks, november.plain_weeks, strict=True)]
    assert changed.count(True) == 2
    written = mood_calendar.mood_calendar_months(chart)
    assert written == _fresh(chart)
    plain_rows = mood_calendar._plain_rows[november.days_key]
    assert len(plain_rows) == len(november.weeks) and all("day-mood" not in row for row in plain_rows)
    # Another chart of the same days, its entry elsewhere: the rows are reused, its own mood written.
    other = _chart(END - timedelta(days=30), END - timedelta(days=10))
    written_other = mood_calendar.mood_calendar_months(other)
    assert written_other == _fresh(other)
    assert written.count('class="day-mood"') == 2 and written_other.count('class="day-mood"') == 1
    assert list(mood_calendar._plain_rows) == [november.days_key]


def test_a_month_made_by_hand_without_its_plain_weeks_is_written_whole() -> None:
    chart = _chart(END - timedelta(days=30), END - timedelta(days=2))
    november = chart.months[1]  # type: ignore[attr-defined]
    bare = type(november)(title=november.title, weeks=november.weeks)
    assert mood_calendar._month_table(bare) == mood_calendar._table(november)
