"""Decisions about an account read it consistently: proven with reads that are one write behind.

The ``stale_reads`` fixture answers every eventually consistent read with the
item as it was before its latest write (and a GSI with nothing right after a
sign-up), which AWS DynamoDB may do and the local engines never do.
"""

from __future__ import annotations

import re

import pyotp
from django.core import mail
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.account_store import AccountStore
from portal.dynamo.throttle import ThrottleRepository
from portal.services.throttle import DEFAULT_WINDOW, _digest, _key, _window_at
from portal.timeutil import utcnow
from tests.accounts import PASSWORD, log_in, make_account

NEW = "a fresh morning by the sea"
SIGN_UP = {
    "email": "robin@example.com",
    "name": "Robin Ash",
    "password": PASSWORD,
    "password_again": PASSWORD,
    "time_zone": "Europe/Paris",
}


def _login_attempts(email: str) -> int:
    key = _key("login", _digest(f"email:{email}"), _window_at(utcnow(), DEFAULT_WINDOW).index)
    return ThrottleRepository().counts([key])[key]


def test_it_logs_in_right_after_sign_up_while_the_email_index_is_empty(stale_reads):
    assert HttpClient().post("/accounts/signup/client/", SIGN_UP).status_code == 302
    browser = HttpClient()
    response = browser.post("/accounts/login/", {"email": SIGN_UP["email"], "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/client/"
    assert stale_reads.stale_answers > 0  # the index really answered with nothing
    # A successful login gives its throttle attempt back.
    assert _login_attempts(SIGN_UP["email"]) == 0


def test_it_keeps_the_person_logged_in_after_they_change_their_password(stale_reads):
    user = make_account(AccountKind.CLIENT)
    browser = HttpClient()
    log_in(browser, user)
    response = browser.post(
        "/accounts/password/change/",
        {"current_password": PASSWORD, "password": NEW, "password_again": NEW},
    )
    assert response.status_code == 302
    # The session's password hash is checked against the account read consistently.
    assert browser.get("/client/").status_code == 200


def test_it_does_not_offer_a_new_secret_once_two_factor_is_on(stale_reads):
    user = make_account(AccountKind.THERAPIST, mfa_secret="")
    browser = HttpClient()
    log_in(browser, user)
    page = browser.get("/accounts/two-factor/setup/").content.decode()
    secret = re.search(r'data-testid="mfa-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")  # type: ignore[union-attr]
    shown = browser.post("/accounts/two-factor/setup/", {"code": pyotp.TOTP(secret).now()})
    assert "recovery" in shown.content.decode().lower()
    again = browser.get("/accounts/two-factor/setup/")
    assert again.status_code == 302
    assert AccountStore().mfa_state(user.kind, user.account_id).secret == secret


def test_it_refuses_a_reset_link_that_was_already_used(stale_reads):
    user = make_account(AccountKind.CLIENT)
    browser = HttpClient()
    browser.post("/accounts/password/reset/", {"email": user.email})
    link = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", mail.outbox[-1].body).group(1)  # type: ignore[union-attr]
    assert browser.post(link, {"password": NEW, "password_again": NEW}).status_code == 302
    assert browser.get(link).status_code == 400


def test_it_checks_the_password_stored_now_not_the_indexed_copy(stale_reads):
    user = make_account(AccountKind.CLIENT)
    browser = HttpClient()
    log_in(browser, user)
    browser.post(
        "/accounts/password/change/",
        {"current_password": PASSWORD, "password": NEW, "password_again": NEW},
    )
    old = HttpClient().post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert old.status_code == 400
    new = HttpClient().post("/accounts/login/", {"email": user.email, "password": NEW})
    assert new.status_code == 302 and new["Location"] == "/client/"
