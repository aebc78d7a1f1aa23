"""A month without entries is written once per range of days, and is what writing it afresh gives."""

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
    assert october.plain_key is not None and november.plain_key is None  # the entry is in November
    first = mood_calendar.mood_calendar_months(chart)
    assert first == _fresh(chart)
    assert list(mood_calendar._plain_tables) == [october.plain_key]
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
