"""Questionnaires asked for before every session follow the sessions: booked, approved or moved,
the reminder follows; a failure there never fails the session change."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from portal.domain import DatabaseUnavailable, SessionStatus
from portal.domain_measures import MeasureKind, Schedule
from portal.dynamo.measures import MeasureRepository
from portal.dynamo.sessions import SessionRepository
from portal.services import measures
from portal.services import sessions as service
from portal.timeutil import utcnow
from tests.sessions_data import Pair, booked, care_pair, in_days, requested


@pytest.fixture
def pair(dynamo) -> Pair:  # type: ignore[no-untyped-def]
    pair = care_pair()
    measures.measure_assign(
        user=pair.therapist,
        client_id=pair.client.account_id,
        measure=MeasureKind.PHQ9,
        schedule=Schedule.BEFORE_SESSION,
    )
    return pair


def _reminders() -> list[datetime | None]:
    return [a.remind_at for a in MeasureRepository().reminders_due(utcnow() + timedelta(days=60))]


def test_a_session_booked_approved_sets_the_reminder_a_day_before(pair: Pair) -> None:
    assert _reminders() == []

    session = booked(pair, when=in_days(6))

    # Open three days before, reminded two days into that: a day before the session.
    assert _reminders() == [session.scheduled_for - timedelta(days=1)]


def test_an_approved_request_sets_the_reminder(pair: Pair) -> None:
    asked = requested(pair, when=in_days(8))
    assert _reminders() == []  # a request is not yet a session

    service.session_approve(user=pair.therapist, session_id=asked.session_id, location="Room 2")

    assert _reminders() == [asked.scheduled_for - timedelta(days=1)]


def test_a_moved_session_moves_the_reminder(pair: Pair) -> None:
    session = booked(pair, when=in_days(6))

    moved = service.session_reschedule(
        user=pair.therapist,
        session_id=session.session_id,
        scheduled_for=in_days(12),
        duration_minutes=50,
        location="Room 4",
        confirm_overlap=True,
    )

    assert _reminders() == [moved.scheduled_for - timedelta(days=1)]


def test_a_failure_there_never_fails_the_session_change(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def failing(**kwargs: str) -> int:
        raise DatabaseUnavailable("injected")

    monkeypatch.setattr(service, "measures_session_scheduled", failing)
    caplog.set_level(logging.WARNING, logger="portal.services.sessions")

    session = booked(pair, when=in_days(6), title="Grief after the move")

    stored = SessionRepository().get(session.session_id)
    assert stored is not None and stored.status is SessionStatus.APPROVED
    [record] = [r for r in caplog.records if "questionnaires" in r.getMessage()]
    assert session.session_id in record.getMessage() and "Grief" not in record.getMessage()
