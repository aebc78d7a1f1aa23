"""{% session_when_link %} and {% session_status %} write what their templates did (tests/unit/reference/)."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.template import Context, Engine
from django.utils import timezone

from portal.domain import AccountKind, SessionStatus, TherapySession

REFERENCE = Path(__file__).parent / "reference"
SESSION = TherapySession(
    session_id="01SESSION", therapist_id="01T", client_id="01C", title="Weekly", scheduled_for=datetime(2026, 3, 4, 21, 40, tzinfo=UTC)
)


def _both(reference: str, fast: str, values: dict[str, object]) -> tuple[str, str]:
    engine = Engine.get_default()
    expected = engine.from_string((REFERENCE / reference).read_text()).render(Context(values))
    written = engine.from_string("{% load session_bits %}" + fast).render(Context(values))
    return re.sub(r"\s+", " ", written).strip(), re.sub(r"\s+", " ", expected).strip()


@pytest.mark.parametrize(
    ("status", "requested_by", "cancelled_by"),
    [
        (status, requested, cancelled)
        for status, requested, cancelled in itertools.product(
            SessionStatus, (AccountKind.CLIENT, AccountKind.THERAPIST), (None, AccountKind.CLIENT, AccountKind.THERAPIST)
        )
    ],
)
def test_it_writes_each_status_as_the_template_did(
    status: SessionStatus, requested_by: AccountKind, cancelled_by: AccountKind | None
) -> None:
    session = replace(SESSION, status=status, requested_by=requested_by, cancelled_by=cancelled_by)
    written, expected = _both("session_status.html", "{% session_status session %}", {"session": session})
    assert written == expected and written.count("badge") == 1


@pytest.mark.parametrize("detail_url", ["therapist_session", "client_session"])
def test_it_writes_the_time_link_as_the_template_did(detail_url: str) -> None:
    with timezone.override("Asia/Kolkata"):
        values = {"session": SESSION, "detail_url": detail_url}
        written, expected = _both(
            "session_when_link.html", f'{{% session_when_link session "{detail_url}" %}}', values
        )
    assert written == expected
    assert "2026-03-05T03:10+05:30" in written and "/01SESSION/" in written
