"""{% mood_chart_figure %} writes the whole chart as the template it replaced did (tests/unit/reference/)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.template import Context, Engine

from portal.domain import JournalEntry
from portal.services.mood_chart import MoodChart, mood_chart

REFERENCE = Path(__file__).parent / "reference" / "mood_chart.html"
FAST = "{% load mood_chart_svg %}{% mood_chart_figure chart chart_id heading_level %}"
T0 = datetime(2026, 3, 4, 21, 40, tzinfo=UTC)


def _chart(days: int, feelings: tuple[str, ...] = ("calm", "sad", "<b>odd</b>", "anxious")) -> MoodChart:
    entries = [
        JournalEntry("c1", f"01E{i:03d}", T0 + timedelta(hours=11 * i), feelings[i % len(feelings)], 1 + i % 10)
        for i in range(days * 24 // 11)
    ]
    return mood_chart(entries=entries, time_zone="America/St_Johns", start=T0, end=T0 + timedelta(days=days), feeling=None)


def _normalized(html: str) -> str:
    # A run of whitespace reads as one space; where there was any, there must still be some.
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize(
    ("chart", "chart_id", "heading_level"),
    [
        (_chart(0), "", ""),
        (_chart(1), "", ""),
        (_chart(30), "", ""),
        (_chart(150), "shared-chart", 3),  # more months than the calendar shows
        (_chart(10), 'x"><i>', "4"),
    ],
)
def test_it_writes_what_the_template_wrote(chart: MoodChart, chart_id: str, heading_level: object) -> None:
    values = {"chart": chart, "chart_id": chart_id, "heading_level": heading_level}
    engine = Engine.get_default()
    expected = engine.from_string(REFERENCE.read_text()).render(Context(values))
    fast = engine.from_string(FAST).render(Context(values))
    assert _normalized(fast) == _normalized(expected)
    assert "<i>" not in fast and "<b>" not in fast
