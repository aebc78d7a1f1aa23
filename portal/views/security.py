"""A person's own security page: sessions, recovery codes, turning two-factor off."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from portal.accounts.decorators import login_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.session_user import remember_account
from portal.forms.accounts import ConfirmPasswordForm, TurnOffMfaForm
from portal.policy import NotAllowed, may_turn_off_mfa
from portal.services import auth
from portal.services.mfa import InvalidCode
from portal.services.security import (
    WrongPassword,
    own_mfa_turn_off,
    own_recovery_codes_regenerate,
    own_sessions_end_others,
    own_sessions_list,
)
from portal.services.throttle import Throttled


def _page(request: AuthenticatedHttpRequest, *, status: int = 200, **forms_in_error: forms.Form) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "sessions": own_sessions_list(user=user, current_session_key=request.session.session_key),
        "codes_form": forms_in_error.get("codes_form") or ConfirmPasswordForm(auto_id="id_codes_%s"),
        "mfa_off_form": forms_in_error.get("mfa_off_form") or TurnOffMfaForm(auto_id="id_off_%s"),
        "may_turn_off": may_turn_off_mfa(user) and user.mfa_enabled,
    }
    return render(request, "portal/accounts/security.html", context, status=status)


@never_cache
@require_GET
@login_required
def security(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@login_required
def end_other_sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    ended = own_sessions_end_others(user=request.user, current_session_key=request.session.session_key)
    messages.success(
        request, f"Logged out {ended} other device{'s' if ended != 1 else ''}." if ended else "No other devices were logged in."
    )
    return redirect("security")


@sensitive_post_parameters("password")
@never_cache
@require_POST
@login_required
def regenerate_recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ConfirmPasswordForm(request.POST, auto_id="id_codes_%s")
    if form.is_valid():
        try:
            codes = own_recovery_codes_regenerate(user=user, password=form.cleaned_data["password"])
        except WrongPassword as exc:
            form.add_error("password", str(exc))
        except (Throttled, NotAllowed) as exc:
            form.add_error(None, str(exc))
        else:
            return render(
                request,
                "portal/accounts/mfa_recovery_codes.html",
                {
                    "codes": codes,
                    "codes_text": "\n".join(codes) + "\n",
                    "home": auth.HOME_FOR_KIND[user.kind],
                    "heading": "Your new recovery codes",
                },
            )
    return _page(request, status=400, codes_form=form)


@sensitive_post_parameters("password", "code")
@never_cache
@require_POST
@login_required
def turn_off_mfa(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not may_turn_off_mfa(user):
        raise PermissionDenied("Two-factor authentication is required for your account.")
    form = TurnOffMfaForm(request.POST, auto_id="id_off_%s")
    if form.is_valid():
        try:
            own_mfa_turn_off(user=user, password=form.cleaned_data["password"], code=form.cleaned_data["code"])
        except WrongPassword as exc:
            form.add_error("password", str(exc))
        except InvalidCode as exc:
            form.add_error("code", str(exc))
        except (Throttled, NotAllowed) as exc:
            form.add_error(None, str(exc))
        else:
            # The session's copy of the account still says "on" until refreshed.
            remember_account(request.session, user)
            messages.success(request, "Two-factor authentication is off.")
            return redirect("security")
    return _page(request, status=400, mfa_off_form=form)
