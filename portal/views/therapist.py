"""Therapist pages about one client: what that client chose to share."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.accounts.decorators import therapist_required
from portal.accounts.user import User
from portal.dynamo.clients import ClientRepository
from portal.ids import is_valid_id
from portal.services.journal import shared_entries_for_therapist


@therapist_required
@require_GET
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
    if request.htmx and request.GET.get("cursor"):  # type: ignore[attr-defined]
        template += "#shared-page"
    return render(request, template, {"client": client, "page": page})
