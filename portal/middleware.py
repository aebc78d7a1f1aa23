"""Turn failures the user did not cause into calm pages instead of tracebacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.accounts.middleware import database_failure
from portal.domain import Conflict, DatabaseUnavailable, InvalidCursor, UnreadableText
from portal.services.data_keys import request_key_scope
from portal.views.errors import database_unavailable, lost_race, unreadable_record


class DataKeyScopeMiddleware:
    """Each request unwraps a client's data key at most once, and keeps it no longer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_key_scope():
            return self.get_response(request)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, loading the session up front so that a database failure is the 503 page.

    Django turns an exception raised in a middleware into its debug traceback
    page when DEBUG is on (``make run``), before any other middleware can
    answer. Loading here, where the failure can be caught, gives the same calm
    503 page in debug mode as in production; every later use of the session
    (the signed-in person rides in it) is then served from memory.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:  # type: ignore[override]
        super().process_request(request)
        try:
            request.session.get(SESSION_KEY)
        except DatabaseUnavailable:
            # Nothing was loaded: the response must leave the session cookie alone.
            request._session_unavailable = True  # type: ignore[attr-defined]
            return database_unavailable(request)
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "_session_unavailable", False):
            return response
        try:
            return super().process_response(request, response)
        except DatabaseUnavailable:
            # The session could not be saved after the view ran: what the view did
            # may or may not be stored, and the 503 page says so.
            return database_unavailable(request)


class DatabaseUnavailableMiddleware:
    """For exceptions raised in views, and failures noted before the view (the session's
    account check); therapy_site.urls.handler500 covers the rest."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if database_failure(request) is not None:
            return database_unavailable(request)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseUnavailable):
            return database_unavailable(request)
        if isinstance(exception, UnreadableText):
            return unreadable_record(request)
        if isinstance(exception, Conflict):
            # A race no view answered itself: a clear 409, never a traceback.
            return lost_race(request, exception)
        if isinstance(exception, InvalidCursor):
            if getattr(request, "htmx", False):
                # Swapped into the list where "load more" was.
                return HttpResponse(
                    '<p class="nonfield" role="alert">This list has changed. Please reload the page.</p>',
                    status=400,
                )
            return render(request, "400.html", {"reason": str(exception)}, status=400)
        return None
