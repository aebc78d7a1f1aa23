"""A person's own security: their sessions, ending the others, recovery codes, two-factor off."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from unittest import mock

import pyotp
import time_machine
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.account_store import AccountStore
from portal.services.staff_admin import account_deactivate
from portal.timeutil import utcnow
from tests.accounts import PASSWORD, make_account

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _browser(user, agent: str) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient(HTTP_USER_AGENT=agent)
    response = http.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return http


def test_it_lists_the_persons_sessions_with_a_device_label(dynamo):
    user = make_account(AccountKind.CLIENT)
    laptop = _browser(user, FIREFOX)
    _browser(user, SAFARI)
    body = laptop.get("/accounts/security/").content.decode()
    assert "Firefox on Windows (this device)" in body.replace("<strong>", "").replace("</strong>", "")
    assert "Safari on iPhone" in body
    assert FIREFOX not in body  # never the full user agent


def test_it_ends_the_other_sessions_and_keeps_this_one(dynamo):
    user = make_account(AccountKind.CLIENT)
    laptop = _browser(user, FIREFOX)
    phone = _browser(user, SAFARI)
    someone_else = _browser(make_account(AccountKind.CLIENT), FIREFOX)
    response = laptop.post("/accounts/security/sessions/end-others/", follow=True)
    assert "Logged out 1 other device." in response.content.decode()
    assert laptop.get("/client/").status_code == 200
    assert phone.get("/client/").status_code == 302
    assert someone_else.get("/client/").status_code == 200
    assert "Safari on iPhone" not in laptop.get("/accounts/security/").content.decode()


def test_it_sends_an_anonymous_visitor_to_log_in(dynamo, client):
    assert client.get("/accounts/security/").status_code == 302
    assert client.post("/accounts/security/sessions/end-others/").status_code == 302
    assert client.post("/accounts/security/recovery-codes/", {"password": PASSWORD}).status_code == 302
    assert client.post("/accounts/security/two-factor/off/", {"password": PASSWORD, "code": "1"}).status_code == 302


def _mfa_client():  # type: ignore[no-untyped-def]
    user = make_account(AccountKind.CLIENT, mfa_secret=pyotp.random_base32())
    http = HttpClient()
    http.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    code = pyotp.TOTP(user.test_mfa_secret).now()
    assert http.post("/accounts/login/code/", {"code": code}).status_code == 302
    return user, http


def test_it_regenerates_recovery_codes_with_the_password(dynamo):
    user, http = _mfa_client()
    wrong = http.post("/accounts/security/recovery-codes/", {"password": "not it"})
    assert wrong.status_code == 400 and "password was not right" in wrong.content.decode()
    assert AccountStore().mfa_state(user.kind, user.account_id).recovery_hashes == frozenset()
    response = http.post("/accounts/security/recovery-codes/", {"password": PASSWORD})
    assert response.status_code == 200
    listed = re.search(r'<ul class="recovery-codes" id="recovery-codes">(.*?)</ul>', response.content.decode())
    assert listed is not None
    codes = re.findall(r"<li>([^<]+)</li>", listed.group(1))
    assert len(codes) == 8
    assert len(AccountStore().mfa_state(user.kind, user.account_id).recovery_hashes) == 8
    # A new code works at the next login.
    fresh = HttpClient()
    fresh.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert fresh.post("/accounts/login/code/", {"code": codes[0]}).status_code == 302


def test_it_turns_two_factor_off_for_a_client_with_password_and_code(dynamo):
    user, http = _mfa_client()
    secret = user.test_mfa_secret
    no_code = http.post("/accounts/security/two-factor/off/", {"password": PASSWORD, "code": "000000"})
    assert no_code.status_code == 400
    wrong_password = http.post(
        "/accounts/security/two-factor/off/", {"password": "nope", "code": pyotp.TOTP(secret).now()}
    )
    assert wrong_password.status_code == 400
    assert AccountStore().mfa_state(user.kind, user.account_id).secret == secret
    # The login used this step's code; the next step's is a fresh one (one step of drift is accepted).
    code = pyotp.TOTP(secret).at(time.time() + 30)
    response = http.post("/accounts/security/two-factor/off/", {"password": PASSWORD, "code": code})
    assert response.status_code == 302
    assert AccountStore().mfa_state(user.kind, user.account_id).secret is None


def test_it_refuses_to_turn_two_factor_off_for_a_therapist(dynamo):
    therapist = make_account(AccountKind.THERAPIST)
    http = HttpClient()
    http.post("/accounts/login/", {"email": therapist.email, "password": PASSWORD})
    http.post("/accounts/login/code/", {"code": pyotp.TOTP(therapist.test_mfa_secret).now()})
    assert "Turn two-factor off" not in http.get("/accounts/security/").content.decode()
    response = http.post(
        "/accounts/security/two-factor/off/",
        {"password": PASSWORD, "code": pyotp.TOTP(therapist.test_mfa_secret).now()},
    )
    assert response.status_code == 403
    assert AccountStore().mfa_state(therapist.kind, therapist.account_id).secret is not None


def test_open_sessions_see_deactivation_within_the_bound_even_when_the_index_lags(dynamo):
    """The README's bound: a stale session dies at once for writes, within a minute for reads."""
    user = make_account(AccountKind.CLIENT)
    writer = _browser(user, FIREFOX)
    reader = _browser(user, SAFARI)
    assert writer.get("/client/").status_code == 200 and reader.get("/client/").status_code == 200
    # The account index has not caught up: no session is found to delete, so
    # only the account item itself can end them.
    with mock.patch("portal.services.staff_admin.end_other_sessions", return_value=0):
        account_deactivate(
            staff=make_account(AccountKind.STAFF), kind="client", account_id=user.account_id, reason="Fraud report"
        )
    # A write is refused at once.
    response = writer.post("/accounts/security/sessions/end-others/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # A read, a minute later at the latest.
    with time_machine.travel(utcnow() + timedelta(seconds=61), tick=False):
        response = reader.get("/client/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
