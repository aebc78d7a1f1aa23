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
