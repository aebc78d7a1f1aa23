"""send_due_notices: each side of an approved session is emailed once, about a day before."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.day_keys import day_partitions
from portal.dynamo.sessions import SessionRepository
from portal.services import sessions as service
from portal.services.session_reminders import session_reminders_send_due
from portal.timeutil import utcnow
from tests.consistent_reads import batch_gets
from tests.sessions_data import booked, care_pair, requested


@pytest.fixture
def pair(dynamo, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    return care_pair()


def _run() -> None:
    call_command("send_due_notices", stdout=open("/dev/null", "w"))


def _reminders() -> list[mail.EmailMessage]:
    # Booking, cancelling and moving a session send notices of their own (see test_session_notices.py).
    return [m for m in mail.outbox if m.subject.startswith("Reminder")]


def test_it_emails_each_side_once_however_often_it_runs(pair):
    session = booked(pair, when=utcnow() + timedelta(hours=23), title="TITLE-WORDS")
    _run()
    _run()
    assert sorted(m.to[0] for m in _reminders()) == sorted([pair.client.email, pair.therapist.email])
    client_mail = next(m for m in _reminders() if m.to == [pair.client.email])
    assert f"https://portal.example/client/sessions/{session.session_id}/" in client_mail.body
    assert "TITLE-WORDS" not in client_mail.body and "Dr Tara" not in client_mail.body
    stored = SessionRepository().get(session.session_id)
    assert stored.client_reminded_at and stored.therapist_reminded_at
    # Both sent: the session left the sparse index.
    assert SessionRepository().reminders_due(stored.scheduled_for.date().isoformat(), now=utcnow() + timedelta(days=2)) == []


def test_it_waits_until_a_day_before_and_skips_what_is_not_approved(pair):
    later = booked(pair, when=utcnow() + timedelta(days=3))
    requested(pair, when=utcnow() + timedelta(hours=20))
    cancelled = booked(pair, when=utcnow() + timedelta(hours=21))
    service.session_cancel(user=pair.therapist, session_id=cancelled.session_id)
    _run()
    assert _reminders() == []
    assert session_reminders_send_due(now=later.scheduled_for - timedelta(hours=23)) == 2


def test_it_reminds_again_for_the_new_time_after_a_reschedule(pair):
    session = booked(pair, when=utcnow() + timedelta(hours=22))
    _run()
    service.session_reschedule(
        user=pair.therapist, session_id=session.session_id,
        scheduled_for=utcnow() + timedelta(hours=30), duration_minutes=50, location="",
    )
    _run()
    assert len(_reminders()) == 2
    assert session_reminders_send_due(now=utcnow() + timedelta(hours=7)) == 2


def test_it_never_resends_when_an_edit_read_before_the_reminder_is_saved_after(pair):
    session = booked(pair, when=utcnow() + timedelta(hours=22))
    read_before = SessionRepository().get(session.session_id)
    _run()
    SessionRepository().update(replace(read_before, shared_notes="later edit"), expected_version=read_before.version)
    _run()
    assert len(_reminders()) == 2


def test_it_tries_again_next_run_when_the_mail_server_fails(pair, monkeypatch):
    booked(pair, when=utcnow() + timedelta(hours=22))
    import portal.services.session_reminders as reminders

    def refuse(**_):
        raise OSError("mail server down")

    monkeypatch.setattr(reminders, "send_mail", refuse)
    assert session_reminders_send_due() == 0
    monkeypatch.undo()
    assert session_reminders_send_due() == 2


def test_it_finds_due_sessions_with_a_fixed_number_of_queries_whatever_their_number(pair):
    for hours in range(2, 22):
        booked(pair, when=utcnow() + timedelta(hours=hours, minutes=hours))
    for days in range(2, 30):
        booked(pair, when=utcnow() + timedelta(days=days))
    with count_dynamodb_calls() as calls:
        sent = session_reminders_send_due()
    assert sent == 40
    # Two days, every partition of each (its shards and the bare day).
    assert calls.count("Query") == 2 * len(day_partitions("2026-01-01")) and calls.count("Scan") == 0
    assert calls.count("BatchGetItem") == 2


def test_it_reads_the_accounts_consistently(pair):
    booked(pair, when=utcnow() + timedelta(hours=23))
    with batch_gets() as reads:
        assert session_reminders_send_due() == 2
    # A deletion a moment ago must be seen: no reminder to an account that is gone.
    assert {table for table, _ in reads} == {"Clients", "Therapists"}
    assert all(consistent for _, consistent in reads)


def test_it_refuses_to_send_links_without_a_base_address(pair, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.PORTAL_BASE_URL = ""
    with pytest.raises(ImproperlyConfigured):
        session_reminders_send_due()
