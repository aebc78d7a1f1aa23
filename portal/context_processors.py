"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def session_timing(request: HttpRequest) -> dict[str, int]:
    """Seconds until automatic logoff and when to warn, for the warning script."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "session_warning_seconds": settings.SESSION_IDLE_WARNING_SECONDS,
    }
