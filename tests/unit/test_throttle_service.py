"""Throttling failed logins and password-reset requests (moto, injected clock)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.domain import DomainError
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.connection import get_gateway, reset_gateway
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import LOGIN_THROTTLE
from portal.services.throttle import Throttled, throttle_check, throttle_record

# The start of a 15-minute window (epoch seconds divisible by 900).
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
EMAIL = "ann@example.com"
IP = "203.0.113.7"


def fail(
    times: int, *, scope: str = "login", identifiers: list[str] | None = None, now: datetime = T0
) -> None:
    for _ in range(times):
        throttle_record(scope=scope, identifiers=identifiers or [EMAIL], now=now)


def refusal(
    *, scope: str = "login", identifiers: list[str] | None = None, now: datetime
) -> Throttled:
    with pytest.raises(Throttled) as caught:
        throttle_check(scope=scope, identifiers=identifiers or [EMAIL], now=now)
    return caught.value


def test_it_allows_nine_failures(dynamo: DynamoGateway) -> None:
    fail(9)
    throttle_check(scope="login", identifiers=[EMAIL], now=T0 + timedelta(minutes=1))


def test_it_refuses_after_the_tenth_failure(dynamo: DynamoGateway) -> None:
    fail(9)
    throttle_check(scope="login", identifiers=[EMAIL], now=T0)
    fail(1)

    error = refusal(now=T0 + timedelta(minutes=1))

    assert isinstance(error, DomainError)
    assert error.scope == "login"
    assert "sign-in" in str(error)


def test_it_leaves_other_identifiers_alone(dynamo: DynamoGateway) -> None:
    fail(10)
    throttle_check(scope="login", identifiers=["bob@example.com", IP], now=T0)


def test_it_refuses_when_any_identifier_is_over_the_limit(dynamo: DynamoGateway) -> None:
    # An attacker trying many accounts from one address is stopped by the address.
    for i in range(10):
        throttle_record(scope="login", identifiers=[f"user{i}@example.com", IP], now=T0)

    throttle_check(scope="login", identifiers=["user0@example.com", "198.51.100.1"], now=T0)
    refusal(identifiers=["fresh@example.com", IP], now=T0)


def test_it_separates_login_from_password_reset(dynamo: DynamoGateway) -> None:
    fail(10, scope="login")

    throttle_check(scope="password-reset", identifiers=[EMAIL], now=T0)
    refusal(scope="login", now=T0)

    fail(10, scope="password-reset", identifiers=[IP])
    error = refusal(scope="password-reset", identifiers=[IP], now=T0)
    assert "password reset" in str(error)
    throttle_check(scope="login", identifiers=[IP], now=T0)


def test_it_treats_spellings_of_one_email_as_one_identifier(dynamo: DynamoGateway) -> None:
    for spelling in ["Ann@Example.com", " ann@example.com", "ANN@EXAMPLE.COM "] * 3 + [EMAIL]:
        throttle_record(scope="login", identifiers=[spelling], now=T0)

    refusal(identifiers=["aNN@example.COM"], now=T0)


def test_it_lifts_the_refusal_after_the_window_passes(dynamo: DynamoGateway) -> None:
    fail(10)
    refusal(now=T0 + WINDOW - timedelta(seconds=1))

    # In the next window they are "previous" and already weigh a little less than 10.
    throttle_check(scope="login", identifiers=[EMAIL], now=T0 + WINDOW + timedelta(seconds=1))


def test_it_keeps_refusing_into_the_next_window_after_many_failures(dynamo: DynamoGateway) -> None:
    fail(20)
    refusal(now=T0 + WINDOW + timedelta(minutes=7))  # 20 * 8/15 = 10.7

    throttle_check(scope="login", identifiers=[EMAIL], now=T0 + WINDOW + timedelta(minutes=8))
    # Two windows on, the failures are neither current nor previous.
    throttle_check(scope="login", identifiers=[EMAIL], now=T0 + 2 * WINDOW)


def test_it_weighs_the_previous_window_by_what_remains_of_it(dynamo: DynamoGateway) -> None:
    fail(10, now=T0 + timedelta(minutes=14))
    halfway = T0 + WINDOW + WINDOW / 2

    # Estimate 0 + 10 * 0.5 = 5: allowed.
    throttle_check(scope="login", identifiers=[EMAIL], now=halfway)
    fail(4, now=halfway)
    throttle_check(scope="login", identifiers=[EMAIL], now=halfway)  # 4 + 5 = 9
    fail(1, now=halfway)
    refusal(now=halfway)  # 5 + 5 = 10


@pytest.mark.parametrize(
    "failed_at",
    [T0, T0 + timedelta(minutes=7, seconds=31), T0 + timedelta(minutes=14, seconds=59)],
)
def test_it_gives_a_retry_after_that_is_exactly_when_the_refusal_lifts(
    dynamo: DynamoGateway, failed_at: datetime
) -> None:
    fail(10, now=failed_at)

    retry_after = refusal(now=failed_at).retry_after

    assert isinstance(retry_after, int)
    assert 1 <= retry_after <= 2 * WINDOW.total_seconds()
    refusal(now=failed_at + timedelta(seconds=retry_after - 1))
    allowed_at = failed_at + timedelta(seconds=retry_after)
    throttle_check(scope="login", identifiers=[EMAIL], now=allowed_at)


def test_it_computes_retry_after_from_the_previous_window_too(dynamo: DynamoGateway) -> None:
    fail(10, now=T0 + timedelta(minutes=14))
    fail(3, now=T0 + WINDOW + timedelta(minutes=3))
    at = T0 + WINDOW + timedelta(minutes=3)  # 3 + 10 * 0.8 = 11

    retry_after = refusal(now=at).retry_after

    # 10 * (1 - f) < 7 once f > 0.3, that is after 4.5 minutes into the window.
    assert retry_after == 90 + 1
    refusal(now=at + timedelta(seconds=retry_after - 1))
    throttle_check(scope="login", identifiers=[EMAIL], now=at + timedelta(seconds=retry_after))


def test_it_says_roughly_when_to_try_again(dynamo: DynamoGateway) -> None:
    fail(10)

    error = refusal(now=T0 + timedelta(minutes=2))

    assert error.retry_after == 13 * 60 + 1
    assert re.search(r"try again in about 14 minutes", str(error))


def test_it_makes_one_dynamodb_call_per_check(dynamo: DynamoGateway) -> None:
    fail(3, identifiers=[EMAIL, IP])

    with count_dynamodb_calls() as calls:
        throttle_check(scope="login", identifiers=[EMAIL, IP], now=T0 + WINDOW / 3)

    assert calls.total == 1
    assert calls.count("BatchGetItem") == 1


def test_it_makes_one_update_per_identifier_on_record(dynamo: DynamoGateway) -> None:
    with count_dynamodb_calls() as calls:
        throttle_record(scope="login", identifiers=[EMAIL, IP], now=T0)

    assert calls.by_operation() == {"UpdateItem": 2}


def test_it_skips_empty_identifiers(dynamo: DynamoGateway) -> None:
    with count_dynamodb_calls() as calls:
        throttle_record(scope="login", identifiers=["", "  "], now=T0)
        throttle_check(scope="login", identifiers=[""], now=T0)
    assert calls.total == 0

    fail(10, identifiers=[EMAIL, ""])
    refusal(identifiers=["", EMAIL], now=T0)


def test_it_refuses_a_bare_string_as_identifiers(dynamo: DynamoGateway) -> None:
    with pytest.raises(TypeError):
        throttle_record(scope="login", identifiers=EMAIL, now=T0)


def test_it_keeps_counts_across_processes(dynamo: DynamoGateway) -> None:
    fail(10)
    first_client = get_gateway().client

    reset_gateway()  # as a different worker process would start with its own client

    assert get_gateway().client is not first_client
    refusal(now=T0 + timedelta(minutes=1))


def test_it_stores_identifiers_only_as_hashes(dynamo: DynamoGateway) -> None:
    throttle_record(scope="login", identifiers=[EMAIL, IP], now=T0)

    items = dynamo.scan(LOGIN_THROTTLE, limit=10).items
    window_index = int(T0.timestamp()) // 900
    assert len(items) == 2
    for item in items:
        assert re.fullmatch(rf"login:[0-9a-f]{{32}}:{window_index}", item["throttleKey"])
        assert EMAIL not in str(item) and IP not in str(item)
        # Kept while the window is current or previous: until the end of the next one.
        assert item["expiresAt"] == int((T0 + 2 * WINDOW).timestamp())
