"""The home page of each kind of account."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from portal.accounts.decorators import client_required, therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.services.practice import client_therapists, therapist_clients


@client_required
def client_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "portal/client/home.html", {"therapists": client_therapists(user=user)})


@therapist_required
def therapist_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "portal/therapist/home.html", {"practice": therapist_clients(user=user)})
