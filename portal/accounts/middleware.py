"""Automatic logoff after 30 idle minutes.

Every request a person makes pushes the session's expiry forward by
SESSION_COOKIE_AGE. Requests a page makes on its own (polling for new
messages) are marked ``passive`` and do not count as activity, or an open tab
would keep a session alive forever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def passive(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view whose requests do not count as the user's activity."""
    view.passive_request = True  # type: ignore[attr-defined]
    return view


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: Any,
        view_kwargs: Any,
    ) -> None:
        if getattr(view_func, "passive_request", False):
            return
        if not request.session.is_empty():
            request.session.modified = True


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
