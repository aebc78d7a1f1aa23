"""Finding a therapist: the directory by specialization and a therapist's profile."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import client_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.domain import MAX_REQUEST_MESSAGE_LENGTH, Conflict, NotFound
from portal.forms.directory import DirectoryForm
from portal.ids import is_valid_id
from portal.policy import NotAllowed
from portal.presenters.directory import therapist_card
from portal.services.booking import online_requests_on
from portal.services.relationships import (
    AlreadyInvited,
    InvalidRequestMessage,
    NotAvailable,
    relationship_request,
)
from portal.services.sharing import shared_entry_count
from portal.services.therapist_directory import InvalidProfile, directory_page, therapist_profile_for_client
from portal.services.therapist_photo import therapist_photo
from portal.views.htmx import wants_fragment
from portal.views.profile import photo_response

DIRECTORY = "portal/client/directory.html"
PROFILE = "portal/client/therapist_profile.html"


@client_required
@require_GET
@vary_on_headers("HX-Request")
def directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every listed therapist (no filter chosen), or those matching the chosen filters."""
    form = DirectoryForm(request.GET)
    page = None
    filters = {"specialization": "", "modality": "", "language": ""}
    if form.is_valid():
        filters = {name: form.cleaned_data[name] for name in filters}
        try:
            page = directory_page(
                specialization=filters["specialization"],
                modality=filters["modality"],
                language=filters["language"],
                cursor=request.GET.get("cursor"),
            )
        except InvalidProfile as exc:
            form.add_error(None, str(exc))
    query = urlencode({k: v for k, v in filters.items() if v})
    context = {
        "form": form,
        "page": page,
        "specialization": filters["specialization"],
        "filters": filters,
        "query": query,
        "cards": [therapist_card(t) for t in page.items] if page else [],
    }
    template = DIRECTORY
    if wants_fragment(request):
        template += "#result_page" if request.GET.get("cursor") else "#results"
    return render(request, template, context, status=400 if form.errors else 200)


def _profile(request: AuthenticatedHttpRequest, therapist_id: str) -> dict[str, object]:
    if not is_valid_id(therapist_id):
        raise Http404
    try:
        profile = therapist_profile_for_client(user=request.user, therapist_id=therapist_id)
    except NotFound:
        raise Http404 from None
    # What this therapist would be able to read once working together (sharing is per entry).
    shared = shared_entry_count(user=request.user) if profile.may_request or profile.asked else None
    return {
        "profile": profile,
        "card": therapist_card(profile.therapist),
        "shared": shared,
        "request_message_max": MAX_REQUEST_MESSAGE_LENGTH,
        "notice": None,
        "problem": None,
    }


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
            message=request.POST.get("message", ""),
        )
    except NotFound:
        raise Http404 from None
    except (NotAvailable, AlreadyInvited, NotAllowed, Conflict, InvalidRequestMessage) as exc:
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


@client_required
@require_GET
def therapist_photo_view(request: AuthenticatedHttpRequest, therapist_id: str, version: str) -> HttpResponse:
    """A therapist's photo, for a client who may see their profile."""
    if not is_valid_id(therapist_id):
        raise Http404
    try:
        # 404 unless this client may see the profile (the mapping and the therapist, nothing more).
        therapist_profile_for_client(user=request.user, therapist_id=therapist_id)
    except NotFound:
        raise Http404 from None
    return photo_response(therapist_photo(therapist_id=therapist_id, version=version))
