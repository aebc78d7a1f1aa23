"""Sign-up of clients and therapists."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from portal.domain import AccountKind
from portal.dynamo.clients import ClientRepository
from portal.dynamo.therapists import TherapistRepository
from tests.accounts import make_account

GOOD = {
    "name": "Robin Ash",
    "email": "  Robin.Ash@Example.COM ",
    "password": "a quiet harbour at dawn",
    "password_again": "a quiet harbour at dawn",
    "time_zone": "Europe/Paris",
}


def test_it_shows_the_client_form(dynamo, client: HttpClient):
    response = client.get("/accounts/signup/client/")
    assert response.status_code == 200
    assert 'name="time_zone"' in response.content.decode()


def test_it_creates_a_client_logs_them_in_and_sends_a_confirmation(dynamo, client: HttpClient):
    response = client.post("/accounts/signup/client/", GOOD)
    assert response.status_code == 302
    assert response["Location"] == "/client/"
    stored = ClientRepository().find_by_email("robin.ash@example.com")
    assert stored is not None
    assert stored.name == "Robin Ash"
    assert stored.time_zone == "Europe/Paris"
    assert stored.email_verified is False
    assert stored.password_hash != GOOD["password"]
    assert client.get("/client/").status_code == 200
    assert len(mail.outbox) == 1
    assert re.search(r"/accounts/verify/[^/\s]+/", mail.outbox[0].body)


def test_it_refuses_an_email_that_has_an_account_and_keeps_what_was_typed(dynamo, client):
    make_account(AccountKind.THERAPIST, email="robin.ash@example.com")
    response = client.post("/accounts/signup/client/", GOOD)
    assert response.status_code == 400
    body = response.content.decode()
    assert "already exists" in body
    assert 'value="Robin Ash"' in body
    assert "Robin.Ash@Example.COM" in body  # as typed
    assert ClientRepository().find_by_email("robin.ash@example.com") is None


def test_it_applies_the_password_validators(dynamo, client):
    response = client.post(
        "/accounts/signup/client/", {**GOOD, "password": "short", "password_again": "short"}
    )
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert 'value="Robin Ash"' in response.content.decode()


def test_it_refuses_two_different_passwords(dynamo, client):
    response = client.post("/accounts/signup/client/", {**GOOD, "password_again": "something else entirely"})
    assert response.status_code == 400
    assert "The two passwords differ" in response.content.decode()


def test_it_creates_a_therapist_and_asks_for_two_factor_first(dynamo, client):
    response = client.post(
        "/accounts/signup/therapist/", {**GOOD, "specialization": "trauma", "email": "dr@example.com"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/setup/"
    stored = TherapistRepository().find_by_email("dr@example.com")
    assert stored is not None and stored.specialization == "trauma"


def test_it_refuses_a_specialization_outside_the_list(dynamo, client):
    response = client.post("/accounts/signup/therapist/", {**GOOD, "specialization": "astrology"})
    assert response.status_code == 400
    assert TherapistRepository().find_by_email("robin.ash@example.com") is None


def test_it_enforces_csrf(dynamo):
    strict = HttpClient(enforce_csrf_checks=True)
    response = strict.post("/accounts/signup/client/", GOOD)
    assert response.status_code == 403
    assert ClientRepository().find_by_email("robin.ash@example.com") is None


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(max_size=60) | st.just("<script>alert(1)</script>"),
    email=st.text(max_size=60) | st.just('"><img src=x onerror=alert(1)>@x.com'),
    zone=st.text(max_size=20) | st.just("Europe/Paris"),
)
def test_it_never_errors_and_escapes_whatever_is_typed(dynamo, name: str, email: str, zone: str):
    http = HttpClient()
    response = http.post(
        "/accounts/signup/client/",
        {"name": name, "email": email, "password": "x", "password_again": "y", "time_zone": zone},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "<img src=x" not in body
