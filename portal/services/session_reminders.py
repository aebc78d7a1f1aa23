"""Session reminders: each side of an approved session is emailed once, about a day before.

Safe to run every minute and from two schedulers at once: a reminder is marked
sent with a conditional write before its email goes out, so only one run sends
it; an email the mail server refuses is unmarked again for the next run.
The email holds the time and a link only: no title, no names, no notes.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from portal.domain import Client, Therapist, TherapySession
from portal.dynamo.clients import ClientRepository
from portal.dynamo.sessions import ReminderSide, SessionRepository, reminder_day
from portal.dynamo.therapists import TherapistRepository
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

# How many due sessions one run handles per day partition (the next run takes the rest).
BATCH = 100


def _link(side: ReminderSide, session: TherapySession) -> str:
    name = "client_session" if side == "client" else "therapist_session"
    path = reverse(name, kwargs={"session_id": session.session_id})
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"


def _when(session: TherapySession, time_zone: str) -> str:
    local = session.scheduled_for.astimezone(ZoneInfo(time_zone))
    return f"{local:%A} {local.day} {local:%B %Y at %H:%M} ({time_zone})"


def _send(side: ReminderSide, session: TherapySession, account: Client | Therapist) -> bool:
    body = render_to_string(
        "email/session_reminder.txt",
        {
            "when": _when(session, account.time_zone),
            "duration_minutes": session.duration_minutes,
            "link": _link(side, session),
        },
    )
    try:
        send_mail(
            subject="Reminder: your therapy session tomorrow",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[account.email],
        )
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("reminder for session %s to the %s failed: %s", session.session_id, side, type(exc).__name__)
        return False
    logger.info("reminder for session %s sent to the %s", session.session_id, side)
    return True


def session_reminders_send_due(*, now: datetime | None = None) -> int:
    """Send the reminders that are due; returns how many emails went out.

    A reminder falls due REMINDER_LEAD before its session; a session booked
    later than that is due at once. Due reminders are read from the sparse
    index's partitions of today and yesterday (a session booked a few hours
    ahead has its due time in yesterday's), each day's shards read together: a
    fixed number of Queries whatever the number of sessions, never a Scan.

    A reminder that can no longer be sent leaves the index at once: the session
    has begun, or nobody is left to remind (an erased or deleted account), so it
    never sits at the head of a day's partition, run after run.
    """
    if not settings.PORTAL_BASE_URL:
        raise ImproperlyConfigured("Set PORTAL_BASE_URL so that reminder emails can link to the portal.")
    now = now or utcnow()
    repo = SessionRepository()
    due: dict[str, TherapySession] = {}
    for day in (reminder_day(now - timedelta(days=1)), reminder_day(now)):
        for session in repo.reminders_due(day, now=now, limit=BATCH):
            # The query holds remindAt <= now; a session that has begun needs no reminder any more.
            if session.scheduled_for > now:
                due[session.session_id] = session
            else:
                repo.drop_reminder(session)
    if not due:
        return 0
    # Consistent: an account deleted a moment ago gets no reminder.
    clients = ClientRepository().get_many({s.client_id for s in due.values()}, consistent=True)
    therapists = TherapistRepository().get_many({s.therapist_id for s in due.values()}, consistent=True)
    sent = 0
    for session in due.values():
        sides: list[tuple[ReminderSide, Client | Therapist | None, datetime | None]] = [
            ("client", clients.get(session.client_id), session.client_reminded_at),
            ("therapist", therapists.get(session.therapist_id), session.therapist_reminded_at),
        ]
        still_to_send = False
        nobody_there = False
        for side, account, already in sides:
            if already is not None:
                continue
            if account is None:
                nobody_there = True
                continue
            if not account.optional_emails:
                continue  # turned off by the person: nothing is sent, nothing is marked
            if not repo.mark_reminded(session, side):
                continue  # another run sent it, or the session changed meanwhile
            if _send(side, session, account):
                sent += 1
            else:
                repo.unmark_reminded(session, side)
                still_to_send = True
        if nobody_there and not still_to_send:
            # What could be sent is sent; the rest never can be.
            repo.drop_reminder(session)
    return sent
