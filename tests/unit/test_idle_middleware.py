"""What counts as activity for the automatic logoff."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.urls import include, path

from portal.accounts.middleware import passive
from portal.domain import AccountKind
from portal.timeutil import utcnow
from tests.accounts import PASSWORD, make_account


@passive
def _poll(request: HttpRequest) -> HttpResponse:
    return HttpResponse("nothing new")


urlpatterns = [path("poll/", _poll), path("", include("portal.urls"))]


def _logged_in() -> HttpClient:
    user = make_account(AccountKind.CLIENT)
    http = HttpClient()
    http.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    return http


@pytest.mark.urls("tests.unit.test_idle_middleware")
def test_it_does_not_count_background_polling_as_activity(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http = _logged_in()
        clock.move_to(start + timedelta(minutes=20))
        http.get("/poll/")
        clock.move_to(start + timedelta(minutes=31))
        assert http.get("/client/").status_code == 302


def test_it_keeps_the_session_alive_from_the_warning_button(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http = _logged_in()
        clock.move_to(start + timedelta(minutes=26))
        response = http.post("/accounts/session/keep-alive/", HTTP_HX_REQUEST="true")
        assert response.status_code == 204
        clock.move_to(start + timedelta(minutes=50))
        assert http.get("/client/").status_code == 200


def test_it_refuses_keep_alive_to_anonymous_visitors(dynamo, client):
    response = client.post("/accounts/session/keep-alive/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_answers_an_htmx_request_after_logoff_with_401_not_the_login_page(dynamo):
    http = HttpClient()
    response = http.post(
        "/client/journal/",
        {"time_of_emotion": "2026-01-01T10:00", "feeling": "calm", "intensity": "3", "note": "long night"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 401
    assert b"Log in" not in response.content


def test_it_tells_a_page_whether_its_session_lives_without_extending_it(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http = _logged_in()
        clock.move_to(start + timedelta(minutes=25))
        assert http.get("/accounts/session/status/").status_code == 204
        clock.move_to(start + timedelta(minutes=31))
        assert http.get("/accounts/session/status/").status_code == 401


def test_it_gives_the_whole_login_page_when_htmx_restores_history_after_logoff(dynamo):
    response = HttpClient().get(
        "/client/journal/", {"feeling": "sad"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
