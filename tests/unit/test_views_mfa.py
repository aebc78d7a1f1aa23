"""Two-factor authentication: setup, login with a code, recovery codes."""

from __future__ import annotations

import re

import pyotp
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.account_store import AccountStore
from portal.views import mfa as mfa_views
from tests.accounts import PASSWORD, log_in, make_account


def _secret_from(page: str) -> str:
    match = re.search(r'data-testid="mfa-secret">([A-Z2-7 ]+)<', page)
    assert match
    return match.group(1).replace(" ", "")


def test_it_sets_up_two_factor_with_a_code_from_the_app(dynamo, client: HttpClient):
    user = make_account(AccountKind.THERAPIST, mfa_secret="")
    log_in(client, user)
    page = client.get("/accounts/two-factor/setup/").content.decode()
    assert 'src="data:image/svg+xml' in page
    secret = _secret_from(page)
    wrong = client.post("/accounts/two-factor/setup/", {"code": "000000"})
    assert wrong.status_code == 400
    assert AccountStore().mfa_state(user.kind, user.account_id).secret is None
    response = client.post("/accounts/two-factor/setup/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", response.content.decode())
    assert len(codes) == 8
    state = AccountStore().mfa_state(user.kind, user.account_id)
    assert state.secret == secret and len(state.recovery_hashes) == 8
    assert client.get("/therapist/").status_code == 200


def test_it_keeps_the_secret_the_same_across_page_loads(dynamo, client):
    log_in(client, make_account(AccountKind.CLIENT))
    first = _secret_from(client.get("/accounts/two-factor/setup/").content.decode())
    second = _secret_from(client.get("/accounts/two-factor/setup/").content.decode())
    assert first == second


def test_it_refuses_a_replayed_code(dynamo):
    user = make_account(AccountKind.THERAPIST)
    code = pyotp.TOTP(user.test_mfa_secret).now()
    first = HttpClient()
    first.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert first.post("/accounts/login/code/", {"code": code})["Location"] == "/therapist/"
    second = HttpClient()
    second.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    response = second.post("/accounts/login/code/", {"code": code})
    assert response.status_code == 400
    assert "already used" in response.content.decode()


def test_it_accepts_a_recovery_code_once(dynamo, client):
    user = make_account(AccountKind.CLIENT, mfa_secret="")
    log_in(client, user)
    secret = _secret_from(client.get("/accounts/two-factor/setup/").content.decode())
    page = client.post("/accounts/two-factor/setup/", {"code": pyotp.TOTP(secret).now()}).content.decode()
    recovery = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", page)[0]
    for expected in ("/client/", None):
        browser = HttpClient()
        browser.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
        response = browser.post("/accounts/login/code/", {"code": recovery.upper()})
        if expected:
            assert response["Location"] == expected
        else:
            assert response.status_code == 400


def test_it_needs_the_password_step_before_the_code_step(dynamo, client):
    response = client.get("/accounts/login/code/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_it_throttles_wrong_codes(dynamo):
    user = make_account(AccountKind.THERAPIST)
    browser = HttpClient()
    browser.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    for _ in range(10):
        browser.post("/accounts/login/code/", {"code": "123456"})
    response = browser.post("/accounts/login/code/", {"code": pyotp.TOTP(user.test_mfa_secret).now()})
    assert response.status_code == 429


def test_it_shows_a_clear_error_when_another_setup_finished_first(dynamo, client, monkeypatch):
    user = make_account(AccountKind.CLIENT, mfa_secret="")
    log_in(client, user)
    secret = _secret_from(client.get("/accounts/two-factor/setup/").content.decode())
    first = pyotp.random_base32()
    real_enable = mfa_views.mfa_enable

    def another_setup_wins_the_race(**kwargs):
        # Between this request loading the user and enabling, another tab finishes setup.
        AccountStore().enable_mfa(user.kind, user.account_id, secret=first, recovery_hashes={"h"}, last_step=0)
        return real_enable(**kwargs)

    monkeypatch.setattr(mfa_views, "mfa_enable", another_setup_wins_the_race)
    response = client.post("/accounts/two-factor/setup/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 400
    assert "already on for this account" in response.content.decode()
    assert AccountStore().mfa_state(user.kind, user.account_id).secret == first


def test_it_accepts_a_recovery_code_in_its_own_field_and_asks_for_one_of_the_two(dynamo, client):
    user = make_account(AccountKind.CLIENT, mfa_secret="")
    log_in(client, user)
    secret = _secret_from(client.get("/accounts/two-factor/setup/").content.decode())
    page = client.post("/accounts/two-factor/setup/", {"code": pyotp.TOTP(secret).now()}).content.decode()
    recovery = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", page)[0]
    browser = HttpClient()
    browser.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    form = browser.get("/accounts/login/code/").content.decode()
    assert re.search(r'<input type="text" name="code"[^>]*inputmode="numeric"', form)
    assert 'autocomplete="one-time-code"' in form and 'name="recovery_code"' in form
    empty = browser.post("/accounts/login/code/", {"code": "", "recovery_code": ""})
    assert "Type the code from your app, or a recovery code." in empty.content.decode()
    # The recovery code's field stays folded away until one is typed; then it shows, and the error is said at the code.
    assert '<details class="when-field">' in form
    wrong = browser.post("/accounts/login/code/", {"code": "", "recovery_code": "aaaaa-aaaaa"})
    assert wrong.status_code == 400
    assert '<details class="when-field" open>' in wrong.content.decode()
    assert '<ul class="errorlist" id="id_code_error">' in wrong.content.decode()
    response = browser.post("/accounts/login/code/", {"code": "", "recovery_code": recovery})
    assert response["Location"] == "/client/"


def test_it_sets_up_with_a_numeric_code_field_and_no_word_of_recovery_codes_yet(dynamo, client):
    user = make_account(AccountKind.CLIENT, mfa_secret="")
    log_in(client, user)
    page = client.get("/accounts/two-factor/setup/").content.decode()
    assert re.search(r'href="otpauth://totp/[^"]+secret=', page)
    assert re.search(r'data-testid="mfa-secret">([A-Z2-7]{4} )+[A-Z2-7]{1,4}<', page)
    assert re.search(r'<input type="text" name="code"[^>]*autocomplete="one-time-code"[^>]*inputmode="numeric"', page)
    assert "recovery" not in page.lower()
