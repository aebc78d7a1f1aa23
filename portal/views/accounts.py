"""Sign-up, login, logout, email verification, password reset and change."""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode, urlsafe_base64_encode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.accounts.decorators import login_required
from portal.accounts.middleware import passive
from portal.accounts.requests import AuthenticatedHttpRequest, PortalHttpRequest
from portal.accounts.session_store import DEVICE_KEY, LOGGED_IN_AT_KEY, end_other_sessions
from portal.accounts.session_user import remember_account
from portal.accounts.user import User
from portal.domain import AccountKind, EmailTaken
from portal.forms.accounts import (
    ClientSignUpForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    SetPasswordForm,
    TherapistSignUpForm,
)
from portal.services import auth
from portal.services.accounts import client_sign_up, therapist_sign_up
from portal.services.devices import device_label
from portal.services.login_throttle import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_MAX_AGE,
    device_cookie_value,
    login_attempt,
    login_counters_clear,
    login_succeeded,
    trusted_device,
)
from portal.services.throttle import Throttled, throttle_attempt, throttle_release

logger = logging.getLogger(__name__)

MFA_PENDING_KEY = "mfa_pending"
MFA_PENDING_MAX_AGE = 5 * 60


def client_address(request: HttpRequest) -> str:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        # Behind the load balancer the last hop it appended is the client it saw.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _landing(user: User, request: HttpRequest) -> str:
    if user.mfa_required and not user.mfa_enabled:
        return reverse("mfa_setup")
    return _safe_next(request) or auth.HOME_FOR_KIND[user.kind]


def _send_verification(request: HttpRequest, user: User) -> bool:
    token = auth.email_verification_token(user)
    link = request.build_absolute_uri(reverse("verify_email", args=[token]))
    return auth.email_verification_send(user=user, link=link)


def _already_logged_in(request: PortalHttpRequest) -> HttpResponse | None:
    """Someone logged in who opens the log-in or sign-up form goes where they were headed instead."""
    user = request.user
    if not user.is_authenticated:
        return None
    messages.info(request, "You are already logged in.")
    return redirect(_landing(user, request))


DEACTIVATED_MESSAGE = (
    "This account is deactivated, so it cannot log in. "
    "If you think this is a mistake, please contact the practice."
)


def start_session(request: HttpRequest, user: User, target: str) -> HttpResponse:
    """Log in: the session, its device label, the account's last login and the device cookie."""
    login(request, user, backend=auth.backend_path(user))
    request.session[DEVICE_KEY] = device_label(request.headers.get("User-Agent", ""))
    request.session[LOGGED_IN_AT_KEY] = int(time.time())
    auth.login_recorded(user=user)
    response = redirect(target)
    # This browser has now logged in to this account: its own throttle allowance.
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie_value(user.email),
        max_age=DEVICE_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _finish_login(request: HttpRequest, user: User) -> HttpResponse:
    response = start_session(request, user, _landing(user, request))
    logger.info("login of account %s", user.pk)
    return response


# --- sign-up -------------------------------------------------------------------


def _signup(request: PortalHttpRequest, kind: AccountKind) -> HttpResponse:
    if (elsewhere := _already_logged_in(request)) is not None:
        return elsewhere
    form_class = ClientSignUpForm if kind is AccountKind.CLIENT else TherapistSignUpForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if kind is AccountKind.CLIENT:
                account: Any = client_sign_up(
                    email=data["email"], name=data["name"], password=data["password"], time_zone=data["time_zone"]
                )
            else:
                account = therapist_sign_up(
                    email=data["email"],
                    name=data["name"],
                    password=data["password"],
                    specialization=data["specialization"],
                    time_zone=data["time_zone"],
                    bio=data["bio"],
                    accepting_clients=data["accepting_clients"],
                )
        except EmailTaken:
            form.add_error("email", "An account with this email already exists. Try logging in instead.")
        else:
            user = User.from_account(kind, account)
            if _send_verification(request, user):
                messages.success(request, "Welcome! We sent you an email to confirm your address.")
            else:
                messages.warning(
                    request,
                    "Welcome! We couldn't send the confirmation email just now. "
                    "Use “Send the email again” in a little while.",
                )
            return _finish_login(request, user)
    return render(
        request,
        "portal/accounts/signup.html",
        {"form": form, "kind": kind},
        status=400 if form.is_bound and form.errors else 200,
    )


@sensitive_post_parameters("password", "password_again")
@never_cache
@require_http_methods(["GET", "POST"])
def signup_client(request: PortalHttpRequest) -> HttpResponse:
    return _signup(request, AccountKind.CLIENT)


@sensitive_post_parameters("password", "password_again")
@never_cache
@require_http_methods(["GET", "POST"])
def signup_therapist(request: PortalHttpRequest) -> HttpResponse:
    return _signup(request, AccountKind.THERAPIST)


# --- login / logout ---------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: PortalHttpRequest) -> HttpResponse:
    if (elsewhere := _already_logged_in(request)) is not None:
        return elsewhere
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        device = trusted_device(request.COOKIES.get(DEVICE_COOKIE), email)
        try:
            # Counted before the password is checked, so parallel guesses cannot
            # all slip under the limit; a successful login gives its attempt back.
            attempt = login_attempt(email=email, address=client_address(request), device=device)
        except Throttled as exc:
            minutes = max(1, round(exc.retry_after / 60))
            form.add_error(
                None,
                f"Too many attempts to log in. For your safety, please wait about {minutes} "
                f"minute{'s' if minutes != 1 else ''} and try again, or reset your password.",
            )
            status = 429
        else:
            claim = auth.email_claim_for(email)
            password = form.cleaned_data["password"]
            if claim is None:
                auth.password_check_without_account(password)
                user = None
            else:
                user = cast(
                    User | None,
                    authenticate(
                        request,
                        email=email,
                        password=password,
                        kind=claim.account_kind,
                        claimed_id=claim.account_id,
                    ),
                )
            if user is None:
                logger.info("failed login")
                form.add_error(None, "That email and password do not match an account.")
                status = 400
            elif not user.is_active:
                # Said only to someone who knew the password.
                login_succeeded(attempt)
                logger.info("login refused: account %s is deactivated", user.pk)
                form.add_error(None, DEACTIVATED_MESSAGE)
                status = 403
            elif user.mfa_enabled:
                login_succeeded(attempt)
                request.session.cycle_key()
                request.session[MFA_PENDING_KEY] = {
                    "user": user.pk,
                    "at": int(time.time()),
                    "next": _safe_next(request) or "",
                }
                return redirect("mfa_verify")
            else:
                login_succeeded(attempt)
                return _finish_login(request, user)
    elif form.is_bound:
        status = 400
    return render(
        request, "portal/accounts/login.html", {"form": form, "next": _safe_next(request) or ""}, status=status
    )


def pending_mfa_user(request: HttpRequest) -> tuple[User, str] | None:
    """The account that gave its password and still owes a second factor."""
    pending = request.session.get(MFA_PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - int(pending.get("at", 0)) > MFA_PENDING_MAX_AGE:
        return None
    user = auth.load_user(str(pending.get("user", "")))
    return (user, str(pending.get("next", ""))) if user else None


def complete_mfa_login(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    request.session.pop(MFA_PENDING_KEY, None)
    if not user.is_active:
        # Deactivated between the password and the code.
        messages.error(request, DEACTIVATED_MESSAGE)
        return redirect("login")
    if not (next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()})):
        next_url = auth.HOME_FOR_KIND[user.kind]
    response = start_session(request, user, next_url)
    logger.info("login of account %s with second factor", user.pk)
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        logger.info("logout of account %s", request.user.pk)
    logout(request)  # flushes the session: it is deleted from the store
    messages.info(request, "You are logged out.")
    return redirect("login")


@passive
@require_GET
def session_status(request: HttpRequest) -> HttpResponse:
    """Whether the session is still alive, without counting as activity.

    A page open in a background tab asks before it tells the person they were
    logged out: another tab may have kept the session going.
    """
    return HttpResponse(status=204 if request.user.is_authenticated else 401)


@require_POST
@login_required
def keep_alive(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The idle-warning's "stay logged in" button: any request counts as activity."""
    if request.htmx:
        return HttpResponse(status=204)
    return redirect(auth.HOME_FOR_KIND[request.user.kind])


# --- email verification --------------------------------------------------------------


@require_GET
def verify_email(request: PortalHttpRequest, token: str) -> HttpResponse:
    try:
        verified = auth.email_verify(token=token)
    except auth.InvalidToken as exc:
        return render(request, "portal/accounts/verify_failed.html", {"reason": str(exc)}, status=400)
    messages.success(request, "Thank you: your email address is confirmed.")
    if request.user.is_authenticated:
        if request.user.pk == verified.pk:
            # The session's copy of the account says "unverified" until refreshed.
            remember_account(request.session, verified)
        return redirect(auth.HOME_FOR_KIND[request.user.kind])
    return redirect("login")


@require_POST
@login_required
def resend_verification(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not user.email_verified:
        if _send_verification(request, user):
            messages.info(request, "We sent a new confirmation email.")
        else:
            messages.error(request, "We couldn't send the email just now. Please try again in a little while.")
    return redirect(auth.HOME_FOR_KIND[user.kind])


# --- passwords -----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        identifiers = [f"email:{email}", f"ip:{client_address(request)}"]
        try:
            # Every request counts, whether or not the email has an account.
            throttle_attempt(scope="password-reset", identifiers=identifiers)
        except Throttled as exc:
            minutes = max(1, round(exc.retry_after / 60))
            form.add_error(None, f"Too many reset requests. Please wait about {minutes} minutes and try again.")
            return render(request, "portal/accounts/password_reset.html", {"form": form}, status=429)

        def link_for(user_key: str, token: str) -> str:
            uid = urlsafe_base64_encode(user_key.encode())
            return request.build_absolute_uri(reverse("password_reset_confirm", args=[uid, token]))

        auth.password_reset_send(email=email, link_for=link_for)
        # The same answer whether or not the email has an account.
        return render(request, "portal/accounts/password_reset_sent.html", {"email": email})
    return render(
        request, "portal/accounts/password_reset.html", {"form": form}, status=400 if form.errors else 200
    )


@sensitive_post_parameters("password", "password_again")
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user_key = urlsafe_base64_decode(uidb64).decode()
        user = auth.password_reset_user(user_key=user_key, token=token)
    except (ValueError, UnicodeDecodeError, auth.InvalidToken):
        return render(request, "portal/accounts/password_reset_invalid.html", status=400)
    form = SetPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        auth.password_set(user=user, new_password=form.cleaned_data["password"])
        end_other_sessions(user.pk, None)
        # Guesses at the old password no longer matter: the owner may log in at once.
        login_counters_clear(email=user.email, address=client_address(request))
        messages.success(request, "Your password is changed. Please log in with it.")
        return redirect("login")
    return render(
        request, "portal/accounts/password_reset_confirm.html", {"form": form}, status=400 if form.errors else 200
    )


@sensitive_post_parameters("current_password", "password", "password_again")
@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = PasswordChangeForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            # Someone at an unlocked screen must not be able to guess the password here either.
            ticket = throttle_attempt(scope="password-change", identifiers=[f"account:{user.pk}"])
            updated = auth.password_change(
                user=user,
                old_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["password"],
            )
        except Throttled:
            form.add_error(None, "Too many wrong passwords. Please wait a few minutes and try again.")
            status = 429
        except auth.WrongPassword as exc:
            form.add_error("current_password", str(exc))
        else:
            throttle_release(ticket)
            update_session_auth_hash(request, updated)
            # The password change bumped the account version: this session keeps
            # going with the new one, every other one ends at its next check.
            remember_account(request.session, updated)
            ended = end_other_sessions(updated.pk, request.session.session_key)
            logger.info("password change ended %d other session(s) of %s", ended, updated.pk)
            messages.success(request, "Your password is changed. Other devices have been logged out.")
            return HttpResponseRedirect(auth.HOME_FOR_KIND[updated.kind])
    if form.errors and status == 200:
        status = 400
    return render(request, "portal/accounts/password_change.html", {"form": form}, status=status)
