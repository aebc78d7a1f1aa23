"""The home page of each kind of account."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.accounts.decorators import client_required, therapist_required
from portal.accounts.user import User
from portal.services.practice import client_therapists_page, therapist_clients_page


@client_required
def client_home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    therapists = client_therapists_page(client_id=user.account_id, cursor=request.GET.get("cursor"))
    return render(request, "portal/client/home.html", {"therapists": therapists})


@therapist_required
def therapist_home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    clients = therapist_clients_page(therapist_id=user.account_id, cursor=request.GET.get("cursor"))
    return render(request, "portal/therapist/home.html", {"clients": clients})
