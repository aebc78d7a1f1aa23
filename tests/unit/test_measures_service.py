"""Measures service: schedules across a time zone and a daylight-saving change, reminders sent once,
export and erasure, and the hooks other pages call (fixed number of calls)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from portal.domain import SessionStatus
from portal.domain_measures import MeasureAssignment, MeasureKind, Schedule
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.measures import MeasureRepository
from portal.dynamo.sessions import SessionRepository
from portal.services import measures as service
from portal.timeutil import utcnow
from tests.factories import make_session
from tests.sessions_data import booked, care_pair, in_days


@pytest.fixture(autouse=True)
def _portal_url(settings):  # type: ignore[no-untyped-def]
    settings.PORTAL_BASE_URL = "https://portal.example"


def _assignment(schedule: Schedule, anchor: datetime, zone: str = "Europe/Paris") -> MeasureAssignment:
    return MeasureAssignment(
        client_id="c",
        therapist_id="t",
        measure=MeasureKind.PHQ9,
        schedule=schedule,
        anchor_at=anchor,
        time_zone=zone,
        assigned_at=anchor,
    )


def test_every_two_weeks_keeps_the_local_hour_across_the_spring_clock_change():
    # Friday 20 March 2026, 09:00 in Paris (UTC+1); clocks go forward on 29 March (UTC+2).
    anchor = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    assignment = _assignment(Schedule.EVERY_2_WEEKS, anchor)

    first = service.current_window(assignment, anchor + timedelta(hours=1))
    assert first == service.Window(anchor, datetime(2026, 3, 24, 8, 0, tzinfo=UTC))
    # Closed after 4 days; not open again until two weeks on.
    assert service.current_window(assignment, datetime(2026, 3, 24, 8, 0, tzinfo=UTC)) is None
    assert service.current_window(assignment, datetime(2026, 4, 3, 6, 59, tzinfo=UTC)) is None
    # 3 April 09:00 in Paris is 07:00 UTC after the change.
    second = service.current_window(assignment, datetime(2026, 4, 3, 7, 0, tzinfo=UTC))
    assert second is not None and second.opens_at == datetime(2026, 4, 3, 7, 0, tzinfo=UTC)
    remind_at, window = service.next_reminder(assignment, anchor + timedelta(hours=1))
    assert (remind_at, window) == (datetime(2026, 4, 5, 7, 0, tzinfo=UTC), datetime(2026, 4, 3, 7, 0, tzinfo=UTC))


def test_every_two_weeks_in_another_zone_across_the_autumn_change():
    # New York falls back on 1 November 2026: 09:00 local moves from 13:00 UTC to 14:00 UTC.
    anchor = datetime(2026, 10, 26, 13, 0, tzinfo=UTC)
    assignment = _assignment(Schedule.EVERY_2_WEEKS, anchor, zone="America/New_York")
    later = service.current_window(assignment, datetime(2026, 11, 9, 14, 30, tzinfo=UTC))
    assert later is not None and later.opens_at == datetime(2026, 11, 9, 14, 0, tzinfo=UTC)
    assert service.current_window(assignment, datetime(2026, 11, 9, 13, 30, tzinfo=UTC)) is None


def test_before_every_session_opens_three_local_days_before_until_it_starts():
    assignment = _assignment(Schedule.BEFORE_SESSION, datetime(2026, 3, 1, tzinfo=UTC))
    # Monday 30 March 2026, 09:00 in Paris (07:00 UTC), the day after the clock change.
    session = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    # Three local days before: Friday 27 March 09:00 in Paris, still UTC+1: 08:00 UTC.
    opens = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)

    assert service.current_window(assignment, opens - timedelta(minutes=1), [session]) is None
    assert service.current_window(assignment, opens, [session]) == service.Window(opens, session)
    assert service.current_window(assignment, session, [session]) is None
    assert service.next_reminder(assignment, datetime(2026, 3, 1, tzinfo=UTC), [session]) == (
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),
        opens,
    )


def test_once_is_open_four_days_and_done_after_one_answer():
    anchor = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assignment = _assignment(Schedule.ONCE, anchor)
    window = service.current_window(assignment, anchor + timedelta(days=3))
    assert window is not None and not service.is_done(assignment, window)
    done = MeasureAssignment(**{**assignment.__dict__, "last_done_at": anchor + timedelta(days=1)})
    assert service.is_done(done, window)
    assert service.current_window(assignment, anchor + timedelta(days=4)) is None
    assert service.next_reminder(assignment, anchor) == (None, None)


def test_before_every_session_is_due_from_the_clients_booked_sessions(dynamo):
    pair = care_pair()
    booked(pair, when=in_days(5))
    service.measure_assign(
        user=pair.therapist,
        client_id=pair.client.account_id,
        measure=MeasureKind.PHQ9,
        schedule=Schedule.BEFORE_SESSION,
    )
    assert service.measures_due_for_client(pair.client.account_id) == []

    soon = booked(pair, when=in_days(2))

    due = service.measures_due_for_client(pair.client.account_id)
    assert [d.closes_at for d in due] == [soon.scheduled_for]


def test_the_due_list_costs_one_query_or_two_with_a_before_session_measure(dynamo):
    pair = care_pair()
    service.measure_assign(
        user=pair.therapist, client_id=pair.client.account_id, measure=MeasureKind.GAD7, schedule=Schedule.EVERY_WEEK
    )
    with count_dynamodb_calls() as calls:
        assert len(service.measures_due_for_client(pair.client.account_id)) == 1
    assert calls.by_operation() == {"Query": 1}
    service.measure_assign(
        user=pair.therapist,
        client_id=pair.client.account_id,
        measure=MeasureKind.PHQ9,
        schedule=Schedule.BEFORE_SESSION,
    )
    with count_dynamodb_calls() as calls:
        service.measures_due_for_client(pair.client.account_id)
    assert calls.by_operation().get("Query") == 2


def test_the_reminder_goes_out_once_after_two_days_with_no_health_data(dynamo):
    pair = care_pair()
    service.measure_assign(
        user=pair.therapist, client_id=pair.client.account_id, measure=MeasureKind.PHQ9, schedule=Schedule.ONCE
    )
    mail.outbox.clear()
    now = utcnow()

    assert service.measure_reminders_send_due(now=now + timedelta(days=1)) == 0
    assert service.measure_reminders_send_due(now=now + timedelta(days=2, minutes=1)) == 1
    assert service.measure_reminders_send_due(now=now + timedelta(days=2, minutes=2)) == 0

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [pair.client.email]
    assert "PHQ" not in email.subject + email.body and "Casey" not in email.body
    assert "https://portal.example/client/questionnaires/" in email.body


def test_no_reminder_for_a_questionnaire_already_done(dynamo):
    pair = care_pair()
    service.measure_assign(
        user=pair.therapist, client_id=pair.client.account_id, measure=MeasureKind.GAD7, schedule=Schedule.EVERY_4_WEEKS
    )
    service.measure_submit(
        client_id=pair.client.account_id,
        measure=MeasureKind.GAD7,
        therapist_id=pair.therapist.account_id,
        answers=[0] * 7,
        difficulty=None,
        idempotency_key="d" * 20,
    )
    mail.outbox.clear()
    assert service.measure_reminders_send_due(now=utcnow() + timedelta(days=2, minutes=1)) == 0
    # The next window's reminder waits in the index: four weeks and two days on.
    assignment = MeasureRepository().get_assignment(pair.client.account_id, MeasureKind.GAD7, pair.therapist.account_id)
    assert assignment is not None and assignment.remind_at is not None
    assert assignment.remind_at > utcnow() + timedelta(days=29)


def test_export_lists_every_result_with_its_loinc_code_and_erasure_removes_them(dynamo):
    pair = care_pair()
    for kind, count in ((MeasureKind.PHQ9, 9), (MeasureKind.GAD7, 7)):
        service.measure_assign(
            user=pair.therapist, client_id=pair.client.account_id, measure=kind, schedule=Schedule.ONCE
        )
        service.measure_submit(
            client_id=pair.client.account_id,
            measure=kind,
            therapist_id=pair.therapist.account_id,
            answers=[1] * count,
            difficulty=2 if kind is MeasureKind.PHQ9 else None,
            idempotency_key=f"export-{kind}-key-abcdef",
        )

    rows = service.measure_results_for_export(pair.client.account_id)

    by_code = {row["loinc"]: row for row in rows}
    assert set(by_code) == {"44261-6", "70274-6"}
    assert by_code["44261-6"]["total"] == 9 and by_code["44261-6"]["band"] == "mild"
    assert by_code["44261-6"]["difficulty"] == 2
    assert by_code["70274-6"]["measure"] == "GAD-7" and by_code["70274-6"]["answers"] == [1] * 7

    # Two assignments, two results, and the alert of the PHQ-9 (its item 9 was answered 1).
    assert service.measures_erase_client(pair.client.account_id) == 5
    assert service.measure_alerts_for_staff(pair.client.account_id) == []
    assert service.measure_results_for_export(pair.client.account_id) == []
    assert service.measures_due_for_client(pair.client.account_id) == []


def test_send_due_notices_sends_the_questionnaire_reminders(dynamo):
    from django.core.management import call_command

    from portal.services.notices import DUE_NOTICE_SENDERS

    pair = care_pair()
    service.measure_assign(
        user=pair.therapist, client_id=pair.client.account_id, measure=MeasureKind.PHQ9, schedule=Schedule.ONCE
    )
    assert "questionnaire reminders" in dict(DUE_NOTICE_SENDERS)
    call_command("send_due_notices")  # nothing due yet: runs cleanly
    assert MeasureRepository().reminders_due(utcnow() + timedelta(days=3))


def test_a_session_booked_after_the_assignment_gets_its_reminder(dynamo):
    pair = care_pair()
    service.measure_assign(
        user=pair.therapist,
        client_id=pair.client.account_id,
        measure=MeasureKind.PHQ9,
        schedule=Schedule.BEFORE_SESSION,
    )
    assert MeasureRepository().reminders_due(utcnow() + timedelta(days=30)) == []
    # Stored directly: booking through the sessions service calls this hook itself
    # (tests/unit/test_sessions_questionnaires.py), and here the hook is tested on its own.
    session = SessionRepository().create(
        make_session(
            client_id=pair.client.account_id,
            therapist_id=pair.therapist.account_id,
            scheduled_for=in_days(6),
            status=SessionStatus.APPROVED,
        )
    )

    assert (
        service.measures_session_scheduled(client_id=pair.client.account_id, therapist_id=pair.therapist.account_id)
        == 1
    )
    # Nothing changed since: called again (as after the next session change), it writes nothing.
    assert (
        service.measures_session_scheduled(client_id=pair.client.account_id, therapist_id=pair.therapist.account_id)
        == 0
    )

    due = MeasureRepository().reminders_due(utcnow() + timedelta(days=30))
    assert [a.remind_at for a in due] == [session.scheduled_for - timedelta(days=1)]
    mail.outbox.clear()
    assert service.measure_reminders_send_due(now=session.scheduled_for - timedelta(hours=23)) == 1
    assert service.measure_reminders_send_due(now=session.scheduled_for - timedelta(hours=22)) == 0


def test_the_chart_series_hold_each_measures_scores_bands_and_meaningful_change(dynamo):
    pair = care_pair()
    service.measure_assign(
        user=pair.therapist, client_id=pair.client.account_id, measure=MeasureKind.PHQ9, schedule=Schedule.EVERY_WEEK
    )
    start = utcnow()
    for n, answers in enumerate(([2] * 8 + [0], [1] * 8 + [0])):
        service.measure_submit(
            client_id=pair.client.account_id,
            measure=MeasureKind.PHQ9,
            therapist_id=pair.therapist.account_id,
            answers=answers,
            difficulty=None,
            idempotency_key=f"chart-key-{n}-abcdefghij",
            now=start + timedelta(weeks=n, minutes=1),
        )

    with count_dynamodb_calls() as calls:
        series = service.measure_scores_for_chart(pair.client.account_id, start=start, end=start + timedelta(weeks=3))

    assert calls.by_operation()["Query"] == 2
    phq, gad = series
    assert (phq.name, phq.max_total, phq.loinc, gad.points) == ("PHQ-9", 27, "44261-6", [])
    assert [(p.total, p.band, p.change) for p in phq.points] == [
        (16, "moderately severe", None),
        (8, "mild", service.Change.IMPROVEMENT),
    ]


def test_an_alert_email_that_failed_is_sent_by_the_next_run_and_only_once(dynamo, monkeypatch):
    import smtplib

    pair = care_pair()
    service.measure_assign(
        user=pair.therapist, client_id=pair.client.account_id, measure=MeasureKind.PHQ9, schedule=Schedule.ONCE
    )
    mail.outbox.clear()
    real_send = service.send_mail

    def refused(**kwargs):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr(service, "send_mail", refused)
    submitted = service.measure_submit(
        client_id=pair.client.account_id,
        measure=MeasureKind.PHQ9,
        therapist_id=pair.therapist.account_id,
        answers=[0] * 8 + [3],
        difficulty=None,
        idempotency_key="f" * 20,
    )
    assert submitted.needs_support and mail.outbox == []

    monkeypatch.setattr(service, "send_mail", real_send)
    assert service.measure_reminders_send_due(now=utcnow()) == 1
    assert service.measure_reminders_send_due(now=utcnow()) == 0
    assert [m.subject for m in mail.outbox] == ["A questionnaire needs your attention"]
    assert mail.outbox[0].to == [pair.therapist.email]


def test_when_the_relationship_ends_its_questionnaires_stop_and_take_no_answers(dynamo):
    from tests.sessions_data import end_care

    pair = care_pair()
    service.measure_assign(
        user=pair.therapist, client_id=pair.client.account_id, measure=MeasureKind.GAD7, schedule=Schedule.ONCE
    )
    end_care(pair)

    with pytest.raises(service.NotFound):
        service.measure_submit(
            client_id=pair.client.account_id,
            measure=MeasureKind.GAD7,
            therapist_id=pair.therapist.account_id,
            answers=[0] * 7,
            difficulty=None,
            idempotency_key="g" * 20,
        )
    assert (
        service.measures_relationship_ended(client_id=pair.client.account_id, therapist_id=pair.therapist.account_id)
        == 1
    )
    assert service.measures_due_for_client(pair.client.account_id) == []
