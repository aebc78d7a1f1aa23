"""Measurement-based care: therapists assign the PHQ-9 or GAD-7, clients fill them in, both see the scores.

Rules held here:
* A therapist assigns only while their relationship with the client is active
  (portal/policy.py): once (and again once done), before every session (open
  from 3 days before until it starts), or every 1, 2 or 4 weeks; and may stop
  it at any time.
* A measure is open for 4 days (before a session: until it starts); an email
  reminder goes out 2 days after it opens if it is not done yet. Times follow
  the client's local calendar, so a daylight-saving change keeps the hour.
* Every item must be answered; an unfinished measure is not scored or stored.
* PHQ-9 item 9 above "Not at all": the client sees crisis contacts at once,
  the therapist gets an email with a link only and a flag that stays until
  they acknowledge it with a note (audited; the note encrypted, never in the
  audit log). Staff may see that an alert exists and when it was
  acknowledged, never the answers.
* Emails carry no health data: no name, initials, score or words.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from portal.accounts.user import User
from portal.domain import AccountKind, DomainError, MappingStatus, NotFound, SessionStatus
from portal.domain_measures import MeasureAlert, MeasureAssignment, MeasureKind, MeasureResult, Schedule
from portal.dynamo.audit import AuditRepository, new_audit_event
from portal.dynamo.clients import ClientRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.measures import MeasureRepository, new_assignment_changes
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.therapists import TherapistRepository
from portal.ids import new_id
from portal.policy import active_mapping_for_therapist, care_is_active, own_therapist_id
from portal.services import measures_scoring as scoring
from portal.services.measures_scoring import Band, Change, Instrument
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

OPEN_DAYS = 4
REMIND_AFTER_DAYS = 2
BEFORE_SESSION_DAYS = 3
MAX_NOTE_LENGTH = 2000
ACKNOWLEDGED = "care.measure_alert.acknowledged"
ENDED_READ = "care.measures.ended_read"
ALERT_SUBJECT = "A questionnaire needs your attention"
REMINDER_SUBJECT = "A questionnaire is waiting for you"
# How many sessions ahead "before every session" looks at (a client books few at once).
_SESSIONS_AHEAD = 10


class InvalidMeasure(DomainError):
    """Something the person can correct: a blank item, a note left empty, a closed questionnaire."""


# --- windows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime

    def holds(self, moment: datetime) -> bool:
        return self.opens_at <= moment < self.closes_at


def _local_days(moment: datetime, zone: str, days: int) -> datetime:
    """``moment`` moved by whole days on the local calendar of ``zone`` (same wall-clock time)."""
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=tz).astimezone(moment.tzinfo)


def _period_opening(assignment: MeasureAssignment, k: int) -> datetime:
    weeks = assignment.schedule.weeks
    assert weeks is not None
    return _local_days(assignment.anchor_at, assignment.time_zone, 7 * weeks * k)


def _window_from(assignment: MeasureAssignment, opens_at: datetime) -> Window:
    return Window(opens_at, _local_days(opens_at, assignment.time_zone, OPEN_DAYS))


def _session_window(assignment: MeasureAssignment, starts_at: datetime) -> Window:
    return Window(_local_days(starts_at, assignment.time_zone, -BEFORE_SESSION_DAYS), starts_at)


def current_window(assignment: MeasureAssignment, now: datetime, sessions: Sequence[datetime] = ()) -> Window | None:
    """The window of this assignment that holds ``now`` (done or not), or None.

    ``sessions``: the start times of the client's upcoming sessions with the
    assigning therapist (only "before every session" reads them).
    """
    if assignment.schedule is Schedule.ONCE:
        window = _window_from(assignment, assignment.anchor_at)
        return window if window.holds(now) else None
    if assignment.schedule is Schedule.BEFORE_SESSION:
        for starts_at in sorted(sessions):
            window = _session_window(assignment, starts_at)
            if window.holds(now):
                return window
        return None
    weeks = assignment.schedule.weeks
    assert weeks is not None
    if now < assignment.anchor_at:
        return None
    k = int((now - assignment.anchor_at) / timedelta(weeks=weeks))
    # The estimate in absolute time can be one period off around a clock change.
    for candidate in (k + 1, k, k - 1):
        if candidate < 0:
            continue
        opening = _period_opening(assignment, candidate)
        if opening <= now:
            window = _window_from(assignment, opening)
            return window if window.holds(now) else None
    return None


def is_done(assignment: MeasureAssignment, window: Window) -> bool:
    return assignment.last_done_at is not None and assignment.last_done_at >= window.opens_at


def next_reminder(
    assignment: MeasureAssignment, after: datetime, sessions: Sequence[datetime] = ()
) -> tuple[datetime | None, datetime | None]:
    """(when to remind, the opening it belongs to) for the first window opening after ``after``.

    For "once" there is none after the first; "before every session" reminds a
    day before each known session (two days into its three).
    """
    if assignment.schedule is Schedule.ONCE:
        return None, None
    if assignment.schedule is Schedule.BEFORE_SESSION:
        for starts_at in sorted(sessions):
            window = _session_window(assignment, starts_at)
            if window.opens_at > after:
                return _local_days(window.opens_at, assignment.time_zone, REMIND_AFTER_DAYS), window.opens_at
        return None, None
    weeks = assignment.schedule.weeks
    assert weeks is not None
    k = max(0, int((after - assignment.anchor_at) / timedelta(weeks=weeks)))
    # The estimate in absolute time can be one period off around a clock change.
    for candidate in (k, k + 1, k + 2):
        opening = _period_opening(assignment, candidate)
        if opening > after:
            return _local_days(opening, assignment.time_zone, REMIND_AFTER_DAYS), opening
    raise AssertionError("unreachable: two periods on is always after")


def _first_reminder(
    assignment: MeasureAssignment, sessions: Sequence[datetime]
) -> tuple[datetime | None, datetime | None]:
    if assignment.schedule is Schedule.BEFORE_SESSION:
        window = current_window(assignment, assignment.assigned_at, sessions)
        if window is not None:
            return _local_days(window.opens_at, assignment.time_zone, REMIND_AFTER_DAYS), window.opens_at
        return next_reminder(assignment, assignment.assigned_at, sessions)
    return (
        _local_days(assignment.anchor_at, assignment.time_zone, REMIND_AFTER_DAYS),
        assignment.anchor_at,
    )


def _upcoming_sessions(client_id: str, therapist_id: str | None, now: datetime) -> list[datetime]:
    """Start times of the client's approved sessions from now on (with one therapist when named): one Query."""
    page = SessionRepository().list_by_client(
        client_id, after=now, statuses=(SessionStatus.APPROVED,), limit=_SESSIONS_AHEAD
    )
    return [s.scheduled_for for s in page.items if therapist_id is None or s.therapist_id == therapist_id]


def _sessions_by_therapist(client_id: str, now: datetime) -> dict[str, list[datetime]]:
    page = SessionRepository().list_by_client(
        client_id, after=now, statuses=(SessionStatus.APPROVED,), limit=_SESSIONS_AHEAD
    )
    found: dict[str, list[datetime]] = {}
    for session in page.items:
        found.setdefault(session.therapist_id, []).append(session.scheduled_for)
    return found


# --- therapist: assign and stop -------------------------------------------------------------


def measure_assign(
    *, user: User, client_id: str, measure: MeasureKind, schedule: Schedule, now: datetime | None = None
) -> MeasureAssignment:
    """Assign (or assign again, replacing the schedule); 404 unless the relationship is active."""
    active_mapping_for_therapist(user, client_id)
    now = now or utcnow()
    client = ClientRepository().get(client_id)
    if client is None:
        raise NotFound("No such client.")
    assignment = MeasureAssignment(
        client_id=client_id,
        therapist_id=user.account_id,
        measure=measure,
        schedule=schedule,
        anchor_at=now,
        time_zone=client.time_zone or "UTC",
        assigned_at=now,
    )
    sessions = _upcoming_sessions(client_id, user.account_id, now) if schedule is Schedule.BEFORE_SESSION else []
    remind_at, window = _first_reminder(assignment, sessions)
    stored = MeasureRepository().put_assignment(
        MeasureAssignment(**{**assignment.__dict__, "remind_at": remind_at, "reminder_window": window})
    )
    logger.info("measure %s assigned to client %s by therapist %s (%s)", measure, client_id, user.account_id, schedule)
    return stored


def measure_stop(*, user: User, client_id: str, measure: MeasureKind) -> bool:
    """Stop a measure this therapist assigned (any status of the relationship: stopping is always allowed)."""
    therapist_id = own_therapist_id(user)
    stopped = MeasureRepository().delete_assignment(client_id, measure, therapist_id)
    if stopped:
        logger.info("measure %s stopped for client %s by therapist %s", measure, client_id, therapist_id)
    return stopped


def measures_assigned_by(*, user: User, client_id: str) -> list[MeasureAssignment]:
    """What this therapist assigned to the client (the assign form lists them with a Stop button)."""
    therapist_id = own_therapist_id(user)
    return [a for a in MeasureRepository().list_assignments(client_id) if a.therapist_id == therapist_id]


# --- client: due list and submission -----------------------------------------------------------


@dataclass(frozen=True)
class DueMeasure:
    assignment: MeasureAssignment
    instrument: Instrument
    closes_at: datetime

    @property
    def measure(self) -> str:
        return str(self.assignment.measure)

    @property
    def therapist_id(self) -> str:
        return self.assignment.therapist_id


def measures_due_for_client(client_id: str, *, now: datetime | None = None) -> list[DueMeasure]:
    """What the client should fill in now: one Query of their assignments (and one of their
    sessions when a measure is asked for before every session). For the client's home and journal."""
    now = now or utcnow()
    assignments = MeasureRepository().list_assignments(client_id)
    sessions = (
        _sessions_by_therapist(client_id, now)
        if any(a.schedule is Schedule.BEFORE_SESSION for a in assignments)
        else {}
    )
    due: list[DueMeasure] = []
    for assignment in assignments:
        window = current_window(assignment, now, sessions.get(assignment.therapist_id, ()))
        if window is not None and not is_done(assignment, window):
            due.append(DueMeasure(assignment, scoring.instrument(assignment.measure), window.closes_at))
    return sorted(due, key=lambda d: d.closes_at)


def measure_due_for_client(
    client_id: str, measure: MeasureKind, therapist_id: str, *, now: datetime | None = None
) -> DueMeasure:
    """One measure the client may fill in now, or NotFound (not assigned, closed, or done)."""
    for due in measures_due_for_client(client_id, now=now):
        if due.assignment.measure is measure and due.therapist_id == therapist_id:
            return due
    raise NotFound("This questionnaire is not open now.")


@dataclass(frozen=True)
class Submitted:
    result: MeasureResult
    # PHQ-9 item 9 above zero: the next page shows crisis contacts.
    needs_support: bool


def measure_submit(
    *,
    client_id: str,
    measure: MeasureKind,
    therapist_id: str,
    answers: Sequence[int | None],
    difficulty: int | None,
    idempotency_key: str,
    now: datetime | None = None,
) -> Submitted:
    """Score and store a complete questionnaire once per form key; alert the therapist on item 9.

    InvalidMeasure (nothing stored) for a blank item; NotFound when the
    questionnaire is not open (closed, done, or stopped).
    """
    try:
        total = scoring.total(measure, answers)
    except scoring.IncompleteAnswers as exc:
        raise InvalidMeasure(str(exc)) from None
    instrument = scoring.instrument(measure)
    if instrument.difficulty is not None and difficulty is not None and not 0 <= difficulty <= 3:
        raise InvalidMeasure("Choose one of the four answers to the last question.")
    now = now or utcnow()
    repository = MeasureRepository()
    if not care_is_active(client_id, therapist_id):
        # Answers go to a therapist the client works with now, never to one who has left.
        raise NotFound("This questionnaire is not open now.")
    try:
        due = measure_due_for_client(client_id, measure, therapist_id, now=now)
    except NotFound:
        # Sent again after the first sending closed it (a double click, a retry): the first result.
        earlier = repository.submitted_with(client_id, idempotency_key)
        if earlier is None:
            raise
        return Submitted(earlier, scoring.needs_safety_follow_up(earlier.measure, earlier.answers))
    result = MeasureResult(
        client_id=client_id,
        measure=measure,
        result_id=new_id(),
        submitted_at=now,
        therapist_id=therapist_id,
        answers=tuple(int(a) for a in answers if a is not None),
        total=total,
        difficulty=difficulty if instrument.difficulty is not None else None,
    )
    support = scoring.needs_safety_follow_up(measure, answers)
    assignment = due.assignment
    sessions = (
        _upcoming_sessions(client_id, therapist_id, now) if assignment.schedule is Schedule.BEFORE_SESSION else []
    )
    remind_at, window = next_reminder(assignment, now, sessions)
    stored, created = repository.submit_once(
        result,
        idempotency_key=idempotency_key,
        assignment_changes=new_assignment_changes(last_done_at=now, remind_at=remind_at, window=window),
        alert=MeasureAlert(client_id, result.result_id, therapist_id, now) if support else None,
    )
    if created:
        logger.info("measure %s result %s stored for client %s", measure, stored.result_id, client_id)
    else:
        logger.info("measure %s result %s sent again by client %s: kept once", measure, stored.result_id, client_id)
    support = scoring.needs_safety_follow_up(stored.measure, stored.answers)
    if support:
        _send_alert_email(client_id, stored.result_id, therapist_id, stored.submitted_at)
    return Submitted(stored, support)


def _portal_link(name: str, **kwargs: str) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{reverse(name, kwargs=kwargs or None)}"


def _send_alert_email(client_id: str, result_id: str, therapist_id: str, created_at: datetime) -> bool:
    """The therapist's alert, once (a conditional claim): a link only, nothing about the client.

    A failed send puts the alert back in the due index for ``send_due_notices``.
    """
    repository = MeasureRepository()
    if not repository.claim_alert_email(client_id, result_id, utcnow()):
        return False
    therapist = TherapistRepository().get(therapist_id)
    if therapist is None:
        return False
    body = render_to_string("email/measure_alert.txt", {"link": _portal_link("measure_alerts")})
    try:
        send_mail(
            subject=ALERT_SUBJECT,
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[therapist.email],
        )
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("measure alert %s email failed: %s", result_id, type(exc).__name__)
        repository.unclaim_alert_email(client_id, result_id, created_at)
        return False
    logger.info("measure alert %s emailed to therapist %s", result_id, therapist_id)
    return True


# --- results and history ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredResult:
    result: MeasureResult
    instrument: Instrument
    band: Band
    # Against the first score of the measure (None for the first itself).
    change: Change | None
    difference: int | None

    def answer_rows(self) -> list[tuple[int, str, str]]:
        """(number, question, answer) for each item: what a therapist reads of one result."""
        return [
            (n, text, scoring.ANSWER_LABELS[value])
            for n, (text, value) in enumerate(zip(self.instrument.items, self.result.answers, strict=True), start=1)
        ]

    @property
    def difficulty_label(self) -> str:
        value = self.result.difficulty
        return scoring.DIFFICULTY_LABELS[value] if value is not None else ""


@dataclass(frozen=True)
class MeasureHistory:
    instrument: Instrument
    results: list[ScoredResult]

    @property
    def latest(self) -> ScoredResult | None:
        return self.results[-1] if self.results else None

    @property
    def first(self) -> ScoredResult | None:
        return self.results[0] if self.results else None


def _scored(
    results: Sequence[MeasureResult], measure: MeasureKind, earliest: MeasureResult | None = None
) -> MeasureHistory:
    """Scored and banded; change is from the very first result (``earliest`` when it is not shown)."""
    instrument = scoring.instrument(measure)
    baseline = earliest or (results[0] if results else None)
    first = baseline.total if baseline else 0
    scored = [
        ScoredResult(
            result=r,
            instrument=instrument,
            band=scoring.band(measure, r.total),
            change=None if baseline is None or r is baseline else scoring.change_since_first(measure, first, r.total),
            difference=None if baseline is None or r is baseline else r.total - first,
        )
        for r in results
    ]
    return MeasureHistory(instrument, scored)


def measure_history(client_id: str, measure: MeasureKind) -> MeasureHistory:
    """A client's results of one measure, oldest first, scored and banded: one Query."""
    shown, earliest = MeasureRepository().recent_results(client_id, measure)
    return _scored(shown, measure, earliest)


def measure_history_for_therapist(*, user: User, client_id: str, measure: MeasureKind) -> MeasureHistory:
    """The history, for a therapist in an active relationship with the client (404 otherwise)."""
    active_mapping_for_therapist(user, client_id)
    return measure_history(client_id, measure)


@dataclass(frozen=True)
class TherapistMeasures:
    client_name: str
    # False after the relationship ended: read-only, and only results of this therapist's assignments.
    active: bool
    histories: list[MeasureHistory]


def measures_for_therapist(*, user: User, client_id: str) -> TherapistMeasures:
    """The client's questionnaires for their therapist: all of them while the relationship is active;
    after it ends, read-only, the results of what this therapist assigned up to the end, each read audited.

    NotFound for a therapist who never worked with the client. One BatchGetItem decides (mapping and
    relationship record), then one Query per measure.
    """
    therapist_id = own_therapist_id(user)
    mapping, record = MappingRepository().get_with_relationship(client_id, therapist_id)
    if mapping is not None and mapping.status is MappingStatus.ACTIVE:
        return TherapistMeasures(mapping.client_name, True, [measure_history(client_id, k) for k in MeasureKind])
    if record is None or record.active_since is None:
        raise NotFound("No such client.")
    repository = MeasureRepository()
    histories = []
    for kind in MeasureKind:
        shown, _ = repository.recent_results(client_id, kind)
        ours = [
            r
            for r in shown
            if r.therapist_id == therapist_id and (record.ended_at is None or r.submitted_at <= record.ended_at)
        ]
        histories.append(_scored(ours, kind))
    AuditRepository().record(
        subject_id=client_id, action=ENDED_READ, actor_kind=AccountKind.THERAPIST, actor_id=therapist_id
    )
    return TherapistMeasures(record.client_name, False, histories)


def measure_result_for_client(client_id: str, measure: MeasureKind, result_id: str) -> ScoredResult:
    history = measure_history(client_id, measure)
    for scored in history.results:
        if scored.result.result_id == result_id:
            return scored
    raise NotFound("No such result.")


# --- alerts --------------------------------------------------------------------------------------------


def measure_alerts_for_therapist(therapist_id: str) -> list[MeasureAlert]:
    """Unacknowledged alerts of this therapist, oldest first: one Query (the flag on their home page)."""
    return MeasureRepository().open_alerts_for_therapist(therapist_id)


@dataclass(frozen=True)
class NamedAlert:
    alert: MeasureAlert
    client_name: str


def measure_alerts_for_therapist_page(therapist_id: str) -> list[NamedAlert]:
    """Open alerts with their clients' names (one Query, one BatchGetItem): the therapist's alerts page."""
    alerts = measure_alerts_for_therapist(therapist_id)
    clients = ClientRepository().get_many({a.client_id for a in alerts}) if alerts else {}
    return [NamedAlert(a, clients[a.client_id].name if a.client_id in clients else "A client") for a in alerts]


def measure_alerts_for_client(*, user: User, client_id: str) -> list[MeasureAlert]:
    """This therapist's open alerts about one client (the flag on the client's page): one Query."""
    therapist_id = own_therapist_id(user)
    return [a for a in MeasureRepository().list_alerts(client_id) if a.open and a.therapist_id == therapist_id]


def measure_alerts_for_staff(client_id: str) -> list[MeasureAlert]:
    """For oversight: that alerts exist, when raised and when acknowledged; never answers or notes."""
    return MeasureRepository().list_alerts(client_id)


def measure_alert_acknowledge(*, user: User, client_id: str, result_id: str, note: str) -> MeasureAlert:
    """Clear a flag with a note of what was done: the note encrypted, the act audited (who, when; never the note)."""
    therapist_id = own_therapist_id(user)
    note = note.strip()
    if not note:
        raise InvalidMeasure("Write a short note of what you did: the flag clears only with one.")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidMeasure(f"A note holds at most {MAX_NOTE_LENGTH} characters.")
    event = new_audit_event(
        subject_id=client_id,
        action=ACKNOWLEDGED,
        actor_kind=AccountKind.THERAPIST,
        actor_id=therapist_id,
        detail={"resultId": result_id},
    )
    alert = MeasureRepository().acknowledge_alert(
        client_id=client_id,
        result_id=result_id,
        therapist_id=therapist_id,
        at=event.occurred_at,
        note=note,
        audit=event,
    )
    logger.info("measure alert %s acknowledged by therapist %s", result_id, therapist_id)
    return alert


# --- reminders ----------------------------------------------------------------------------------------

BATCH = 100


def measure_reminders_send_due(*, now: datetime | None = None) -> int:
    """Email each client whose questionnaire opened 2 days ago and is not done, and each therapist
    whose alert email has not gone out yet: one Query, each sent once."""
    now = now or utcnow()
    repository = MeasureRepository()
    assignments, alerts = repository.notices_due(now, limit=BATCH)
    sent = sum(_send_alert_email(a.client_id, a.result_id, a.therapist_id, a.created_at) for a in alerts)
    clients = ClientRepository()
    for assignment in assignments:
        sessions = (
            _upcoming_sessions(assignment.client_id, assignment.therapist_id, now)
            if assignment.schedule is Schedule.BEFORE_SESSION
            else []
        )
        window = current_window(assignment, now, sessions)
        still_due = window is not None and not is_done(assignment, window)
        next_at, next_window = next_reminder(assignment, now, sessions)
        if not repository.claim_reminder(assignment, next_remind_at=next_at, next_window=next_window):
            continue  # another run took it
        if not still_due:
            continue  # done, or its window closed: just moved on to the next one
        client = clients.get(assignment.client_id)
        if client is None or not client.optional_emails:
            continue  # gone, or reminders turned off by the client (the reminder moved on all the same)
        body = render_to_string("email/measure_reminder.txt", {"link": _portal_link("measures_due")})
        try:
            send_mail(
                subject=REMINDER_SUBJECT,
                message=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[client.email],
            )
        except (OSError, smtplib.SMTPException) as exc:
            logger.error("measure reminder for client %s failed: %s", assignment.client_id, type(exc).__name__)
            repository.unclaim_reminder(assignment)
            continue
        sent += 1
    return sent


def measures_session_scheduled(*, client_id: str, therapist_id: str, now: datetime | None = None) -> int:
    """A session between the pair was approved or moved: "before every session" measures get their
    next reminder from the sessions as they are now. Returns how many reminders were set.

    One Query of the client's assignments, one of their sessions, an UpdateItem per such measure.
    """
    now = now or utcnow()
    repository = MeasureRepository()
    assignments = [
        a
        for a in repository.list_assignments(client_id)
        if a.therapist_id == therapist_id and a.schedule is Schedule.BEFORE_SESSION
    ]
    if not assignments:
        return 0
    sessions = _upcoming_sessions(client_id, therapist_id, now)
    changed = 0
    for assignment in assignments:
        window = current_window(assignment, now, sessions)
        remind_at: datetime | None
        opening: datetime | None
        if window is not None and not is_done(assignment, window):
            # Open already: remind two days in, or now if that has passed.
            opening = window.opens_at
            remind_at = max(now, _local_days(opening, assignment.time_zone, REMIND_AFTER_DAYS))
        else:
            remind_at, opening = next_reminder(assignment, now, sessions)
        if (remind_at, opening) != (assignment.remind_at, assignment.reminder_window):
            changed += repository.set_reminder(assignment, remind_at, opening)
    return changed


def measures_relationship_ended(*, client_id: str, therapist_id: str) -> int:
    """The pair stopped working together: the therapist's questionnaires stop too (results and alerts stay).

    One Query of the client's assignments and a DeleteItem for each of this therapist's.
    """
    repository = MeasureRepository()
    stopped = 0
    for assignment in repository.list_assignments(client_id):
        if assignment.therapist_id == therapist_id:
            stopped += repository.delete_assignment(client_id, assignment.measure, therapist_id)
    return stopped


# --- the mood chart's second series -------------------------------------------------------------------


@dataclass(frozen=True)
class ScorePoint:
    at: datetime
    total: int
    band: str
    # Meaningful change from the first score (None for the first).
    change: Change | None


@dataclass(frozen=True)
class ScoreSeries:
    measure: str
    name: str
    max_total: int
    loinc: str
    points: list[ScorePoint]


def measure_scores_for_chart(client_id: str, *, start: datetime, end: datetime) -> list[ScoreSeries]:
    """Each measure's scores in [start, end] for the mood chart (own scale per measure, band per mark,
    change from the very first score): one Query per measure, whatever the range. Callers check access
    (the client's own chart; a therapist's view through policy)."""
    series = []
    for kind in MeasureKind:
        history = measure_history(client_id, kind)
        points = [
            ScorePoint(s.result.submitted_at, s.result.total, s.band.label, s.change)
            for s in history.results
            if start <= s.result.submitted_at <= end
        ]
        instrument = history.instrument
        series.append(ScoreSeries(kind.value, instrument.name, instrument.max_total, instrument.loinc_total, points))
    return series


# --- export and erasure ---------------------------------------------------------------------------------


def measure_results_for_export(client_id: str) -> list[dict[str, object]]:
    """Every result of the client as rows for the JSON and CSV export, with the total's LOINC code."""
    rows: list[dict[str, object]] = []
    repository = MeasureRepository()
    cursor: str | None = None
    while True:
        page = repository.page_results(client_id, cursor=cursor)
        for result in page.items:
            instrument = scoring.instrument(result.measure)
            rows.append(
                {
                    "measure": instrument.name,
                    "submitted_at": result.submitted_at.isoformat(),
                    "total": result.total,
                    "band": scoring.band(result.measure, result.total).label,
                    "loinc": instrument.loinc_total,
                    "answers": list(result.answers),
                    "difficulty": result.difficulty,
                }
            )
        if not page.next_cursor:
            return rows
        cursor = page.next_cursor


def measures_erase_client(client_id: str) -> int:
    """Delete every assignment, result and alert of the client; safe to run again."""
    removed = MeasureRepository().delete_all_for_client(client_id)
    logger.info("measures of client %s erased (%d items)", client_id, removed)
    return removed
