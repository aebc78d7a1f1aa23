"""Both sides are told of every change of a session: one short email per change, in the recipient's own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from portal.domain import Side
from portal.dynamo.sessions import SessionRepository
from portal.services import sessions as service
from portal.services.accounts import own_settings_save
from portal.services.session_notices import SessionNotice, session_notice
from portal.services.session_reminders import session_reminders_send_due
from portal.timeutil import utcnow
from tests.sessions_data import booked, care_pair, requested

TITLE = "TITLE-MARKER"
NOTES = "NOTES-MARKER"
REASON = "REASON-MARKER"
PLACE = "PLACE-MARKER"
MESSAGE = "MESSAGE-MARKER"

# 17:00 in New York on the day its clocks go forward (second Sunday of March 2027): 21:00 UTC, 22:00 in Paris.
DST_DAY_17H_NEW_YORK = datetime(2027, 3, 14, 21, 0, tzinfo=UTC)


@pytest.fixture
def pair(dynamo, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    pair = care_pair()
    own_settings_save(user=pair.client, time_zone="America/New_York", optional_emails=True)
    own_settings_save(user=pair.therapist, time_zone="Europe/Paris", optional_emails=True)
    return pair


def _to(user) -> list[str]:
    return [m.body for m in mail.outbox if m.to == [user.email]]


def _no_health_data() -> None:
    for message in mail.outbox:
        text = message.subject + message.body
        for marker in (TITLE, NOTES, REASON, PLACE, MESSAGE, "Casey", "Tara"):
            assert marker not in text, (marker, text)


def test_a_request_and_its_approval_are_told_once_each_in_each_persons_zone(pair):
    session = requested(pair, when=DST_DAY_17H_NEW_YORK, title=TITLE, message=MESSAGE)
    assert len(mail.outbox) == 1
    [to_therapist] = _to(pair.therapist)
    assert "You have a new session request for Sun 14 Mar at 22:00." in to_therapist
    assert "Europe/Paris" in to_therapist
    assert f"https://portal.example/therapist/sessions/{session.session_id}/" in to_therapist

    service.session_approve(user=pair.therapist, session_id=session.session_id, location=PLACE)
    [to_client] = _to(pair.client)
    assert "Your session on Sun 14 Mar at 17:00 was approved." in to_client
    assert f"https://portal.example/client/sessions/{session.session_id}/" in to_client
    assert "America/New_York" in to_client
    assert len(mail.outbox) == 2
    _no_health_data()


def test_a_retry_or_a_second_run_sends_one_email_and_one_kind_never_holds_back_another(pair):
    session = requested(pair, title=TITLE)
    approved = service.session_approve(user=pair.therapist, session_id=session.session_id, location="")
    # The same change told again (a retried request): nothing more goes out.
    assert session_notice(approved, SessionNotice.APPROVED, to=Side.CLIENT) is False
    assert session_notice(session, SessionNotice.REQUESTED, to=Side.THERAPIST) is False
    assert len(mail.outbox) == 2
    # The next change of the same session is told, although one went out a moment ago.
    service.session_cancel(user=pair.therapist, session_id=session.session_id)
    assert len(_to(pair.client)) == 2 and "was cancelled" in _to(pair.client)[1]


def test_a_decline_tells_the_client_without_the_reason(pair):
    session = requested(pair, title=TITLE)
    service.session_reject(user=pair.therapist, session_id=session.session_id, reason=REASON)
    [to_client] = _to(pair.client)
    assert "was declined" in to_client
    _no_health_data()


def test_a_withdrawal_tells_the_therapist_and_a_cancel_by_the_therapist_tells_the_client(pair):
    asked = requested(pair, title=TITLE)
    service.session_withdraw(user=pair.client, session_id=asked.session_id)
    assert "was withdrawn" in _to(pair.therapist)[-1]

    session = booked(pair, when=DST_DAY_17H_NEW_YORK, title=TITLE)
    assert "A session on Sun 14 Mar at 17:00 was booked." in _to(pair.client)[-1]
    before = len(mail.outbox)
    service.session_cancel(user=pair.therapist, session_id=session.session_id)
    assert len(mail.outbox) == before + 1
    assert "Your session on Sun 14 Mar at 17:00 was cancelled." in _to(pair.client)[-1]
    _no_health_data()


def test_a_reschedule_tells_the_client_the_old_and_the_new_time(pair):
    session = booked(pair, when=DST_DAY_17H_NEW_YORK, title=TITLE)
    service.session_reschedule(
        user=pair.therapist,
        session_id=session.session_id,
        scheduled_for=DST_DAY_17H_NEW_YORK + timedelta(days=1, hours=1),
        duration_minutes=50,
        location=PLACE,
    )
    assert "Your session on Sun 14 Mar at 17:00 was moved to Mon 15 Mar at 18:00." in _to(pair.client)[-1]
    _no_health_data()


def test_a_session_on_the_day_the_clocks_change_is_reminded_at_its_own_local_time(pair):
    booked(pair, when=DST_DAY_17H_NEW_YORK, title=TITLE)
    mail.outbox.clear()
    assert session_reminders_send_due(now=DST_DAY_17H_NEW_YORK - timedelta(hours=23)) == 2
    [to_client] = _to(pair.client)
    [to_therapist] = _to(pair.therapist)
    assert "Sunday 14 March 2027 at 17:00 (America/New_York)" in to_client
    assert "Sunday 14 March 2027 at 22:00 (Europe/Paris)" in to_therapist


def test_who_turned_optional_emails_off_gets_no_notice_and_no_reminder(pair):
    own_settings_save(user=pair.client, time_zone="America/New_York", optional_emails=False)
    session = requested(pair, when=utcnow() + timedelta(hours=20))
    service.session_approve(user=pair.therapist, session_id=session.session_id, location="")
    assert _to(pair.client) == []
    assert session_reminders_send_due() == 1
    assert _to(pair.client) == [] and len(_to(pair.therapist)) == 2


def test_a_client_who_turned_optional_emails_off_gets_no_questionnaire_reminder(pair):
    from portal.domain_measures import MeasureKind, Schedule
    from portal.services import measures

    own_settings_save(user=pair.client, time_zone="America/New_York", optional_emails=False)
    measures.measure_assign(
        user=pair.therapist, client_id=pair.client.account_id, measure=MeasureKind.PHQ9, schedule=Schedule.ONCE
    )
    mail.outbox.clear()
    assert measures.measure_reminders_send_due(now=utcnow() + timedelta(days=2, minutes=1)) == 0
    assert mail.outbox == []


def test_a_notice_the_mail_server_refused_can_be_sent_again(pair, monkeypatch):
    import portal.services.session_notices as notices

    def refuse(**_):
        raise OSError("mail server down")

    monkeypatch.setattr(notices, "send_mail", refuse)
    session = requested(pair)
    assert mail.outbox == []
    monkeypatch.undo()
    stored = SessionRepository().get(session.session_id)
    assert session_notice(stored, SessionNotice.REQUESTED, to=Side.THERAPIST) is True
    assert session_notice(stored, SessionNotice.REQUESTED, to=Side.THERAPIST) is False
    assert len(mail.outbox) == 1


def test_a_clients_cancel_and_move_are_told_to_the_therapist_and_the_answer_to_the_client(pair):
    session = booked(pair, when=DST_DAY_17H_NEW_YORK, title=TITLE)
    service.session_move_request(
        user=pair.client, session_id=session.session_id, scheduled_for=DST_DAY_17H_NEW_YORK + timedelta(days=1)
    )
    assert "You are asked to move the session on Sun 14 Mar at 22:00 to Mon 15 Mar at 22:00." in _to(pair.therapist)[-1]
    service.session_move_answer(user=pair.therapist, session_id=session.session_id, approve=False)
    assert "Your request to move the session on Sun 14 Mar at 17:00 was declined" in _to(pair.client)[-1]
    service.session_move_request(
        user=pair.client, session_id=session.session_id, scheduled_for=DST_DAY_17H_NEW_YORK + timedelta(days=2)
    )
    service.session_move_answer(user=pair.therapist, session_id=session.session_id, approve=True)
    assert "Your session on Sun 14 Mar at 17:00 was moved to Tue 16 Mar at 17:00." in _to(pair.client)[-1]

    before = len(mail.outbox)
    service.session_cancel_by_client(user=pair.client, session_id=session.session_id)
    assert len(mail.outbox) == before + 1
    assert "Your session on Tue 16 Mar at 22:00 was cancelled." in _to(pair.therapist)[-1]
    _no_health_data()
