"""Turn failures the user did not cause into calm pages instead of tracebacks."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.domain import DatabaseUnavailable, InvalidCursor

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseUnavailable):
            logger.error("database unavailable during %s %s", request.method, request.path)
            response = render(request, "503.html", status=503)
            response["Retry-After"] = "30"
            return response
        if isinstance(exception, InvalidCursor):
            return render(request, "400.html", {"reason": str(exception)}, status=400)
        return None
