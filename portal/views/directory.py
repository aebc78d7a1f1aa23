"""Finding a therapist: the directory by specialization and a therapist's profile."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import client_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.domain import Conflict, NotFound
from portal.forms.directory import DirectoryForm
from portal.ids import is_valid_id
from portal.policy import NotAllowed
from portal.services.booking import online_requests_on
from portal.services.relationships import AlreadyInvited, NotAvailable, relationship_request
from portal.services.sharing import shared_entry_count
from portal.services.therapist_directory import directory_page, therapist_profile_for_client
from portal.views.htmx import wants_fragment

DIRECTORY = "portal/client/directory.html"
PROFILE = "portal/client/therapist_profile.html"



@client_required
@require_GET
@vary_on_headers("HX-Request")
def directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DirectoryForm(request.GET or None)
    page = None
    specialization = ""
    if form.is_bound and form.is_valid():
        specialization = form.cleaned_data["specialization"]
        page = directory_page(specialization=specialization, cursor=request.GET.get("cursor"))
    context = {"form": form, "page": page, "specialization": specialization}
    template = DIRECTORY
    if wants_fragment(request):
        template += "#result_page" if request.GET.get("cursor") else "#results"
    return render(request, template, context, status=400 if form.is_bound and not form.is_valid() else 200)


def _profile(request: AuthenticatedHttpRequest, therapist_id: str) -> dict[str, object]:
    if not is_valid_id(therapist_id):
        raise Http404
    try:
        profile = therapist_profile_for_client(user=request.user, therapist_id=therapist_id)
    except NotFound:
        raise Http404 from None
    # What this therapist would be able to read once working together (sharing is per entry).
    shared = shared_entry_count(user=request.user) if profile.may_request or profile.asked else None
    return {"profile": profile, "shared": shared, "notice": None, "problem": None}


@client_required
@require_GET
def therapist_profile(request: AuthenticatedHttpRequest, therapist_id: str) -> HttpResponse:
    context = _profile(request, therapist_id)
    return render(request, PROFILE, {**context, "online_booking": online_requests_on(therapist_id)})


@client_required
@require_POST
@vary_on_headers("HX-Request")
def request_therapist(request: AuthenticatedHttpRequest, therapist_id: str) -> HttpResponse:
    """Ask to work with this therapist; asking twice stores one request."""
    if not is_valid_id(therapist_id):
        raise Http404
    problem = None
    try:
        relationship_request(
            user=request.user,
            therapist_id=therapist_id,
            portal_url=request.build_absolute_uri(reverse("my_clients")),
        )
    except NotFound:
        raise Http404 from None
    except (NotAvailable, AlreadyInvited, NotAllowed, Conflict) as exc:
        problem = str(exc)
    if not wants_fragment(request):
        if problem:
            messages.warning(request, problem)
        else:
            messages.success(request, "Request sent. You will hear back here and by email.")
        return redirect("therapist_profile", therapist_id=therapist_id)
    context = _profile(request, therapist_id)
    context.update({"problem": problem, "notice": None if problem else "Request sent."})
    return render(request, f"{PROFILE}#next_step", context)
