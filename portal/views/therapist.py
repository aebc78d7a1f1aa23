"""Therapist pages about one client: what that client chose to share."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.ids import is_valid_id
from portal.presenters.journal import shared_entry_items
from portal.services.mood_chart import mood_chart
from portal.services.practice import client_shown_to_therapist
from portal.services.therapist_visits import shared_entries_visit
from portal.views.htmx import wants_fragment


@therapist_required
@require_GET
@vary_on_headers("HX-Request")
def client_journal(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    if not is_valid_id(client_id):
        raise Http404
    user = request.user
    # The policy check (active mapping, else 404) runs inside the service, first; the first
    # page of a new visit also moves the therapist's last visit (a listed page-view write).
    visit = shared_entries_visit(user=user, client_id=client_id, cursor=request.GET.get("cursor"))
    client = client_shown_to_therapist(client_id=client_id)
    if client is None:
        raise Http404
    template = "portal/therapist/client_journal.html"
    # Each entry in the therapist's own zone, as on the session page's "since last session" panel
    # (so both put an entry on the same day), with the client's own time beside it.
    entries = shared_entry_items(
        visit.page.items, time_zone=user.time_zone, new_ids=visit.new_ids, client_time_zone=client.time_zone
    )
    context = {"client": client, "page": visit.page, "visit": visit, "entries": entries}
    if wants_fragment(request) and request.GET.get("cursor"):
        return render(request, f"{template}#shared_page", context)
    # The mood of the entries on this page, at a glance: drawn from what was read, no further reads.
    chart = mood_chart(entries=visit.page.items, time_zone=user.time_zone, start=None, end=None, feeling=None)
    return render(request, template, {**context, "chart": chart})
