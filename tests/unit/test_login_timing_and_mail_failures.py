"""An unknown email costs a login as much as a known one; a failing mail server is never a 500."""

from __future__ import annotations

import smtplib
from unittest import mock

from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.clients import ClientRepository
from tests.accounts import PASSWORD, make_account


def test_it_hashes_once_for_an_email_without_an_account(dynamo, client: HttpClient):
    with mock.patch("portal.services.auth.make_password", wraps=lambda p: "x") as hashing:
        response = client.post("/accounts/login/", {"email": "nobody@example.com", "password": "guess"})
    assert response.status_code == 400
    assert hashing.call_count == 1


def test_it_checks_one_hash_for_an_existing_account(dynamo, client):
    user = make_account(AccountKind.CLIENT)
    with (
        mock.patch("portal.accounts.backends.check_password", return_value=False) as checking,
        mock.patch("portal.services.auth.make_password") as spare_hashing,
    ):
        client.post("/accounts/login/", {"email": user.email, "password": "wrong"})
    assert checking.call_count == 1 and spare_hashing.call_count == 0


def _failing_mail(*args: object, **kwargs: object) -> None:
    raise smtplib.SMTPConnectError(421, "mail server down")


def test_it_still_signs_up_and_says_the_email_failed(dynamo, client):
    with mock.patch("portal.services.auth.send_mail", side_effect=_failing_mail):
        response = client.post(
            "/accounts/signup/client/",
            {
                "name": "Robin",
                "email": "robin@example.com",
                "password": PASSWORD,
                "password_again": PASSWORD,
                "time_zone": "UTC",
            },
            follow=True,
        )
    assert response.status_code == 200
    assert "couldn&#39;t send the confirmation email" in response.content.decode()
    assert ClientRepository().find_by_email("robin@example.com") is not None


def test_it_answers_a_reset_the_same_when_the_mail_server_fails(dynamo):
    user = make_account(AccountKind.CLIENT)
    with mock.patch("portal.services.auth.send_mail", side_effect=_failing_mail):
        known = HttpClient().post("/accounts/password/reset/", {"email": user.email})
    unknown = HttpClient().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert "Check your email" in known.content.decode()


def test_it_throttles_guessing_the_current_password(dynamo, client):
    from tests.accounts import log_in

    user = make_account(AccountKind.CLIENT)
    log_in(client, user)
    new = {"password": "a brand new calm sentence", "password_again": "a brand new calm sentence"}
    for _ in range(10):
        assert client.post("/accounts/password/change/", {"current_password": "guess", **new}).status_code == 400
    response = client.post("/accounts/password/change/", {"current_password": PASSWORD, **new})
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.content.decode()
