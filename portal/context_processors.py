"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from portal.accounts.middleware import idle_seconds_left


def session_timing(request: HttpRequest) -> dict[str, int]:
    """Seconds until automatic logoff and when to warn, for the warning script.

    The expiry moves at most once a minute, so the seconds left are read from
    the session itself rather than assumed to be the whole idle period.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    seconds = idle_seconds_left(request)
    return {
        "session_idle_seconds": settings.SESSION_COOKIE_AGE if seconds is None else max(1, seconds),
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "session_warning_seconds": settings.SESSION_IDLE_WARNING_SECONDS,
    }
