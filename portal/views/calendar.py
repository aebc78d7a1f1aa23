"""Calendar files: the private feed behind a secret URL, and turning that feed on or off."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal.accounts.decorators import login_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.user import User
from portal.domain import Conflict, NotFound
from portal.policy import NotAllowed
from portal.services import calendar as calendar_service


def ics_download(body: bytes, filename: str, *, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    if attachment:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Times of therapy appointments: no shared cache keeps them.
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The subscribed calendar: no login (calendar apps have none), the secret URL is the key."""
    try:
        body = calendar_service.feed_ics(token=token)
    except NotFound:
        raise Http404 from None
    response = ics_download(body, "sessions.ics", attachment=False)
    response["X-Robots-Tag"] = "noindex"
    return response


def _sessions_page(user: User) -> str:
    return reverse("therapist_sessions" if user.is_therapist else "client_sessions")


@login_required
@require_POST
def feed_manage(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    action = request.POST.get("action")
    try:
        if action == "revoke":
            calendar_service.feed_revoke(user=user)
            messages.success(request, "Your calendar link was turned off.")
            return redirect(_sessions_page(user))
        if action != "create":
            raise Http404
        token = calendar_service.feed_create(user=user)
    except NotAllowed:
        raise PermissionDenied from None
    except Conflict as exc:
        messages.error(request, str(exc))
        return redirect(_sessions_page(user))
    url = request.build_absolute_uri(reverse("calendar_feed", kwargs={"token": token}))
    response = render(
        request,
        "portal/sessions/calendar_feed.html",
        {"feed_url": url, "back": _sessions_page(user)},
    )
    # The secret is shown this once: never kept by a cache or the Back button.
    response["Cache-Control"] = "no-store"
    return response
