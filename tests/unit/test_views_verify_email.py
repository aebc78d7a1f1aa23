"""Email verification by signed link, and what an unverified account sees."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.clients import ClientRepository
from portal.services.auth import email_verification_token
from tests.accounts import log_in, make_account


def test_it_verifies_the_email_from_the_link(dynamo, client: HttpClient):
    user = make_account(AccountKind.CLIENT, verified=False)
    response = client.get(f"/accounts/verify/{email_verification_token(user)}/")
    assert response.status_code == 302
    assert ClientRepository().get(user.account_id).email_verified is True


def test_it_refuses_a_tampered_link(dynamo, client):
    user = make_account(AccountKind.CLIENT, verified=False)
    token = email_verification_token(user)
    response = client.get(f"/accounts/verify/{token[:-2]}xx/")
    assert response.status_code == 400
    assert ClientRepository().get(user.account_id).email_verified is False


def test_it_shows_the_banner_until_verified(dynamo, client):
    user = make_account(AccountKind.CLIENT, verified=False)
    log_in(client, user)
    assert "Please confirm your email address" in client.get("/client/").content.decode()
    client.get(f"/accounts/verify/{email_verification_token(user)}/")
    assert "Please confirm your email address" not in client.get("/client/").content.decode()


def test_it_sends_the_link_again_on_request(dynamo, client):
    user = make_account(AccountKind.CLIENT, verified=False)
    log_in(client, user)
    response = client.post("/accounts/verify/resend/")
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/verify/[^/\s]+/)", mail.outbox[0].body).group(1)
    HttpClient().get(link)
    assert ClientRepository().get(user.account_id).email_verified is True


def test_it_refuses_resending_to_anonymous_visitors(dynamo, client):
    response = client.post("/accounts/verify/resend/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert mail.outbox == []
