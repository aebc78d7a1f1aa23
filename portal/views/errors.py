"""Error pages that must work when nothing else does."""

from __future__ import annotations

import logging
import sys

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string

from portal.domain import Conflict, DatabaseUnavailable, UnreadableText

logger = logging.getLogger(__name__)


# A request of any other method may have changed something before the database failed.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page, rendered without the request: the session and account may be unreadable.

    It tells the truth about the request that failed: a page view changed
    nothing, but a form sent may or may not have been stored (the write can land
    and its answer be lost). Sending it again is safe: forms that create carry
    an idempotency key, and the other changes set a value rather than add one.
    """
    logger.error("database unavailable during %s %s", request.method, request.path)
    context = {"write_unknown": request.method not in _SAFE_METHODS}
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = "30"
    return response


def lost_race(request: HttpRequest, exception: Conflict) -> HttpResponse:
    """A write that lost a race no view answered itself (two people, or two tabs, at one item).

    A 409 with the reason, never the 500 page: nothing was written, and trying
    again after a reload is the answer. The message is the domain's, written for
    people (no item, table or health data in it).
    """
    logger.info("conflict during %s %s: %s", request.method, request.path, type(exception).__name__)
    reason = str(exception) or "Someone else changed this at the same moment. Please try again."
    if request.headers.get("HX-Request") == "true":
        # Swapped into the part of the page that sent it.
        return HttpResponse(render_to_string("409.html#reason", {"reason": reason, "alone": True}), status=409)
    return HttpResponse(render_to_string("409.html", {"reason": reason}), status=409)


def unreadable_record(request: HttpRequest) -> HttpResponse:
    """Stored clinical text failed its integrity check: say so, never show wrong text."""
    logger.error("unreadable clinical text during %s %s", request.method, request.path)
    return HttpResponseServerError(render_to_string("unreadable.html"))


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database outage can surface outside any view (loading the
    session in a middleware, saving it afterwards); Django then lands here with
    the exception still being handled, and it still deserves the calm 503."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DatabaseUnavailable):
        return database_unavailable(request)
    if isinstance(exception, UnreadableText):
        return unreadable_record(request)
    if isinstance(exception, Conflict):
        return lost_race(request, exception)
    return HttpResponseServerError(render_to_string("500.html"))
