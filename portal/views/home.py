"""The home page of each kind of account."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.accounts.decorators import client_required, therapist_required
from portal.accounts.user import User
from portal.services.practice import client_therapists, therapist_clients


@client_required
def client_home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(request, "portal/client/home.html", {"therapists": client_therapists(user=user)})


@therapist_required
def therapist_home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(request, "portal/therapist/home.html", {"practice": therapist_clients(user=user)})
