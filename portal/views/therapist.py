"""Therapist pages about one client: what that client chose to share."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import therapist_required
from portal.accounts.user import User
from portal.domain import NotFound
from portal.ids import is_valid_id
from portal.services.journal import shared_entries_for_therapist
from portal.views.htmx import wants_fragment


@therapist_required
@require_GET
@vary_on_headers("HX-Request")
def client_journal(request: HttpRequest, client_id: str) -> HttpResponse:
    if not is_valid_id(client_id):
        raise Http404
    user: User = request.user  # type: ignore[assignment]
    try:
        # The policy check (active mapping, else 404) runs inside the service, first.
        shared = shared_entries_for_therapist(user=user, client_id=client_id, cursor=request.GET.get("cursor"))
    except NotFound:
        raise Http404 from None
    template = "portal/therapist/client_journal.html"
    if wants_fragment(request) and request.GET.get("cursor"):
        template += "#shared-page"
    shown = {"client_id": shared.client_id, "name": shared.client_name, "time_zone": shared.client_time_zone}
    return render(request, template, {"client": shown, "page": shared.page})
