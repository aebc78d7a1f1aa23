"""Calendar files: one session as an .ics download, and each account's private feed.

Events carry the time, the length and a neutral title only: a calendar is
often shared with family or an employer, synced to other companies' servers
and shown on lock screens, so the session's title, notes and the names never
go into it.

A feed is reached by a secret URL. Only the token's SHA-256 is stored; making
a new link revokes the old one, and turning the feed off deletes it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from icalendar import Calendar, Event

from portal.accounts.backends import account_is_active, load_account
from portal.accounts.user import User
from portal.domain import ON_CALENDAR, AccountKind, NotFound, SessionStatus, TherapySession
from portal.dynamo.calendar_feeds import CalendarFeedRepository
from portal.dynamo.sessions import SessionRepository
from portal.policy import NotAllowed
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

EVENT_TITLE = "Therapy session"
PRODUCT_ID = "-//Therapy portal//Sessions//EN"
# How far back a feed reaches, and how many sessions it lists at most (one Query).
FEED_LOOKBACK = timedelta(days=30)
FEED_LIMIT = 100
_DOWNLOADABLE = frozenset({SessionStatus.APPROVED, SessionStatus.OPEN})


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    return calendar


def _event(session: TherapySession) -> Event:
    event = Event()
    # A stable UID: a calendar app updates the event when the session moves.
    event.add("uid", f"{session.session_id}@therapy-portal")
    event.add("dtstamp", utcnow())
    event.add("dtstart", session.scheduled_for)
    event.add("duration", timedelta(minutes=session.duration_minutes))
    event.add("summary", EVENT_TITLE)
    event.add("sequence", session.version)
    return event


def session_ics(session: TherapySession) -> bytes:
    """One approved (or open) session as an .ics file; NotFound for any other status."""
    if session.status not in _DOWNLOADABLE:
        raise NotFound("Only an approved session goes into a calendar.")
    calendar = _calendar()
    calendar.add_component(_event(session))
    return calendar.to_ical()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _owner(user: User) -> tuple[AccountKind, str]:
    if not user.is_authenticated or user.kind not in (AccountKind.CLIENT, AccountKind.THERAPIST):
        raise NotAllowed("Only clients and therapists have a session calendar.")
    return user.kind, user.account_id


@dataclass(frozen=True)
class FeedStatus:
    active: bool


def feed_status(*, user: User) -> FeedStatus:
    kind, account_id = _owner(user)
    return FeedStatus(active=CalendarFeedRepository().current_hash(kind, account_id) is not None)


def feed_create(*, user: User) -> str:
    """A new secret feed token for the account (the old link stops working). Shown once."""
    kind, account_id = _owner(user)
    repo = CalendarFeedRepository()
    token = secrets.token_urlsafe(32)
    repo.replace(kind, account_id, new_hash=_hash(token), old_hash=repo.current_hash(kind, account_id))
    logger.info("calendar feed replaced for %s %s", kind, account_id)
    return token


def feed_revoke(*, user: User) -> None:
    kind, account_id = _owner(user)
    repo = CalendarFeedRepository()
    old = repo.current_hash(kind, account_id)
    if old is not None:
        repo.replace(kind, account_id, new_hash=None, old_hash=old)
        logger.info("calendar feed revoked for %s %s", kind, account_id)


def feed_ics(*, token: str) -> bytes:
    """The feed behind a secret token: the account's sessions from a month back. Three reads.

    NotFound for an unknown or revoked token, and for an account that is
    deactivated or gone (the same answer for all). A deactivated account keeps
    its link: the feed answers again once staff reactivate it.
    """
    if not token or len(token) > 100:
        raise NotFound("No such calendar.")
    owner = CalendarFeedRepository().owner(_hash(token))
    if owner is None:
        raise NotFound("No such calendar.")
    kind, account_id = owner
    # The account item itself, read consistently: a deactivation stops the feed at once.
    account = load_account(kind, account_id)
    if account is None or not account_is_active(account):
        raise NotFound("No such calendar.")
    repo = SessionRepository()
    since = utcnow() - FEED_LOOKBACK
    if kind is AccountKind.THERAPIST:
        page = repo.list_by_therapist(account_id, after=since, statuses=ON_CALENDAR, limit=FEED_LIMIT)
    else:
        page = repo.list_by_client(account_id, after=since, statuses=ON_CALENDAR, limit=FEED_LIMIT)
    calendar = _calendar()
    calendar.add("x-wr-calname", "Therapy sessions")
    for session in page.items:
        calendar.add_component(_event(session))
    return calendar.to_ical()
