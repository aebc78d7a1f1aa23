"""What the client's and the therapist's session pages share: ids in URLs, list sections, .ics files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from portal.domain import NotFound, TherapySession
from portal.ids import is_valid_id
from portal.services import calendar as calendar_service
from portal.views.calendar import ics_download
from portal.views.htmx import wants_fragment


def session_id_or_404(session_id: str) -> str:
    """A malformed id names no session: 404 before any read."""
    if not is_valid_id(session_id):
        raise Http404
    return session_id


def section_cursors(request: HttpRequest, sections: Sequence[str]) -> dict[str, str | None]:
    """The cursor of each list section (``?past=<cursor>`` pages the past sessions)."""
    return {name: request.GET.get(name) for name in sections}


def section_fragment(
    request: HttpRequest, template: str, cursors: Mapping[str, str | None], context: dict[str, Any]
) -> HttpResponse | None:
    """An htmx "more" request: the next page of the one section it pages (``<section>-page``)."""
    if request.method != "GET" or not wants_fragment(request):
        return None
    section = next((name for name, cursor in cursors.items() if cursor), None)
    return render(request, f"{template}#{section}-page", context) if section else None


def session_ics_response(session: TherapySession) -> HttpResponse:
    """One approved session as a calendar file (neutral title, time and length only)."""
    try:
        body = calendar_service.session_ics(session)
    except NotFound:
        raise Http404 from None
    return ics_download(body, f"session-{session.scheduled_for:%Y-%m-%d}.ics")
