"""A stranger cannot keep someone out of their account (OWASP's device cookies)."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

from django.core import mail
from django.test import Client as HttpClient

from portal.domain import MAX_PASSWORD_LENGTH, AccountKind
from portal.services.login_throttle import DEVICE_COOKIE, device_cookie_value
from portal.timeutil import utcnow
from tests.accounts import PASSWORD, make_account

STRANGER = "198.51.100.66"
OWNER = "203.0.113.7"
NEW = "a fresh morning by the sea"


def _login(http: HttpClient, email: str, password: str = PASSWORD):
    return http.post("/accounts/login/", {"email": email, "password": password})


def _owner_browser(email: str) -> HttpClient:
    """A browser that logged in to the account before (and then logged out)."""
    browser = HttpClient(REMOTE_ADDR=OWNER)
    assert _login(browser, email).status_code == 302
    assert DEVICE_COOKIE in browser.cookies
    browser.post("/accounts/logout/")
    return browser


def test_it_lets_the_owners_browser_in_while_a_strangers_address_is_locked_out(dynamo):
    user = make_account(AccountKind.CLIENT)
    owner = _owner_browser(user.email)
    stranger = HttpClient(REMOTE_ADDR=STRANGER)
    for _ in range(10):
        assert _login(stranger, user.email, "wrong guess").status_code == 400
    # The stranger's address is now refused, even with the right password...
    assert _login(stranger, user.email).status_code == 429
    # ...while the owner's browser has its own allowance and gets in.
    assert _login(owner, user.email).status_code == 302
    assert owner.get("/client/").status_code == 200


def test_it_lets_the_owner_in_from_a_new_browser_at_another_address(dynamo):
    user = make_account(AccountKind.CLIENT)
    stranger = HttpClient(REMOTE_ADDR=STRANGER)
    for _ in range(12):
        _login(stranger, user.email, "wrong guess")
    assert _login(HttpClient(REMOTE_ADDR=OWNER), user.email).status_code == 302


def test_it_keeps_a_device_cookie_to_its_own_account_and_refuses_a_forged_one(dynamo):
    user = make_account(AccountKind.CLIENT)
    other = make_account(AccountKind.CLIENT)
    stranger = HttpClient(REMOTE_ADDR=STRANGER)
    for _ in range(10):
        _login(stranger, user.email, "wrong guess")
    # A cookie for another account (the stranger's own) buys nothing here.
    stranger.cookies[DEVICE_COOKIE] = device_cookie_value(other.email)
    assert _login(stranger, user.email).status_code == 429
    stranger.cookies[DEVICE_COOKIE] = "forged"
    assert _login(stranger, user.email).status_code == 429


def test_it_limits_guessing_through_a_device_cookie_too(dynamo):
    user = make_account(AccountKind.CLIENT)
    owner = _owner_browser(user.email)
    for _ in range(10):
        assert _login(owner, user.email, "wrong").status_code == 400
    assert _login(owner, user.email).status_code == 429


def test_it_does_not_extend_a_lockout_for_attempts_it_refused(dynamo):
    user = make_account(AccountKind.CLIENT)
    stranger = HttpClient(REMOTE_ADDR=STRANGER)
    now = utcnow()
    # The start of a 15-minute throttle window.
    start = now - timedelta(seconds=now.timestamp() % 900)

    def at(minutes: float):  # type: ignore[no-untyped-def]
        return mock.patch("portal.services.throttle.utcnow", return_value=start + timedelta(minutes=minutes))

    with at(0):
        for _ in range(10):
            _login(stranger, user.email, "wrong guess")
    # Someone keeps hammering for the rest of the window: every try is refused.
    for minute in range(1, 15):
        with at(minute):
            assert _login(stranger, user.email, "wrong again").status_code == 429
    # Three minutes into the next window the ten failures weigh 8: the lockout
    # is over. (Had the 14 refusals counted, it would last six more minutes.)
    with at(18):
        assert _login(stranger, user.email).status_code == 302


def test_it_clears_the_accounts_counters_when_a_reset_completes(dynamo, monkeypatch):
    monkeypatch.setattr("portal.services.login_throttle.PER_ACCOUNT_UNTRUSTED", 12)
    user = make_account(AccountKind.CLIENT)
    for attempt in range(12):
        _login(HttpClient(REMOTE_ADDR=f"198.51.100.{attempt}"), user.email, "wrong guess")
    owner = HttpClient(REMOTE_ADDR=OWNER)
    assert _login(owner, user.email).status_code == 429
    owner.post("/accounts/password/reset/", {"email": user.email})
    link = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", mail.outbox[-1].body)
    assert link
    owner.get(link.group(1))
    response = owner.post(link.group(1), {"password": NEW, "password_again": NEW})
    assert response.status_code == 302
    assert _login(owner, user.email, NEW).status_code == 302


def test_it_refuses_an_overlong_password_before_hashing(dynamo, client):
    user = make_account(AccountKind.CLIENT)
    with mock.patch("portal.accounts.backends.check_password") as check, mock.patch(
        "django.contrib.auth.hashers.make_password"
    ) as hashing:
        response = _login(client, user.email, "x" * (MAX_PASSWORD_LENGTH + 1))
    assert response.status_code == 400
    assert not check.called and not hashing.called
    signup = client.post(
        "/accounts/signup/client/",
        {
            "name": "Long",
            "email": "long@example.com",
            "password": "y" * (MAX_PASSWORD_LENGTH + 1),
            "password_again": "y" * (MAX_PASSWORD_LENGTH + 1),
            "time_zone": "UTC",
        },
    )
    assert signup.status_code == 400
    assert "at most 1024 characters" in signup.content.decode()
