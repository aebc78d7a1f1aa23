"""The signed-in person rides in the session: no account read or session write on a plain page view,
and the account is re-read (ending the session when it must) on every POST and each expiry push."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.urls import include, path

from portal.accounts.middleware import passive
from portal.domain import AccountKind
from portal.dynamo.account_store import AccountStore
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.clients import ClientRepository
from portal.dynamo.schema import CLIENTS
from portal.timeutil import utcnow
from tests.accounts import PASSWORD, make_account

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


@passive
def _poll(request: HttpRequest) -> HttpResponse:
    return HttpResponse("nothing new")


urlpatterns = [path("poll/", _poll), path("", include("portal.urls"))]


def _log_in() -> tuple[HttpClient, str]:
    user = make_account(AccountKind.CLIENT)
    http = HttpClient()
    assert http.post("/accounts/login/", {"email": user.email, "password": PASSWORD}).status_code == 302
    return http, user.account_id


def _writes(operations: list[str]) -> list[str]:
    return [op for op in operations if op in WRITES]


def test_it_serves_a_page_view_from_the_session_alone(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http, _ = _log_in()
        clock.move_to(start + timedelta(seconds=59))
        with count_dynamodb_calls() as calls:
            response = http.get("/client/")
    assert response.status_code == 200
    # The session's GetItem and the page's own three Queries (the client's mappings, their
    # relationship records, the questionnaires due); no account GetItem, no write.
    assert calls.by_operation() == {"GetItem": 1, "Query": 3}


def test_it_shows_the_name_from_the_session_without_reading_the_account(dynamo):
    http, client_id = _log_in()
    ClientRepository().update_fields(client_id, name="Renamed Elsewhere")
    body = http.get("/client/").content.decode()
    assert "Test Person" in body and "Renamed Elsewhere" not in body


def test_it_pushes_the_expiry_once_a_minute_and_rereads_the_account_then(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http, client_id = _log_in()
        ClientRepository().update_fields(client_id, name="Renamed Elsewhere")
        clock.move_to(start + timedelta(minutes=1, seconds=1))
        with count_dynamodb_calls() as calls:
            response = http.get("/client/")
        # The account and the client's readers (see test_session_readers.py) re-read, the expiry pushed.
        assert calls.by_operation() == {"GetItem": 2, "Query": 4, "PutItem": 1}
        # The refreshed copy is what the page (and the next one) shows.
        assert "Renamed Elsewhere" in response.content.decode()
        clock.move_to(start + timedelta(minutes=1, seconds=30))
        with count_dynamodb_calls() as calls:
            assert http.get("/client/").status_code == 200
        assert _writes(calls.operations) == []


def test_it_keeps_a_session_alive_30_minutes_after_the_last_push(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http, _ = _log_in()
        clock.move_to(start + timedelta(minutes=1))
        assert http.get("/client/").status_code == 200
        clock.move_to(start + timedelta(minutes=30, seconds=50))
        assert http.get("/client/").status_code == 200


def test_it_ends_a_session_within_a_minute_of_the_last_activity_when_no_push_was_due(dynamo):
    # The stated bound: activity in the minute after a push does not move the expiry.
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http, _ = _log_in()
        clock.move_to(start + timedelta(seconds=50))
        assert http.get("/client/").status_code == 200
        clock.move_to(start + timedelta(minutes=30, seconds=1))
        assert http.get("/client/").status_code == 302


@pytest.mark.urls("tests.unit.test_session_user")
def test_it_never_pushes_the_expiry_for_passive_requests(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http, _ = _log_in()
        clock.move_to(start + timedelta(minutes=10))
        with count_dynamodb_calls() as calls:
            assert http.get("/poll/").status_code == 200
        assert calls.by_operation() == {"GetItem": 1}


def test_it_rereads_the_account_consistently_on_every_post(dynamo):
    http, _ = _log_in()
    with count_dynamodb_calls() as calls:
        response = http.post("/accounts/session/keep-alive/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    # The session, then the account itself and the client's readers; nothing written within the minute.
    assert calls.by_operation() == {"GetItem": 2, "Query": 1}


def test_it_ends_the_session_at_the_next_post_after_the_password_changed_elsewhere(dynamo):
    http, client_id = _log_in()
    AccountStore().set_password_hash(AccountKind.CLIENT, client_id, "md5$x$changed")
    response = http.post(
        "/client/journal/",
        {"time_of_emotion": "2026-01-01T10:00", "feeling": "calm", "intensity": "3", "note": ""},
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert http.get("/client/").status_code == 302
    assert ClientRepository().get(client_id) is not None


def test_it_ends_the_session_within_a_minute_of_reads_after_the_password_changed_elsewhere(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http, client_id = _log_in()
        AccountStore().set_password_hash(AccountKind.CLIENT, client_id, "md5$x$changed")
        clock.move_to(start + timedelta(minutes=1))
        response = http.get("/client/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_keeps_the_session_where_the_password_was_changed(dynamo):
    user = make_account(AccountKind.CLIENT)
    http = HttpClient()
    http.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    response = http.post(
        "/accounts/password/change/",
        {"current_password": PASSWORD, "password": "another long passphrase", "password_again": "another long passphrase"},
    )
    assert response.status_code == 302
    assert ClientRepository().get(user.account_id, consistent=True).account_version == 1  # type: ignore[union-attr]
    assert http.post("/accounts/session/keep-alive/", HTTP_HX_REQUEST="true").status_code == 204


def test_it_ends_the_session_of_a_deactivated_account_at_the_next_post(dynamo):
    http, client_id = _log_in()
    assert http.post("/accounts/session/keep-alive/", HTTP_HX_REQUEST="true").status_code == 204
    ClientRepository().update_fields(client_id, deactivated=True)
    response = http.post("/accounts/session/keep-alive/", HTTP_HX_REQUEST="true")
    assert response.status_code == 401


def test_it_refuses_to_log_in_a_deactivated_account(dynamo):
    user = make_account(AccountKind.CLIENT)
    ClientRepository().update_fields(user.account_id, deactivated=True)
    response = HttpClient().post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403 and "_auth_user_id" not in response.client.session


def test_it_ends_the_session_of_a_deleted_account(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http, client_id = _log_in()
        dynamo.delete(CLIENTS, {"clientId": client_id})
        clock.move_to(start + timedelta(minutes=2))
        assert http.get("/client/").status_code == 302


def test_it_treats_a_session_without_the_account_copy_as_signed_out(dynamo):
    http, _ = _log_in()
    session = http.session
    del session["_account"]
    session.save()
    assert http.get("/client/").status_code == 302


def test_it_sees_a_verification_made_in_another_session_at_the_next_post(dynamo):
    user = make_account(AccountKind.CLIENT, verified=False)
    http = HttpClient()
    http.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    AccountStore().mark_email_verified(AccountKind.CLIENT, user.account_id)
    # The POST re-read the account and the session's copy took the fresh flag.
    http.post("/accounts/session/keep-alive/", HTTP_HX_REQUEST="true")
    assert http.session["_account"]["verified"] is True


def test_it_tells_the_warning_script_how_long_the_session_really_has(dynamo):
    start = utcnow().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        http, _ = _log_in()
        clock.move_to(start + timedelta(seconds=40))
        polled = http.get("/accounts/session/status/")
        clock.move_to(start + timedelta(minutes=2))
        pushed = http.post("/accounts/session/keep-alive/", HTTP_HX_REQUEST="true")
    assert polled.status_code == 204 and polled["X-Session-Idle-Seconds"] == "1760"
    assert pushed.status_code == 204 and pushed["X-Session-Idle-Seconds"] == "1800"
