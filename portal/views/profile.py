"""The therapist's own profile: what clients see in the directory."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.accounts.decorators import therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.forms.directory import ProfileForm
from portal.policy import own_therapist_id
from portal.services.sessions import InvalidSession, cancellation_window_set
from portal.services.therapist_directory import (
    InvalidProfile,
    listing_status,
    therapist_own_profile,
    therapist_profile_update,
)
from portal.services.therapist_photo import (
    UPLOAD_MAX_BYTES,
    InvalidPhoto,
    therapist_photo,
    therapist_photo_remove,
    therapist_photo_set,
)

TEMPLATE = "portal/therapist/profile.html"


@therapist_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                therapist_profile_update(
                    user=user,
                    name=data["name"],
                    specialization=data["specialization"],
                    bio=data["bio"],
                    accepting_clients=data["accepting_clients"],
                    licence_type=data["licence_type"],
                    licence_state=data["licence_state"],
                    modalities=tuple(data["modalities"]),
                    languages=tuple(data["languages"]),
                    fees=data["fees"],
                )
                # Empty keeps the current window (the form shows it as the initial value).
                if data["cancellation_window_hours"] is not None:
                    cancellation_window_set(user=user, hours=data["cancellation_window_hours"])
            except (InvalidProfile, InvalidSession) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("therapist_profile_edit")
        status = 400
    therapist = therapist_own_profile(user=user)
    if request.method == "GET":
        form = ProfileForm(
            initial={
                "name": therapist.name,
                "specialization": therapist.specialization,
                "bio": therapist.bio,
                "accepting_clients": therapist.accepting_clients,
                "licence_type": therapist.licence_type,
                "licence_state": therapist.licence_state,
                "modalities": list(therapist.modalities),
                "languages": list(therapist.languages),
                "fees": therapist.fees,
                "cancellation_window_hours": therapist.cancellation_window_hours,
            }
        )
    listed, reasons = listing_status(therapist)
    context = {"form": form, "therapist": therapist, "listed": listed, "reasons": reasons}
    return render(request, TEMPLATE, context, status=status)


@therapist_required
@require_POST
def profile_photo(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a new directory photo, or remove it."""
    if request.POST.get("remove"):
        therapist_photo_remove(user=request.user)
        messages.success(request, "Your photo is removed.")
        return redirect("therapist_profile_edit")
    upload = request.FILES.get("photo")
    if upload is None:
        messages.error(request, "Choose a picture to upload.")
        return redirect("therapist_profile_edit")
    if upload.size is not None and upload.size > UPLOAD_MAX_BYTES:
        messages.error(request, f"Choose a picture under {UPLOAD_MAX_BYTES // 1_000_000} MB.")
        return redirect("therapist_profile_edit")
    try:
        therapist_photo_set(user=request.user, data=upload.read())
    except InvalidPhoto as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your photo is saved: resized, with the camera's details taken out.")
    return redirect("therapist_profile_edit")


@therapist_required
@require_GET
def own_photo(request: AuthenticatedHttpRequest, version: str) -> HttpResponse:
    return photo_response(therapist_photo(therapist_id=own_therapist_id(request.user), version=version))


def photo_response(jpeg: bytes | None) -> HttpResponse:
    if jpeg is None:
        raise Http404
    response = HttpResponse(jpeg, content_type="image/jpeg")
    # The version is in the URL: a new photo is a new URL, so this one never changes.
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
