"""What the client's and the therapist's session pages share: ids in URLs, the session list, .ics files."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from portal.accounts.user import User
from portal.domain import NotFound, Page, TherapySession
from portal.ids import is_valid_id
from portal.presenters.sessions import ListRole, SessionRow, list_sections
from portal.services import calendar as calendar_service
from portal.views.calendar import ics_download
from portal.views.htmx import wants_fragment

LIST_TEMPLATE = "portal/sessions/list.html"
EARLIER_TEMPLATE = "portal/sessions/earlier.html"


def session_id_or_404(session_id: str) -> str:
    """A malformed id names no session: 404 before any read."""
    if not is_valid_id(session_id):
        raise Http404
    return session_id


def session_list_response(
    request: HttpRequest,
    role: ListRole,
    *,
    user: User,
    form: Form,
    list_sessions: Callable[[Mapping[str, str | None]], object],
    overlap: Sequence[TherapySession] = (),
    status: int = 200,
) -> HttpResponse:
    """A role's session list, or (an htmx "more" request) the next page of the one section it pages.

    ``list_sessions`` reads the role's listing from each section's cursor (``?past=<cursor>`` pages the
    past sessions): ClientSessions or TherapistSessions, a page per section name.
    """
    cursors = {name: request.GET.get(name) for name in role.section_names}
    sections = list_sections(role, list_sessions(cursors))
    context: dict[str, Any] = {
        "role": role,
        "form": form,
        "overlap": list(overlap),
        "sections": sections,
        "feed": calendar_service.feed_status(user=user),
    }
    if request.method == "GET" and wants_fragment(request):
        paged = next((section for section in sections if cursors[section.spec.name]), None)
        if paged is not None:
            return render(request, f"{LIST_TEMPLATE}#section_page", {**context, "section": paged})
    return render(request, LIST_TEMPLATE, context, status=status)


def earlier_sessions_response(
    request: HttpRequest, role: ListRole, *, earlier_url: str, page: Page[TherapySession]
) -> HttpResponse:
    """The approved sessions whose time passed unclosed, a page at a time (htmx: the next page alone)."""
    context = {
        "role": role,
        "earlier_url": earlier_url,
        "rows": [SessionRow.of(session, role.detail_url) for session in page.items],
        "next_cursor": page.next_cursor,
    }
    if wants_fragment(request) and request.GET.get("earlier"):
        return render(request, f"{EARLIER_TEMPLATE}#section_page", context)
    return render(request, EARLIER_TEMPLATE, context)


def session_ics_response(session: TherapySession) -> HttpResponse:
    """One approved session as a calendar file (neutral title, time and length only)."""
    try:
        body = calendar_service.session_ics(session)
    except NotFound:
        raise Http404 from None
    return ics_download(body, f"session-{session.scheduled_for:%Y-%m-%d}.ics")
