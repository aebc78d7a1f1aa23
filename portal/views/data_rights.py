"""People's rights over their data: take it all away (export), or leave for good (erasure)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from portal.accounts.decorators import client_required, therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.forms.data_rights import AccountDeleteForm
from portal.policy import own_client_id, own_data_subject
from portal.services.account_erasure import WrongPassword, client_account_erase
from portal.services.data_export import account_data_export
from portal.services.throttle import Throttled, throttle_attempt, throttle_release

logger = logging.getLogger(__name__)


def _data_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    # A POST: the download records an audit event, and a link cannot trigger it.
    kind, account_id = own_data_subject(request.user)
    if request.method != "POST":
        return render(request, "portal/account/data_export.html", {"kind": str(kind)})
    export = account_data_export(kind=kind, account_id=account_id)
    response = StreamingHttpResponse(export.chunks, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@client_required
@require_http_methods(["GET", "POST"])
def client_data_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _data_export(request)


@therapist_required
@require_http_methods(["GET", "POST"])
def therapist_data_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return _data_export(request)


@sensitive_post_parameters("password")
@client_required
@require_http_methods(["GET", "POST"])
def account_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    client_id = own_client_id(request.user)
    form = AccountDeleteForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            # Someone at an unlocked screen must not be able to guess the password here.
            ticket = throttle_attempt(scope="account-delete", identifiers=[f"account:{user.pk}"])
            job = client_account_erase(client_id=client_id, password=form.cleaned_data["password"])
        except Throttled:
            form.add_error(None, "Too many wrong passwords. Please wait a few minutes and try again.")
            status = 429
        except WrongPassword as exc:
            form.add_error("password", str(exc))
        else:
            throttle_release(ticket)
            logout(request)
            if not job.finished:
                messages.info(request, "We are finishing removing your data; it is done within minutes.")
            return HttpResponseRedirect(reverse("account_deleted"))
    if form.errors and status == 200:
        status = 400
    return render(request, "portal/account/delete.html", {"form": form}, status=status)


@require_GET
def account_deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/account/deleted.html")
