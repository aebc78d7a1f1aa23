"""/healthz and the 503 page when DynamoDB does not answer."""

from __future__ import annotations

import time

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.urls import include, path

from devtools.dynoxide import free_port
from portal.domain import DatabaseUnavailable
from portal.dynamo.clients import ClientRepository
from portal.dynamo.connection import reset_gateway


def _view_that_reads(request: HttpRequest) -> HttpResponse:
    ClientRepository().get("someone")
    return HttpResponse("unreachable")


urlpatterns = [path("reads/", _view_that_reads), path("", include("portal.urls"))]


@pytest.fixture
def unreachable_dynamo(settings):
    settings.DYNAMODB_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.DYNAMODB_MAX_ATTEMPTS = 2
    reset_gateway()
    yield
    reset_gateway()


def test_it_answers_200_with_json_when_dynamodb_answers(dynamo, client: HttpClient):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "dynamodb": "ok"}


def test_it_answers_503_when_dynamodb_is_unreachable(unreachable_dynamo, client: HttpClient):
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert time.monotonic() - started < 10


@pytest.mark.urls("tests.unit.test_health")
def test_it_shows_a_clear_503_page_not_a_traceback(unreachable_dynamo, client: HttpClient):
    response = client.get("/reads/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "can&#x27;t reach our records" in body or "can't reach our records" in body
    assert "Traceback" not in body


def test_it_turns_an_unreachable_engine_into_database_unavailable(unreachable_dynamo):
    with pytest.raises(DatabaseUnavailable):
        ClientRepository().get("someone")


@pytest.fixture
def hung_dynamo(settings):
    """An endpoint that accepts connections and never answers."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    settings.DYNAMODB_ENDPOINT_URL = f"http://127.0.0.1:{server.getsockname()[1]}"
    reset_gateway()
    yield
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()
    reset_gateway()


@pytest.mark.urls("tests.unit.test_health")
def test_it_answers_a_hung_database_with_503_within_10_seconds(hung_dynamo, client: HttpClient):
    started = time.monotonic()
    response = client.get("/reads/")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert elapsed < 10, f"took {elapsed:.1f} s"


def test_it_shows_the_503_page_to_a_logged_in_visitor_whose_session_cannot_be_read(dynamo, settings):
    from portal.domain import AccountKind
    from tests.accounts import log_in, make_account

    http = HttpClient(raise_request_exception=False)
    log_in(http, make_account(AccountKind.CLIENT))
    settings.DYNAMODB_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.DYNAMODB_MAX_ATTEMPTS = 1
    reset_gateway()
    for url in ("/client/journal/", "/", "/accounts/login/"):
        response = http.get(url)
        assert response.status_code == 503, url
        assert "can&#x27;t reach our records" in response.content.decode() or "can't reach our records" in response.content.decode()
    reset_gateway()


@pytest.fixture
def table_scoped_policy(dynamo):
    """What a table-scoped IAM policy does: account-wide actions such as ListTables are refused."""
    from botocore.exceptions import ClientError

    def refuse(**_: object) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "not authorized: dynamodb:ListTables"}},
            "ListTables",
        )

    events = dynamo.client.meta.events
    events.register("before-call.dynamodb.ListTables", refuse, unique_id="test-refuse-list-tables")
    yield dynamo
    events.unregister("before-call.dynamodb.ListTables", unique_id="test-refuse-list-tables")


def test_it_stays_healthy_under_a_policy_that_refuses_list_tables(table_scoped_policy, client: HttpClient):
    from portal.dynamo.call_counter import count_dynamodb_calls

    with count_dynamodb_calls() as calls:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert calls.operations == ["GetItem"]


def test_it_reports_unhealthy_when_a_product_table_is_gone(dynamo, client: HttpClient):
    from portal.dynamo.schema import WEB_SESSIONS

    dynamo.client.delete_table(TableName=dynamo.table_name(WEB_SESSIONS))
    response = client.get("/healthz")
    assert response.status_code == 503
