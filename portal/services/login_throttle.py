"""Login throttling that guards against guessing without letting a stranger lock the owner out.

OWASP's device-cookie pattern: a browser that logged in to an account before
carries a signed cookie naming that account, and its attempts count against
that cookie alone. Every other attempt counts against the pair (account,
address), the address across all accounts, and the account across all
addresses (slow guessing from many addresses); each has its own limit. So:

* a stranger's wrong passwords lock their own address out of the account,
  never the owner's browser, which has its own allowance;
* guessing from many addresses still hits the account's limit for browsers
  that never logged in (and a completed password reset clears it);
* a refused attempt checks no password and is given back, so trying during a
  lockout does not extend it: it ends as the failures age out of the window.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

from portal.domain import normalize_email
from portal.services.throttle import ThrottleTicket, throttle_attempt, throttle_clear, throttle_release

DEVICE_COOKIE = "portal_device"
DEVICE_COOKIE_MAX_AGE = int(timedelta(days=365).total_seconds())
_DEVICE_SALT = "portal.accounts.device-cookie"

# Failed attempts per 15 minutes (sliding window).
PER_DEVICE = 10
PER_ACCOUNT_AND_ADDRESS = 10
PER_ADDRESS = 30
PER_ACCOUNT_UNTRUSTED = 30

_SCOPE_DEVICE = "login-device"
_SCOPE_PAIR = "login-pair"
_SCOPE_ADDRESS = "login-address"
_SCOPE_ACCOUNT = "login-account"


def device_cookie_value(email: str) -> str:
    """A new device cookie for the account that just logged in (its own nonce, its own allowance)."""
    return signing.dumps({"e": normalize_email(email), "n": secrets.token_urlsafe(16)}, salt=_DEVICE_SALT)


def trusted_device(cookie: str | None, email: str) -> str | None:
    """The cookie's nonce when it is ours, unexpired and names this email; None otherwise."""
    if not cookie or len(cookie) > 500:
        return None
    try:
        data = signing.loads(cookie, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("e") != normalize_email(email):
        return None
    nonce = data.get("n")
    return nonce if isinstance(nonce, str) and nonce else None


@dataclass(frozen=True)
class LoginAttempt:
    tickets: tuple[ThrottleTicket, ...]
    trusted: bool


def login_attempt(*, email: str, address: str, device: str | None) -> LoginAttempt:
    """Count one login attempt; raises ``Throttled`` (and counts nothing) when over a limit."""
    email = normalize_email(email)
    if device:
        ticket = throttle_attempt(
            scope=_SCOPE_DEVICE, identifiers=[device], limit=PER_DEVICE, refund_refused=True
        )
        return LoginAttempt((ticket,), trusted=True)
    tickets: list[ThrottleTicket] = []
    try:
        for scope, identifier, limit in (
            (_SCOPE_PAIR, f"{email}|{address}", PER_ACCOUNT_AND_ADDRESS),
            (_SCOPE_ADDRESS, address, PER_ADDRESS),
            (_SCOPE_ACCOUNT, email, PER_ACCOUNT_UNTRUSTED),
        ):
            tickets.append(
                throttle_attempt(scope=scope, identifiers=[identifier], limit=limit, refund_refused=True)
            )
    except Exception:
        # Refused (or the database failed) part-way: give back what this attempt counted.
        for ticket in tickets:
            throttle_release(ticket)
        raise
    return LoginAttempt(tuple(tickets), trusted=False)


def login_succeeded(attempt: LoginAttempt) -> None:
    """A right password is not a failure: give the attempt back everywhere it counted."""
    for ticket in attempt.tickets:
        throttle_release(ticket)


def login_counters_clear(*, email: str, address: str) -> None:
    """After a completed password reset: the account's own counters start again.

    The account-wide counter and this address's pair; a stranger's own pair
    stays as it is.
    """
    email = normalize_email(email)
    throttle_clear(scope=_SCOPE_ACCOUNT, identifiers=[email])
    throttle_clear(scope=_SCOPE_PAIR, identifiers=[f"{email}|{address}"])
