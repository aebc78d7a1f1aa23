"""Every account page against anonymous visitors and the wrong kind of account."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind
from tests.accounts import logged_in

PAGES = {
    "/client/": AccountKind.CLIENT,
    "/therapist/": AccountKind.THERAPIST,
    "/staff/": AccountKind.STAFF,
}
ANY_ACCOUNT_PAGES = ["/accounts/password/change/", "/accounts/two-factor/setup/"]


@pytest.mark.parametrize("url", list(PAGES) + ANY_ACCOUNT_PAGES)
def test_it_sends_anonymous_visitors_to_login(dynamo, client: HttpClient, url: str):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={url}")


@pytest.mark.parametrize("url,owner", PAGES.items())
@pytest.mark.parametrize("visitor", list(AccountKind))
def test_it_refuses_the_wrong_kind_of_account(dynamo, client: HttpClient, url, owner, visitor):
    logged_in(client, visitor)
    response = client.get(url)
    if visitor is owner:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "isn't part of your account" in response.content.decode()


@pytest.mark.parametrize("kind", [AccountKind.THERAPIST, AccountKind.STAFF])
def test_it_sends_therapists_and_staff_without_two_factor_to_set_it_up(dynamo, client, kind):
    logged_in(client, kind, mfa_secret="")
    response = client.get({AccountKind.THERAPIST: "/therapist/", AccountKind.STAFF: "/staff/"}[kind])
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/setup/"


def test_it_lets_a_client_without_two_factor_in(dynamo, client):
    logged_in(client, AccountKind.CLIENT)
    assert client.get("/client/").status_code == 200
