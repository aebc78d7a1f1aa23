"""Emails that tell a person their session changed: requested, booked, approved, declined, cancelled, moved.

Sent from the request that made the change, right after its write: the change
is stored whatever happens to the email. Each email is first claimed on the
session's item (``SessionNoticeRepository.claim``, a conditional write named by
kind, recipient and the version the change left), so a retried request sends
one email and a notice of one kind never suppresses another.

An email holds the time in the recipient's own zone and a link: never the
title, notes, location or a reason (those are behind the login). A person who
turned optional emails off gets none.
"""

from __future__ import annotations

import enum
import logging
import smtplib
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from portal.domain import Client, DatabaseUnavailable, Side, Therapist, TherapySession
from portal.dynamo.clients import ClientRepository
from portal.dynamo.session_notices import SessionNoticeRepository
from portal.dynamo.therapists import TherapistRepository

logger = logging.getLogger(__name__)


class SessionNotice(enum.StrEnum):
    REQUESTED = "requested"
    BOOKED = "booked"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    MOVE_REQUESTED = "move_requested"
    MOVE_DECLINED = "move_declined"
    WITHDRAWN = "withdrawn"


_SUBJECTS: dict[SessionNotice, str] = {
    SessionNotice.REQUESTED: "A new session request",
    SessionNotice.BOOKED: "A session was booked",
    SessionNotice.APPROVED: "Your session was approved",
    SessionNotice.DECLINED: "Your session request was declined",
    SessionNotice.CANCELLED: "A session was cancelled",
    SessionNotice.RESCHEDULED: "A session moved to another time",
    SessionNotice.MOVE_REQUESTED: "A request to move a session",
    SessionNotice.MOVE_DECLINED: "Your session stays at its time",
    SessionNotice.WITHDRAWN: "A session request was withdrawn",
}


def local_time(moment: datetime, time_zone: str) -> str:
    """'Tue 8 Dec at 17:00' in ``time_zone`` (the zone's own offset on that day, daylight saving included)."""
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


def _sentence(kind: SessionNotice, session: TherapySession, time_zone: str, previous: datetime | None) -> str:
    when = local_time(session.scheduled_for, time_zone)
    if kind is SessionNotice.REQUESTED:
        return f"You have a new session request for {when}."
    if kind is SessionNotice.BOOKED:
        return f"A session on {when} was booked."
    if kind is SessionNotice.APPROVED:
        return f"Your session on {when} was approved."
    if kind is SessionNotice.DECLINED:
        return f"Your session request for {when} was declined."
    if kind is SessionNotice.CANCELLED:
        return f"Your session on {when} was cancelled."
    if kind is SessionNotice.WITHDRAWN:
        return f"The session request for {when} was withdrawn."
    if kind is SessionNotice.MOVE_REQUESTED and session.proposed_for is not None:
        return f"You are asked to move the session on {when} to {local_time(session.proposed_for, time_zone)}."
    if kind is SessionNotice.MOVE_REQUESTED:
        return f"You are asked to move the session on {when}."
    if kind is SessionNotice.MOVE_DECLINED:
        return f"Your request to move the session on {when} was declined: it stays at that time."
    before = local_time(previous, time_zone) if previous is not None else None
    if before is not None and before != when:
        return f"Your session on {before} was moved to {when}."
    return f"Your session on {when} was changed."


def _link(name: str, **kwargs: str) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{reverse(name, kwargs=kwargs or None)}"


def session_notice(
    session: TherapySession, kind: SessionNotice, *, to: Side, previous: datetime | None = None
) -> bool:
    """Email ``to`` about ``kind`` of change that left ``session`` as it is; True when an email went out.

    ``previous`` is the session's earlier time, for a move. A failure to reach
    the database or the mail server is logged and the change stands: the
    person sees it on their pages anyway.
    """
    try:
        return _notice(session, kind, to=to, previous=previous)
    except DatabaseUnavailable:
        logger.error("notice %s of session %s to the %s not sent: database unavailable", kind, session.session_id, to)
        return False


def _notice(session: TherapySession, kind: SessionNotice, *, to: Side, previous: datetime | None) -> bool:
    account: Client | Therapist | None
    if to is Side.CLIENT:
        account = ClientRepository().get(session.client_id)
    else:
        account = TherapistRepository().get(session.therapist_id)
    if account is None or account.deactivated or not account.optional_emails:
        return False
    name = f"{kind}:{to}:{session.version}"
    claims = SessionNoticeRepository()
    if not claims.claim(session.session_id, name):
        logger.info("notice %s of session %s already sent", name, session.session_id)
        return False
    page = "client_session" if to is Side.CLIENT else "therapist_session"
    body = render_to_string(
        "email/session_notice.txt",
        {
            "sentence": _sentence(kind, session, account.time_zone, previous),
            "time_zone": account.time_zone,
            "link": _link(page, session_id=session.session_id),
            "settings_link": _link("account_settings"),
        },
    )
    try:
        send_mail(
            subject=_SUBJECTS[kind],
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[account.email],
        )
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("notice %s of session %s failed: %s", name, session.session_id, type(exc).__name__)
        claims.release(session.session_id, name)
        return False
    logger.info("notice %s of session %s sent", name, session.session_id)
    return True
