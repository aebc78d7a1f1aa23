"""What a failed DynamoDB call becomes: Conflict, TransactionCancelled, DatabaseUnavailable, or itself."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ReadTimeoutError

from portal.domain import Conflict, DatabaseUnavailable
from portal.dynamo.gateway import DynamoGateway, TransactionCancelled
from portal.dynamo.schema import WEB_SESSIONS


class _Failing:
    """A client whose every call raises ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_item(self, **_: Any) -> dict[str, Any]:
        raise self.error

    def describe_table(self, **_: Any) -> dict[str, Any]:
        raise self.error


def _client_error(code: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, **extra}, "GetItem")


def _raised(error: Exception) -> BaseException:
    with pytest.raises(Exception) as raised:
        DynamoGateway(_Failing(error)).ping()
    return raised.value


def test_a_failed_condition_is_a_conflict() -> None:
    error = _client_error("ConditionalCheckFailedException")
    raised = _raised(error)
    assert type(raised) is Conflict and raised.__cause__ is error


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
def test_a_busy_table_is_database_unavailable(code: str) -> None:
    raised = _raised(_client_error(code))
    assert type(raised) is DatabaseUnavailable and str(raised) == code


def test_a_cancelled_transaction_says_why_and_a_throttled_one_is_unavailable() -> None:
    failed = _raised(
        _client_error("TransactionCanceledException", CancellationReasons=[{"Code": "ConditionalCheckFailed"}])
    )
    assert type(failed) is TransactionCancelled and failed.condition_failed
    busy = _raised(_client_error("TransactionCanceledException", CancellationReasons=[{"Code": "ThrottlingError"}]))
    assert type(busy) is DatabaseUnavailable and "ThrottlingError" in str(busy)
    # A conflict with another transaction: still a cancellation a caller may retry, and a Conflict
    # (a clear 4xx) for a caller that does not.
    conflict = _raised(
        _client_error("TransactionCanceledException", CancellationReasons=[{"Code": "TransactionConflict"}])
    )
    assert isinstance(conflict, TransactionCancelled) and conflict.busy and isinstance(conflict, Conflict)
    assert "at the same moment" in str(conflict)


def test_a_mistake_in_the_request_is_raised_as_it_is() -> None:
    error = _client_error("ValidationException")
    assert _raised(error) is error


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        NoCredentialsError(),
    ],
)
def test_an_unreachable_or_silent_database_is_unavailable(error: Exception) -> None:
    raised = _raised(error)
    assert type(raised) is DatabaseUnavailable and str(raised) == type(error).__name__
    assert raised.__cause__ is error


def test_describe_answers_none_for_a_missing_table_and_translates_the_rest() -> None:
    assert DynamoGateway(_Failing(_client_error("ResourceNotFoundException"))).describe(WEB_SESSIONS) is None
    with pytest.raises(DatabaseUnavailable):
        DynamoGateway(_Failing(_client_error("ThrottlingException"))).describe(WEB_SESSIONS)
    validation = _client_error("ValidationException")
    with pytest.raises(ClientError) as raised:
        DynamoGateway(_Failing(validation)).describe(WEB_SESSIONS)
    assert raised.value is validation
