"""The therapist's own profile: what clients see in the directory."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.accounts.decorators import therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.forms.directory import ProfileForm
from portal.services.sessions import InvalidSession, cancellation_window_set
from portal.services.therapist_directory import (
    InvalidProfile,
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
                "cancellation_window_hours": therapist.cancellation_window_hours,
            }
        )
    return render(request, TEMPLATE, {"form": form, "therapist": therapist}, status=status)
