"""A session's status badge, its list row (portal/presenters/sessions.py) and the link it makes."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.template.loader import get_template
from django.utils import timezone

from portal.domain import AccountKind, SessionStatus, TherapySession
from portal.presenters.sessions import CLIENT_LIST, THERAPIST_LIST, SessionRow

SESSION = TherapySession(
    session_id="01SESSION",
    therapist_id="01T",
    client_id="01C",
    title="Weekly",
    scheduled_for=datetime(2026, 3, 4, 21, 40, tzinfo=UTC),
)
WORDS = {
    SessionStatus.PENDING: "Requested",
    SessionStatus.APPROVED: "Approved",
    SessionStatus.REJECTED: "Declined",
    SessionStatus.OPEN: "In progress",
    SessionStatus.CLOSED: "Held",
}


def _macro(name: str, *args: object) -> str:
    macros = get_template("portal/sessions/_macros.html").template.module  # type: ignore[attr-defined]
    return str(getattr(macros, name)(*args))


@pytest.mark.parametrize(
    ("status", "requested_by", "cancelled_by"),
    list(
        itertools.product(
            SessionStatus,
            (AccountKind.CLIENT, AccountKind.THERAPIST),
            (None, AccountKind.CLIENT, AccountKind.THERAPIST),
        )
    ),
)
def test_it_words_each_status_and_writes_one_badge(
    status: SessionStatus, requested_by: AccountKind, cancelled_by: AccountKind | None
) -> None:
    session = replace(SESSION, status=status, requested_by=requested_by, cancelled_by=cancelled_by)
    if status is SessionStatus.CANCELLED:
        withdrawn = requested_by is AccountKind.CLIENT and cancelled_by is AccountKind.CLIENT
        expected = "Withdrawn" if withdrawn else "Cancelled"
    else:
        expected = WORDS[status]
    badge = _macro("status_badge", session)
    assert badge == f'<span class="badge status-{status.value}">{expected}</span>'


@pytest.mark.parametrize("detail_url", ["therapist_session", "client_session"])
def test_a_row_links_to_the_session_at_its_time_in_the_viewers_zone(detail_url: str) -> None:
    with timezone.override("Asia/Kolkata"):
        row = SessionRow.of(SESSION, detail_url)
    link = _macro("when_link", row)
    assert row.iso == "2026-03-05T03:10+05:30" and "/01SESSION/" in row.href
    assert link == f'<a href="{row.href}"><time datetime="2026-03-05T03:10+05:30">Thu 5 Mar 2026, 03:10</time></a>'


def test_each_role_lists_three_sections_with_ids_of_their_own() -> None:
    assert CLIENT_LIST.section_names == ("upcoming", "pending", "past")
    assert THERAPIST_LIST.section_names == ("agenda", "requests", "past")
    assert CLIENT_LIST.form_id != THERAPIST_LIST.form_id
