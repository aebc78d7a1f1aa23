"""The therapist's own profile: what clients see in the directory."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.accounts.decorators import therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.forms.directory import ProfileForm
from portal.services.therapist_directory import (
    InvalidProfile,
    listing_status,
    therapist_own_profile,
    therapist_profile_update,
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
            except InvalidProfile as exc:
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
            }
        )
    listed, reasons = listing_status(therapist)
    context = {"form": form, "therapist": therapist, "listed": listed, "reasons": reasons}
    return render(request, TEMPLATE, context, status=status)
