"""The home page of each kind of account."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from portal.accounts.decorators import client_required, therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.services.clinical_notes import corrections_due, notes_to_sign
from portal.services.measures import measure_alerts_for_therapist, measures_due_for_client
from portal.services.practice import client_therapists, therapist_clients
from portal.services.therapist_day import therapist_day


@client_required
def client_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "therapists": client_therapists(user=user),
        "questionnaires": measures_due_for_client(user.account_id),
    }
    return render(request, "portal/client/home.html", context)


@therapist_required
def therapist_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "practice": therapist_clients(user=user),
        # What must not wait: a questionnaire that needs attention, notes to sign, corrections asked for.
        "alerts": measure_alerts_for_therapist(user.account_id),
        "unsigned": notes_to_sign(user=user),
        "corrections": corrections_due(user=user),
        "day": therapist_day(user=user),
    }
    return render(request, "portal/therapist/home.html", context)
