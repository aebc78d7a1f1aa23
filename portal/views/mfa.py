"""Two-factor authentication: setting it up, and the second step of logging in."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.accounts.decorators import login_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.session_user import remember_account
from portal.forms.accounts import OneTimeCodeForm, SetupCodeForm
from portal.services import auth
from portal.services.mfa import (
    InvalidCode,
    mfa_enable,
    mfa_new_secret,
    mfa_provisioning_uri,
    mfa_qr_data_uri,
    mfa_verify,
)
from portal.services.throttle import Throttled, throttle_attempt, throttle_release
from portal.views.accounts import client_address, complete_mfa_login, pending_mfa_user

_SETUP_SECRET_KEY = "mfa_setup_secret"


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def mfa_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.mfa_enabled:
        messages.info(request, "Two-factor authentication is already on.")
        return redirect(auth.HOME_FOR_KIND[user.kind])
    # The secret waits in the server-side session until a code proves the app has it.
    secret = request.session.get(_SETUP_SECRET_KEY)
    if not secret:
        secret = mfa_new_secret()
        request.session[_SETUP_SECRET_KEY] = secret
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa_enable(user=user, secret=secret, code=form.cleaned_data["code"])
        except InvalidCode as exc:
            form.add_error("code", str(exc))
        else:
            request.session.pop(_SETUP_SECRET_KEY, None)
            # mfa_enable turned the flag on in ``user``: the session's copy follows.
            remember_account(request.session, user)
            return render(
                request,
                "portal/accounts/mfa_recovery_codes.html",
                {"codes": codes, "codes_text": "\n".join(codes) + "\n", "home": auth.HOME_FOR_KIND[user.kind]},
            )
    return render(
        request,
        "portal/accounts/mfa_setup.html",
        {
            "form": form,
            "qr": mfa_qr_data_uri(secret=secret, email=user.email),
            # Opens the authenticator app on the phone this page is read on: a QR code cannot be
            # scanned from its own screen.
            "otpauth": mfa_provisioning_uri(secret=secret, email=user.email),
            "secret": secret,
            # Typed by hand from another screen: groups of four are easier to keep one's place in.
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "required": user.mfa_required,
        },
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_login(request: HttpRequest) -> HttpResponse:
    pending = pending_mfa_user(request)
    if pending is None:
        messages.info(request, "Please log in again.")
        return redirect("login")
    user, next_url = pending
    form = OneTimeCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        identifiers = [f"account:{user.pk}", f"ip:{client_address(request)}"]
        try:
            ticket = throttle_attempt(scope="mfa", identifiers=identifiers)
            mfa_verify(user=user, code=form.cleaned_data["code"])
        except Throttled:
            form.add_error(None, "Too many wrong codes. Please wait a few minutes and try again.")
            status = 429
        except InvalidCode as exc:
            form.add_error("code", str(exc))
            status = 400
        else:
            throttle_release(ticket)
            return complete_mfa_login(request, user, next_url)
    return render(request, "portal/accounts/mfa_login.html", {"form": form}, status=status)
