"""Who is signed in, automatic logoff after 30 idle minutes, and the person's time zone.

A page view costs one session GetItem and writes nothing: the signed-in
person comes from the session's own copy (session_user.py), and the idle
expiry (SESSION_COOKIE_AGE after the last activity) is pushed forward, with a
session write, only once at least EXPIRY_PUSH_INTERVAL has passed since the
last push. Logoff is therefore exact to within that minute. Each push and
each POST re-reads the account consistently and ends the session if it
changed in a way that must (see session_user.py).

Requests a page makes on its own (polling for new messages, asking whether the
session lives) are marked ``passive``: they never push the expiry, or an open
tab would keep a session alive forever.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal.accounts.session_store import SessionStore
from portal.accounts.session_user import session_account_check, user_from_session
from portal.accounts.user import User
from portal.domain import DatabaseUnavailable
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

EXPIRY_PUSH_INTERVAL = timedelta(minutes=1)
# Requests that change nothing; every other method re-reads the account first.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Tells the idle-warning script, after each of its requests, how long the session really has.
IDLE_SECONDS_HEADER = "X-Session-Idle-Seconds"


def note_database_failure(request: HttpRequest, exc: DatabaseUnavailable) -> None:
    """Record that the database failed before the view ran; the view must not run."""
    request.database_failure = exc  # type: ignore[attr-defined]


def database_failure(request: HttpRequest) -> DatabaseUnavailable | None:
    return getattr(request, "database_failure", None)


def passive(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view whose requests do not count as the user's activity."""
    view.passive_request = True  # type: ignore[attr-defined]
    return view


def signed_in_user(request: HttpRequest) -> User | AnonymousUser:
    """The person behind ``request.user``, anonymous when no middleware set one (a bare request)."""
    user = getattr(request, "user", None)
    return AnonymousUser() if user is None else cast(User | AnonymousUser, user)


class SessionAuthenticationMiddleware:
    """Django's AuthenticationMiddleware, but the user comes from the session's copy.

    Django's would GetItem the account on every request (and compare a
    password-derived hash); here the account version in the copy stands in for
    that hash, and the account is read only when IdleTimeoutMiddleware says so.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Built at once rather than lazily as Django's is: the session is already
        # loaded (portal.middleware.SessionMiddleware), building the user reads
        # nothing more, and every request reads it (IdleTimeoutMiddleware below).
        request.user = user_from_session(request.session) or AnonymousUser()

        async def auser() -> Any:
            return request.user

        request.auser = auser  # type: ignore[attr-defined]
        return self.get_response(request)


def idle_seconds_left(request: HttpRequest) -> int | None:
    """Seconds until this session ends for idleness, as the server will decide it."""
    session = getattr(request, "session", None)
    if not isinstance(session, SessionStore) or session.is_empty():
        return None
    if session.modified:
        # Saved (and so pushed) as this response goes out.
        return int(settings.SESSION_COOKIE_AGE)
    expiry = session.stored_expiry()
    if expiry is None:
        return None
    return max(0, math.floor((expiry - utcnow()).total_seconds()))


def expiry_push_due(session: SessionStore) -> bool:
    expiry = session.stored_expiry()
    if expiry is None:
        return False  # a new session is written anyway, an absent one has nothing to push
    last_push = expiry - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return utcnow() - last_push >= EXPIRY_PUSH_INTERVAL


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            seconds = idle_seconds_left(request)
            if seconds is not None:
                response[IDLE_SECONDS_HEADER] = str(seconds)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: Any,
        view_kwargs: Any,
    ) -> None:
        if getattr(view_func, "passive_request", False):
            return
        session = request.session
        if not isinstance(session, SessionStore):
            # Another engine (not ours): no stored expiry to compare, push every time.
            if not session.is_empty():
                session.modified = True
            return
        try:
            push = expiry_push_due(session)
            check = (push or request.method not in _SAFE_METHODS) and request.user.is_authenticated
            user = cast(User, request.user)
            fresh = session_account_check(session, user) if check else user
            if fresh is None:
                logger.info("session of account %s ended: the account changed", user.pk)
                logout(request)  # deletes the stored session
                messages.info(request, "Your account's sign-in details changed. Please log in again.")
                return
        except DatabaseUnavailable as exc:
            # Outside a view Django would show a traceback in debug mode; the
            # page layer answers with the 503 page instead (portal/middleware.py).
            note_database_failure(request, exc)
            return
        if check:
            request.user = cast(User, fresh)
        if push:
            session.modified = True


class UserTimeZoneMiddleware:
    """Show and read times in the logged-in person's own time zone.

    Times are stored in UTC; a client writing at 23:30 in Tokyo must see
    23:30, and a time typed into a form means their local time.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone_name = getattr(user, "time_zone", None) if user is not None and user.is_authenticated else None
        try:
            zone = ZoneInfo(zone_name) if zone_name else None
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
