"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.accounts.middleware import idle_seconds_left, signed_in_user


def person(request: HttpRequest) -> dict[str, Any]:
    """``user`` for templates: the signed-in person or the anonymous one. In place of Django's auth context
    processor, as the product has no ``perms`` (Django's permissions need the ORM)."""
    return {"user": signed_in_user(request)}


def session_timing(request: HttpRequest) -> dict[str, int]:
    """Seconds until automatic logoff and when to warn, for the warning script.

    The expiry moves at most once a minute, so the seconds left are read from
    the session itself rather than assumed to be the whole idle period.
    """
    if not signed_in_user(request).is_authenticated:
        return {}
    seconds = idle_seconds_left(request)
    return {
        "session_idle_seconds": settings.SESSION_COOKIE_AGE if seconds is None else max(1, seconds),
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "session_warning_seconds": settings.SESSION_IDLE_WARNING_SECONDS,
    }
