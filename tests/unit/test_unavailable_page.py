"""The 503 page tells the truth about what happened, in production and in debug mode alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client as HttpClient

from portal.domain import AccountKind, DatabaseUnavailable
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.journal import JournalRepository
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.unit.test_health import hung_dynamo  # noqa: F401  (the fixture)

ENTRY = {
    "time_of_emotion": "2026-01-01T10:00",
    "feeling": "calm",
    "intensity": "3",
    "note": "a walk",
    "idempotency_key": "01KEYSENTWITHTHEFORM000000",
}
MAY_HAVE_BEEN_SAVED = "may have been saved"
SAFE_TO_RESEND = "safe to send it again"
NOTHING_CHANGED = "nothing was changed"


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def _signed_in() -> tuple[HttpClient, str]:
    # Exceptions that reach Django's handler are raised here: a 503 answered by
    # us proves no traceback page (debug) or 500 handler was involved.
    http = HttpClient(raise_request_exception=True)
    user = make_account(AccountKind.CLIENT)
    log_in(http, user)
    return http, user.account_id


def _fail(monkeypatch, method: str, when=lambda *args, **kwargs: True) -> None:
    real = getattr(DynamoGateway, method)

    def failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if when(*args, **kwargs):
            raise DatabaseUnavailable("injected")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DynamoGateway, method, failing)


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode().replace("&#x27;", "'")


def test_it_says_a_form_whose_write_failed_may_have_been_saved_and_is_safe_to_resend(dynamo, debug, monkeypatch):
    http, _ = _signed_in()
    _fail(monkeypatch, "transact_write")
    _fail(monkeypatch, "put")
    response = http.post("/client/journal/", ENTRY)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    body = _text(response)
    assert MAY_HAVE_BEEN_SAVED in body and SAFE_TO_RESEND in body
    assert NOTHING_CHANGED not in body and "Traceback" not in body


def test_it_says_nothing_changed_when_a_page_view_fails(dynamo, debug, monkeypatch):
    http, _ = _signed_in()
    _fail(monkeypatch, "query")
    response = http.get("/client/journal/")
    assert response.status_code == 503
    body = _text(response)
    assert NOTHING_CHANGED in body and MAY_HAVE_BEEN_SAVED not in body


def test_it_answers_a_failed_account_check_before_a_post_with_the_503_page(dynamo, debug, monkeypatch):
    http, _ = _signed_in()
    _fail(monkeypatch, "get", lambda table, *args, **kwargs: table.name == "Clients")
    response = http.post("/client/journal/", ENTRY)
    assert response.status_code == 503
    assert MAY_HAVE_BEEN_SAVED in _text(response)


def test_it_answers_a_session_that_cannot_be_saved_with_the_503_page(dynamo, debug, monkeypatch):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http, _ = _signed_in()
        clock.move_to(start + timedelta(minutes=2))  # the expiry push is due: the session is written
        _fail(monkeypatch, "put", lambda table, *args, **kwargs: table.name == "WebSessions")
        response = http.get("/client/")
    assert response.status_code == 503
    assert NOTHING_CHANGED in _text(response)


def test_it_keeps_the_session_cookie_when_the_session_cannot_be_read(dynamo, debug, monkeypatch):
    http, _ = _signed_in()
    cookie = http.cookies["sessionid"].value
    _fail(monkeypatch, "get", lambda table, *args, **kwargs: table.name == "WebSessions")
    response = http.get("/client/journal/")
    assert response.status_code == 503
    # A database blip must not log the person out.
    assert "sessionid" not in response.cookies
    monkeypatch.undo()
    assert http.cookies["sessionid"].value == cookie
    assert http.get("/client/journal/").status_code == 200


def test_it_shows_the_503_page_not_a_traceback_when_the_database_hangs_in_debug_mode(
    dynamo, settings, monkeypatch, request
):
    http, _ = _signed_in()
    settings.DEBUG = True
    settings.DYNAMODB_READ_TIMEOUT = 0.5
    settings.DYNAMODB_MAX_ATTEMPTS = 2
    request.getfixturevalue("hung_dynamo")  # from here on every call hangs until its timeout
    shown = http.get("/client/journal/")
    sent = http.post("/client/journal/", ENTRY)
    assert shown.status_code == 503 and sent.status_code == 503
    assert NOTHING_CHANGED in _text(shown) and "Traceback" not in _text(shown)
    assert MAY_HAVE_BEEN_SAVED in _text(sent) and "Traceback" not in _text(sent)


def test_it_stores_nothing_half_written_when_the_create_fails(dynamo, monkeypatch):
    http, client_id = _signed_in()
    _fail(monkeypatch, "transact_write")
    _fail(monkeypatch, "put")
    http.post("/client/journal/", ENTRY)
    monkeypatch.undo()
    assert JournalRepository().list_by_time(client_id).items == []
