"""Database answers that mean "busy" or "no such id" give calm pages, never a 500."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from tests.accounts import PASSWORD, log_in, make_account

SIGN_UP = {
    "email": "busy@example.com",
    "name": "Robin Ash",
    "password": PASSWORD,
    "password_again": PASSWORD,
    "time_zone": "Europe/Paris",
}


@pytest.fixture
def cancelled_transactions(dynamo: DynamoGateway) -> Iterator[list[list[str]]]:
    """Every TransactWriteItems is cancelled with the reasons the test appends (as AWS does under load)."""
    reasons: list[list[str]] = []
    calls: list[int] = []

    def cancel(**_: object) -> None:
        calls.append(1)
        raise ClientError(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                "CancellationReasons": [{"Code": code} for code in reasons[0]],
            },
            "TransactWriteItems",
        )

    events = dynamo.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", cancel, unique_id="test-cancel-transactions")
    yield reasons
    events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="test-cancel-transactions")


@pytest.mark.parametrize(
    "reasons",
    [
        ["ThrottlingError", "None"],
        ["None", "ProvisionedThroughputExceeded"],
        ["TransactionConflict", "None"],
    ],
)
def test_it_answers_a_busy_sign_up_with_the_503_page(cancelled_transactions, reasons):
    cancelled_transactions.append(reasons)
    response = HttpClient(raise_request_exception=False).post("/accounts/signup/client/", SIGN_UP)
    assert response.status_code == 503
    assert "reach our records" in response.content.decode().replace("&#x27;", "'")


def test_it_still_says_the_email_is_taken_when_a_condition_failed(cancelled_transactions):
    cancelled_transactions.append(["ConditionalCheckFailed", "None"])
    response = HttpClient().post("/accounts/signup/client/", SIGN_UP)
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "user_key",
    ["client:", "therapist:", "staff:", "client:" + "x" * 3000, "client:01J0000000000000000000000A" + "é" * 1100],
)
def test_it_refuses_a_reset_link_with_an_impossible_id_without_asking_the_database(dynamo, user_key):
    http = HttpClient(raise_request_exception=False)
    with count_dynamodb_calls() as calls:
        response = http.get(f"/accounts/password/reset/{_b64(user_key)}/x/")
    assert response.status_code == 400
    assert "GetItem" not in calls.operations


@pytest.mark.parametrize(
    "url",
    [
        "/client/journal/{id}/",
        "/client/journal/{id}/edit/",
        "/client/journal/{id}/delete/",
    ],
)
@pytest.mark.parametrize("bad_id", ["", "x" * 3000, "%20"])
def test_it_answers_404_for_an_impossible_journal_id(dynamo, client, url, bad_id):
    log_in(client, make_account(AccountKind.CLIENT))
    response = client.get(url.format(id=bad_id))
    assert response.status_code == 404


@pytest.mark.parametrize("bad_id", ["x" * 3000, "%20", "client:"])
def test_it_answers_404_for_an_impossible_client_id_on_the_therapist_page(dynamo, client, bad_id):
    log_in(client, make_account(AccountKind.THERAPIST))
    response = client.get(f"/therapist/clients/{bad_id}/journal/")
    assert response.status_code == 404


def test_it_answers_a_verification_token_naming_an_empty_id_with_the_failed_page(dynamo, client):
    from django.core import signing

    token = signing.dumps({"u": "client:", "e": "a@example.com"}, salt="portal.accounts.verify-email")
    response = HttpClient(raise_request_exception=False).get(f"/accounts/verify/{token}/")
    assert response.status_code == 400


def test_it_finds_no_account_for_an_oversized_key_without_a_call(dynamo):
    from portal.dynamo.clients import ClientRepository

    with count_dynamodb_calls() as calls:
        assert ClientRepository().get("x" * 2049) is None
        assert ClientRepository().get("") is None
        assert ClientRepository().get_many(["", "y" * 4000]) == {}
    assert calls.total == 0
