"""{% shared_entry %} writes a shared entry as the template it replaced did (tests/unit/reference/)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Engine
from django.utils import timezone

from portal.domain import ErasedText, JournalEntry

REFERENCE = Path(__file__).parent / "reference" / "shared_entry.html"
FAST = "{% load shared_entry %}{% shared_entry entry visit.new_ids %}"
WHEN = datetime(2026, 3, 4, 21, 40, tzinfo=UTC)


class Visit:
    def __init__(self, *new_ids: str) -> None:
        self.new_ids = frozenset(new_ids)


def _entry(note: Any = "") -> JournalEntry:
    return JournalEntry("c1", "01ENTRY", WHEN, "hopeful", 6, note=note, shared_at=WHEN)


def _normalized(html: str) -> str:
    # A run of whitespace reads as one space; where there was any, there must still be some.
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize(
    ("entry", "visit"),
    [
        (_entry(), None),
        (_entry("<b>heavy</b> day\r\nsecond line"), Visit()),
        (_entry("x & y"), Visit("01ENTRY")),
        (_entry(ErasedText()), Visit("other")),
    ],
)
def test_it_writes_what_the_template_wrote(entry: JournalEntry, visit: Visit | None) -> None:
    engine = Engine.get_default()
    with timezone.override("America/St_Johns"):
        values = {"entry": entry, "visit": visit}
        expected = engine.from_string(REFERENCE.read_text()).render(Context(values))
        fast = engine.from_string(FAST).render(Context(values))
    assert _normalized(fast) == _normalized(expected)
    assert ("New" in fast) == bool(visit and entry.entry_id in visit.new_ids)
    assert "<b>" not in fast
