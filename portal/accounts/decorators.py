"""Role checks for views: a client page refuses therapists and staff, and so on.

Therapists and staff must have two-factor authentication before they reach
any of their pages: until then every one of their pages sends them to set it up.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from portal.accounts.user import User
from portal.domain import AccountKind
from portal.htmx import wants_fragment

View = Callable[..., HttpResponseBase]


def _to_login(request: HttpRequest) -> HttpResponseBase:
    if wants_fragment(request):
        # Redirecting an htmx request would swap the login page into the form the
        # person is writing in. 401 leaves the page, and what they typed, alone;
        # the page script tells them their session ended.
        return HttpResponse(status=401)
    return redirect_to_login(request.get_full_path())


def _role_required(kind: AccountKind) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return _to_login(request)
            user = cast(User, request.user)
            if user.kind is not kind:
                raise PermissionDenied("This page belongs to another kind of account.")
            if user.mfa_required and not user.mfa_enabled:
                return redirect("mfa_setup")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


client_required = _role_required(AccountKind.CLIENT)
therapist_required = _role_required(AccountKind.THERAPIST)
staff_required = _role_required(AccountKind.STAFF)


def login_required(view: View) -> View:
    """Any kind of account (for pages every account has, like changing a password)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return _to_login(request)
        return view(request, *args, **kwargs)

    return wrapped
