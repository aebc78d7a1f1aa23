"""Login, logout, sessions and throttling."""

from __future__ import annotations

import pyotp
from django.conf import settings
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.web_sessions import WebSessionRepository
from tests.accounts import PASSWORD, make_account


def _login(http: HttpClient, email: str, password: str = PASSWORD, **extra: str):
    return http.post("/accounts/login/", {"email": email, "password": password}, **extra)


def test_it_lands_a_client_on_their_home(dynamo, client: HttpClient):
    user = make_account(AccountKind.CLIENT)
    response = _login(client, f"  {user.email.upper()} ")
    assert response.status_code == 302
    assert response["Location"] == "/client/"
    assert client.get("/client/").status_code == 200


def test_it_asks_therapists_for_their_code_then_lands_them_home(dynamo, client):
    user = make_account(AccountKind.THERAPIST)
    response = _login(client, user.email)
    assert response["Location"] == "/accounts/login/code/"
    # Not logged in until the second factor is given.
    assert client.get("/therapist/").status_code == 302
    code = pyotp.TOTP(user.test_mfa_secret).now()
    response = client.post("/accounts/login/code/", {"code": code})
    assert response.status_code == 302
    assert response["Location"] == "/therapist/"
    assert client.get("/therapist/").status_code == 200


def test_it_lands_staff_on_the_staff_home(dynamo, client):
    user = make_account(AccountKind.STAFF)
    _login(client, user.email)
    response = client.post("/accounts/login/code/", {"code": pyotp.TOTP(user.test_mfa_secret).now()})
    assert response["Location"] == "/staff/"


def test_it_refuses_a_wrong_password_and_keeps_the_email(dynamo, client):
    user = make_account(AccountKind.CLIENT)
    response = _login(client, user.email, "not the password")
    assert response.status_code == 400
    body = response.content.decode()
    assert "do not match an account" in body
    assert user.email in body
    assert client.get("/client/").status_code == 302


def test_it_gives_the_same_answer_for_an_unknown_email(dynamo, client):
    response = _login(client, "nobody@example.com")
    assert response.status_code == 400
    assert "do not match an account" in response.content.decode()


def test_it_rotates_the_session_key_at_login(dynamo, client):
    user = make_account(AccountKind.CLIENT)
    client.get("/accounts/login/")
    session = client.session
    session["before_login"] = "x"
    session.save()
    before = session.session_key
    _login(client, user.email)
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before


def test_it_deletes_the_session_at_logout_so_a_replayed_cookie_is_anonymous(dynamo, client):
    user = make_account(AccountKind.CLIENT)
    _login(client, user.email)
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    replay = HttpClient()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    response = replay.get("/client/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_only_logs_out_by_post(dynamo, client):
    user = make_account(AccountKind.CLIENT)
    _login(client, user.email)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/client/").status_code == 200


def test_it_throttles_guessing_from_many_addresses_for_browsers_that_never_logged_in(dynamo, monkeypatch):
    # A lower account-wide limit than production's keeps the test quick; the rule is the same.
    monkeypatch.setattr("portal.services.login_throttle.PER_ACCOUNT_UNTRUSTED", 12)
    user = make_account(AccountKind.CLIENT)
    for attempt in range(12):
        attacker = HttpClient(REMOTE_ADDR=f"198.51.100.{attempt}")
        assert _login(attacker, user.email, "wrong guess").status_code == 400
    # A new browser at a new address, even with the right password: refused for now.
    newcomer = HttpClient(REMOTE_ADDR="203.0.113.7")
    response = _login(newcomer, user.email)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert newcomer.get("/client/").status_code == 302


def test_it_throttles_one_address_trying_many_accounts(dynamo, monkeypatch):
    monkeypatch.setattr("portal.services.login_throttle.PER_ADDRESS", 12)
    victims = [make_account(AccountKind.CLIENT) for _ in range(2)]
    for attempt in range(12):
        _login(HttpClient(REMOTE_ADDR="192.0.2.50"), f"guess{attempt}@example.com", "wrong")
    response = _login(HttpClient(REMOTE_ADDR="192.0.2.50"), victims[0].email)
    assert response.status_code == 429
    # The account itself is fine from elsewhere.
    assert _login(HttpClient(REMOTE_ADDR="192.0.2.51"), victims[1].email).status_code == 302


def test_it_keeps_nine_failures_below_the_limit(dynamo):
    user = make_account(AccountKind.CLIENT)
    for _ in range(9):
        _login(HttpClient(), user.email, "wrong")
    assert _login(HttpClient(), user.email).status_code == 302


def test_it_ends_other_sessions_when_the_password_changes(dynamo):
    user = make_account(AccountKind.CLIENT)
    phone, laptop = HttpClient(), HttpClient()
    _login(phone, user.email)
    _login(laptop, user.email)
    phone_key = phone.cookies[settings.SESSION_COOKIE_NAME].value
    sessions = WebSessionRepository()
    assert sessions.get(phone_key) is not None
    response = laptop.post(
        "/accounts/password/change/",
        {
            "current_password": PASSWORD,
            "password": "a brand new calm sentence",
            "password_again": "a brand new calm sentence",
        },
    )
    assert response.status_code == 302
    # Checked in the table before the phone makes another request: Django's
    # session-hash check would log it out anyway, but only end_other_sessions
    # removes the stored session (a stolen cookie is dead, not just stale).
    assert sessions.get(phone_key) is None
    laptop_key = laptop.cookies[settings.SESSION_COOKIE_NAME].value
    kept = sessions.get(laptop_key)
    assert kept is not None and kept.account_key == user.pk
    assert laptop.get("/client/").status_code == 200
    assert phone.get("/client/").status_code == 302
    assert _login(HttpClient(), user.email, "a brand new calm sentence").status_code == 302


def test_it_refuses_a_password_change_with_the_wrong_current_password(dynamo, client):
    user = make_account(AccountKind.CLIENT)
    _login(client, user.email)
    response = client.post(
        "/accounts/password/change/",
        {"current_password": "nope", "password": "a brand new calm sentence", "password_again": "a brand new calm sentence"},
    )
    assert response.status_code == 400
    assert "current password was not right" in response.content.decode()


def test_it_follows_a_safe_next_but_not_another_site(dynamo, client):
    user = make_account(AccountKind.CLIENT)
    response = client.post(
        "/accounts/login/?next=https://evil.example/", {"email": user.email, "password": PASSWORD}
    )
    assert response["Location"] == "/client/"
