"""Therapist pages about one client: what that client chose to share."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import therapist_required
from portal.accounts.user import User
from portal.dynamo.clients import ClientRepository
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
    # The policy check (active mapping, else 404) runs inside the service, first.
    page = shared_entries_for_therapist(user=user, client_id=client_id, cursor=request.GET.get("cursor"))
    client = ClientRepository().get(client_id)
    if client is None:
        raise Http404
    template = "portal/therapist/client_journal.html"
    if wants_fragment(request) and request.GET.get("cursor"):
        template += "#shared-page"
    # Only what the page shows: the account record also holds credentials.
    shown = {"client_id": client.client_id, "name": client.name, "time_zone": client.time_zone}
    return render(request, template, {"client": shown, "page": page})
