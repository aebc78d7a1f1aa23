"""The staff home and the createstaff command."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.staff import StaffRepository
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.page_links import next_cursor


def test_it_lists_clients_a_page_at_a_time(dynamo, client: HttpClient):
    for number in range(30):
        make_account(AccountKind.CLIENT, name=f"Client {number:02d}")
    log_in(client, make_account(AccountKind.STAFF))
    first = client.get("/staff/?kind=client")
    assert first.status_code == 200
    body = first.content.decode()
    assert body.count('">Client ') == 25
    more = next_cursor(body)
    second = client.get("/staff/", {"kind": "client", "cursor": more}, HTTP_HX_REQUEST="true")
    assert second.content.decode().count('">Client ') == 5
    assert "<html" not in second.content.decode()  # the htmx partial only


def test_it_finds_an_account_by_email(dynamo, client):
    target = make_account(AccountKind.THERAPIST, name="Dr Findable")
    make_account(AccountKind.CLIENT, name="Someone Else")
    log_in(client, make_account(AccountKind.STAFF))
    response = client.get("/staff/", {"q": target.email.upper()})
    body = response.content.decode()
    assert "Dr Findable" in body and "Someone Else" not in body


def test_it_never_shows_journal_text_to_staff(dynamo, client):
    patient = make_account(AccountKind.CLIENT, name="Private Person")
    journal_entry_create(
        client_id=patient.account_id, time_of_emotion=utcnow(), feeling="sad", intensity=8, note="SECRET-NOTE-TEXT"
    )
    log_in(client, make_account(AccountKind.STAFF))
    body = client.get("/staff/?kind=client").content.decode()
    assert "Private Person" in body
    assert "SECRET-NOTE-TEXT" not in body


def test_it_refuses_a_tampered_cursor(dynamo, client):
    log_in(client, make_account(AccountKind.STAFF))
    response = client.get("/staff/", {"kind": "client", "cursor": "not-a-real-cursor"})
    assert response.status_code == 400


def test_it_creates_a_staff_account_asking_for_the_password(dynamo):
    with mock.patch("getpass.getpass", side_effect=["a quiet harbour at dawn"] * 2):
        call_command("createstaff", email=" Admin@Example.com", name="Admin Person")
    member = StaffRepository().find_by_email("admin@example.com")
    assert member is not None and member.password_hash.startswith("md5$")


def test_it_refuses_a_weak_staff_password(dynamo):
    with mock.patch("getpass.getpass", side_effect=["password", "password"]):
        with pytest.raises(CommandError, match="too common"):
            call_command("createstaff", email="admin@example.com", name="Admin")
    assert StaffRepository().find_by_email("admin@example.com") is None


def test_it_refuses_a_staff_email_that_has_an_account(dynamo):
    make_account(AccountKind.CLIENT, email="taken@example.com")
    with mock.patch("getpass.getpass", side_effect=["a quiet harbour at dawn"] * 2):
        with pytest.raises(CommandError, match="already exists"):
            call_command("createstaff", email="taken@example.com", name="Admin")
