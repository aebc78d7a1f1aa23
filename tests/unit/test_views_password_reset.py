"""Password reset by emailed link."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import mail
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.web_sessions import WebSessionRepository
from tests.accounts import make_account

NEW = "a fresh morning by the sea"


def _reset_link() -> str:
    match = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_it_emails_a_link_to_an_existing_account(dynamo, client: HttpClient):
    user = make_account(AccountKind.CLIENT)
    response = client.post("/accounts/password/reset/", {"email": user.email.upper()})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]


def test_it_answers_the_same_for_an_unknown_email(dynamo, client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


def test_it_sets_the_new_password_and_the_link_dies_after_use(dynamo, client):
    user = make_account(AccountKind.CLIENT)
    client.post("/accounts/password/reset/", {"email": user.email})
    link = _reset_link()
    assert client.get(link).status_code == 200
    response = client.post(link, {"password": NEW, "password_again": NEW})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    login = HttpClient().post("/accounts/login/", {"email": user.email, "password": NEW})
    assert login["Location"] == "/client/"
    # The same link again: refused, and the password stays.
    again = client.post(link, {"password": "another new sentence here", "password_again": "another new sentence here"})
    assert again.status_code == 400
    assert "doesn't work" in again.content.decode()


def test_it_refuses_a_tampered_token(dynamo, client):
    user = make_account(AccountKind.CLIENT)
    client.post("/accounts/password/reset/", {"email": user.email})
    link = _reset_link()
    tampered = link[:-3] + ("a" if link[-3] != "a" else "b") + link[-2:]
    assert client.get(tampered).status_code == 400


def test_it_logs_out_every_session_after_a_reset(dynamo):
    user = make_account(AccountKind.CLIENT)
    browser = HttpClient()
    browser.post("/accounts/login/", {"email": user.email, "password": user.test_password})
    assert browser.get("/client/").status_code == 200
    browser_key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    sessions = WebSessionRepository()
    assert sessions.get(browser_key) is not None
    other = HttpClient()
    other.post("/accounts/password/reset/", {"email": user.email})
    response = other.post(_reset_link(), {"password": NEW, "password_again": NEW})
    assert response.status_code == 302
    # The stored session is gone before the browser comes back: not merely
    # refused later by Django's session-hash check.
    assert sessions.get(browser_key) is None
    assert browser.get("/client/").status_code == 302


def test_it_throttles_reset_requests(dynamo):
    for _ in range(10):
        HttpClient(REMOTE_ADDR="192.0.2.9").post("/accounts/password/reset/", {"email": "a@example.com"})
    response = HttpClient(REMOTE_ADDR="192.0.2.9").post("/accounts/password/reset/", {"email": "b@example.com"})
    assert response.status_code == 429
    assert "Too many reset requests" in response.content.decode()
