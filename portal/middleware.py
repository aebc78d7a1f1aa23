"""Turn failures the user did not cause into calm pages instead of tracebacks."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.domain import DatabaseUnavailable, InvalidCursor, UnreadableText
from portal.services.data_keys import request_key_scope
from portal.views.errors import database_unavailable, unreadable_record


class DataKeyScopeMiddleware:
    """Each request unwraps a client's data key at most once, and keeps it no longer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_key_scope():
            return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """For exceptions raised in views; therapy_site.urls.handler500 covers the rest."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseUnavailable):
            return database_unavailable(request)
        if isinstance(exception, UnreadableText):
            return unreadable_record(request)
        if isinstance(exception, InvalidCursor):
            if getattr(request, "htmx", False):
                # Swapped into the list where "load more" was.
                return HttpResponse(
                    '<p class="nonfield" role="alert">This list has changed. Please reload the page.</p>',
                    status=400,
                )
            return render(request, "400.html", {"reason": str(exception)}, status=400)
        return None
