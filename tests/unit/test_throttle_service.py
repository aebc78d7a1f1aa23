"""Throttling failed attempts: throttle_attempt / throttle_release (moto, injected clock).

A failure is an attempt that is never released; a success is an attempt released.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portal.domain import DomainError
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.connection import get_gateway, reset_gateway
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import LOGIN_THROTTLE
from portal.dynamo.throttle import ThrottleRepository
from portal.services.throttle import (
    Throttled,
    ThrottleTicket,
    throttle_attempt,
    throttle_release,
)

# The start of a 15-minute window (epoch seconds divisible by 900).
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
EMAIL = "ann@example.com"
IP = "203.0.113.7"


def attempt(
    *, scope: str = "login", identifiers: list[str] | None = None, now: datetime = T0, limit: int = 10
) -> ThrottleTicket:
    return throttle_attempt(scope=scope, identifiers=identifiers or [EMAIL], now=now, limit=limit)


def refused_attempt(
    *, scope: str = "login", identifiers: list[str] | None = None, now: datetime = T0
) -> Throttled:
    with pytest.raises(Throttled) as caught:
        attempt(scope=scope, identifiers=identifiers, now=now)
    return caught.value


def fail_attempts(times: int, **kwargs: Any) -> None:
    """``times`` attempts that failed: counted and never released (all must be allowed)."""
    for _ in range(times):
        attempt(**kwargs)


def fail(times: int, **kwargs: Any) -> None:
    """``times`` failed attempts, counted whether allowed or refused (someone kept trying)."""
    for _ in range(times):
        try:
            attempt(**kwargs)
        except Throttled:
            pass


def stored_count(identifier: str = EMAIL, *, scope: str = "login", at: datetime = T0) -> int:
    key = f"{scope}:{hashlib.sha256(identifier.encode()).hexdigest()[:32]}:{_window_index(at)}"
    return ThrottleRepository().counts([key], now=at)[key]


def _window_index(at: datetime) -> int:
    return int(at.timestamp()) // int(WINDOW.total_seconds())


def test_attempt_allows_the_tenth_after_nine_failures_and_refuses_the_eleventh(
    dynamo: DynamoGateway,
) -> None:
    fail_attempts(9)

    attempt(now=T0 + timedelta(minutes=1))  # the 10th
    error = refused_attempt(now=T0 + timedelta(minutes=1))  # the 11th

    assert isinstance(error, DomainError)
    assert error.scope == "login"
    assert "sign-in" in str(error)


def test_attempt_allows_exactly_the_limit_from_nothing(dynamo: DynamoGateway) -> None:
    for _ in range(10):
        attempt()
    refused_attempt()

    assert stored_count() == 11  # the refused attempt stays counted


def test_attempt_refused_attempts_keep_counting(dynamo: DynamoGateway) -> None:
    fail_attempts(10)
    for _ in range(5):
        refused_attempt()

    assert stored_count() == 15


def test_attempt_returns_a_ticket_of_hashes_only(dynamo: DynamoGateway) -> None:
    ticket = attempt(identifiers=[EMAIL, IP])

    assert ticket.scope == "login"
    assert ticket.window_index == _window_index(T0)
    assert len(ticket.digests) == 2
    assert EMAIL not in repr(ticket) and IP not in repr(ticket)
    with pytest.raises(FrozenInstanceError):
        ticket.scope = "mfa"  # type: ignore[misc]
    items = dynamo.scan(LOGIN_THROTTLE, limit=10).items
    assert sorted(item["throttleKey"] for item in items) == sorted(ticket.counter_keys)
    window_index = int(T0.timestamp()) // 900
    assert len(items) == 2
    for item in items:
        assert re.fullmatch(rf"login:[0-9a-f]{{32}}:{window_index}", item["throttleKey"])
        assert EMAIL not in str(item) and IP not in str(item)
        # Kept while the window is current or previous: until the end of the next one.
        assert item["expiresAt"] == int((T0 + 2 * WINDOW).timestamp())


def test_release_after_success_leaves_the_count_unchanged(dynamo: DynamoGateway) -> None:
    fail_attempts(3, identifiers=[EMAIL, IP])

    throttle_release(attempt(identifiers=[EMAIL, IP]))

    assert stored_count(EMAIL) == 3
    assert stored_count(IP) == 3


def test_successful_attempts_never_lock_anyone_out(dynamo: DynamoGateway) -> None:
    fail_attempts(9)
    for _ in range(30):
        throttle_release(attempt())

    attempt()  # the 10th failure is still allowed
    refused_attempt()


def test_release_takes_back_from_the_ticket_window_after_rollover(dynamo: DynamoGateway) -> None:
    ticket = attempt(now=T0 + timedelta(minutes=14, seconds=59))
    later = T0 + WINDOW + timedelta(seconds=1)
    attempt(now=later)

    throttle_release(ticket)

    assert stored_count(at=T0) == 0
    assert stored_count(at=later) == 1


def test_release_never_creates_or_goes_below_zero(dynamo: DynamoGateway) -> None:
    ticket = attempt()
    throttle_release(ticket)
    throttle_release(ticket)  # a mistaken second release

    assert stored_count() == 0
    throttle_release(ThrottleTicket(scope="login", window_index=1, digests=("0" * 32,)))
    keys = {item["throttleKey"] for item in dynamo.scan(LOGIN_THROTTLE, limit=10).items}
    assert keys == set(ticket.counter_keys)


def test_attempt_leaves_other_identifiers_and_scopes_alone(dynamo: DynamoGateway) -> None:
    fail_attempts(10)
    refused_attempt()

    attempt(identifiers=["bob@example.com", IP])
    attempt(scope="password-reset")
    attempt(scope="mfa")


def test_attempt_refuses_when_any_identifier_is_over_the_limit(dynamo: DynamoGateway) -> None:
    for i in range(10):
        attempt(identifiers=[f"user{i}@example.com", IP])

    error = refused_attempt(identifiers=["fresh@example.com", IP])

    # The refused attempt counted for the fresh address too.
    assert stored_count("fresh@example.com") == 1
    assert stored_count(IP) == 11
    attempt(identifiers=["fresh@example.com", "198.51.100.1"])
    assert error.retry_after > 0


def test_attempt_separates_login_from_password_reset(dynamo: DynamoGateway) -> None:
    fail_attempts(10, scope="password-reset", identifiers=[IP])

    error = refused_attempt(scope="password-reset", identifiers=[IP])

    assert "password reset" in str(error)
    attempt(scope="login", identifiers=[IP])


def test_attempt_treats_spellings_of_one_email_as_one_identifier(dynamo: DynamoGateway) -> None:
    for spelling in ["Ann@Example.com", " ann@example.com", "ANN@EXAMPLE.COM "] * 3 + [EMAIL]:
        attempt(identifiers=[spelling])

    refused_attempt(identifiers=["aNN@example.COM"])
    # One spelling twice in one attempt counts once.
    assert len(attempt(identifiers=["bob@example.com", "BOB@example.com "]).digests) == 1


def test_attempt_skips_empty_identifiers_and_refuses_a_bare_string(dynamo: DynamoGateway) -> None:
    with count_dynamodb_calls() as calls:
        ticket = attempt(identifiers=["", "  "])
        throttle_release(ticket)
    assert calls.total == 0
    assert ticket.digests == ()

    # Empty identifiers next to a real one are skipped; the real one still counts.
    fail_attempts(10, identifiers=[EMAIL, ""])
    refused_attempt(identifiers=["", EMAIL])
    assert stored_count() == 11

    with pytest.raises(TypeError):
        throttle_attempt(scope="login", identifiers=EMAIL, now=T0)
    with pytest.raises(ValueError):
        attempt(limit=0)


def test_attempt_costs_one_update_per_identifier_and_one_batch_get(dynamo: DynamoGateway) -> None:
    fail_attempts(3, identifiers=[EMAIL, IP])

    with count_dynamodb_calls() as calls:
        ticket = attempt(identifiers=[EMAIL, IP], now=T0 + WINDOW / 3)
    assert calls.by_operation() == {"UpdateItem": 2, "BatchGetItem": 1}

    with count_dynamodb_calls() as calls:
        throttle_release(ticket)
    assert calls.by_operation() == {"UpdateItem": 2}

    # A refused attempt costs the same.
    fail_attempts(7, identifiers=[EMAIL, IP])
    with count_dynamodb_calls() as calls:
        refused_attempt(identifiers=[EMAIL, IP])
    assert calls.by_operation() == {"UpdateItem": 2, "BatchGetItem": 1}


def test_attempt_rolls_over_to_the_next_window(dynamo: DynamoGateway) -> None:
    # Three identifiers with the same history, so probing one does not disturb the others.
    for identifier in ("a@example.com", "b@example.com", "c@example.com"):
        fail_attempts(10, identifiers=[identifier])
    refused_attempt(identifiers=["a@example.com"], now=T0 + WINDOW - timedelta(seconds=1))

    # Next window: the attempt weighs 1, the 10 previous 10 * (1 - f); it fits once f >= 0.1.
    refused_attempt(identifiers=["b@example.com"], now=T0 + WINDOW + timedelta(seconds=89))
    attempt(identifiers=["c@example.com"], now=T0 + WINDOW + timedelta(seconds=90))
    # Two windows on, nothing is left of them.
    attempt(identifiers=["b@example.com"], now=T0 + 3 * WINDOW)


def test_attempt_keeps_refusing_into_the_next_window_after_many_failures(
    dynamo: DynamoGateway,
) -> None:
    # Twenty failures (ten of them refused) on two identifiers with the same history.
    for identifier in ("early@example.com", "on-time@example.com"):
        fail(20, identifiers=[identifier])
    next_window = T0 + WINDOW

    # Next window: 1 + 20 * (1 - f) <= 10 once f >= 0.55, that is 8 min 15 s in.
    refused_attempt(identifiers=["early@example.com"], now=next_window + timedelta(minutes=7))
    refused_attempt(identifiers=["early@example.com"], now=next_window + timedelta(seconds=494))
    attempt(identifiers=["on-time@example.com"], now=next_window + timedelta(seconds=495))
    # Two windows on, the twenty are neither current nor previous; only the two refused
    # probes above are (previous, weighing 2), so 1 + 2 fits.
    attempt(identifiers=["early@example.com"], now=T0 + 2 * WINDOW)


def test_attempt_weighs_the_previous_window_by_what_remains_of_it(dynamo: DynamoGateway) -> None:
    fail_attempts(10, now=T0 + timedelta(minutes=14))
    halfway = T0 + WINDOW + WINDOW / 2

    fail_attempts(5, now=halfway)  # the 5th makes 5 + 10 * 0.5 = 10: allowed
    refused_attempt(now=halfway)  # 6 + 5 = 11


@pytest.mark.parametrize(
    ("failures", "failed_at"),
    [
        (10, T0),
        (10, T0 + timedelta(minutes=7, seconds=31)),
        (10, T0 + timedelta(minutes=14, seconds=59)),
        (12, T0 + timedelta(minutes=3)),  # the refusal makes 13: 13 * (1 - f) <= 9 next window
    ],
)
def test_attempt_gives_a_retry_after_that_is_when_the_next_attempt_fits(
    dynamo: DynamoGateway, failures: int, failed_at: datetime
) -> None:
    # The same history on two identifiers: one probes just before, one at, retry_after.
    for identifier in ("early@example.com", "on-time@example.com"):
        fail(failures, identifiers=[identifier], now=failed_at)
        with pytest.raises(Throttled) as caught:
            attempt(identifiers=[identifier], now=failed_at)
    retry_after = caught.value.retry_after

    assert isinstance(retry_after, int)
    assert 1 <= retry_after <= 2 * WINDOW.total_seconds()
    refused_attempt(
        identifiers=["early@example.com"], now=failed_at + timedelta(seconds=retry_after - 1)
    )
    attempt(identifiers=["on-time@example.com"], now=failed_at + timedelta(seconds=retry_after))


def test_attempt_computes_retry_after_from_the_previous_window_too(dynamo: DynamoGateway) -> None:
    fail_attempts(10, now=T0 + timedelta(minutes=14))
    at = T0 + WINDOW + timedelta(minutes=3)
    fail_attempts(2, now=at)  # 2 + 10 * 0.8 = 10: allowed

    error = refused_attempt(now=at)  # 3 + 8 = 11

    # The next attempt makes 4: it fits once 10 * (1 - f) <= 6, f >= 0.4, at 6 minutes in.
    # retry_after is strictly after that moment (safe from rounding), so here 1 s late.
    assert error.retry_after == 180 + 1
    assert re.search(r"try again in about 4 minutes", str(error))


def test_attempt_says_roughly_when_to_try_again(dynamo: DynamoGateway) -> None:
    fail_attempts(10)

    error = refused_attempt(now=T0 + timedelta(minutes=2))  # makes 11 in this window

    # The next attempt makes 12: it fits once 11 * (1 - f) <= 9 in the next window,
    # f >= 2/11, 163.6 s in; 780 s remain of this one.
    assert error.retry_after == 780 + 163 + 1
    assert re.search(r"try again in about 16 minutes", str(error))


def test_attempt_keeps_counts_across_processes(dynamo: DynamoGateway) -> None:
    fail_attempts(10)
    first_client = get_gateway().client

    reset_gateway()  # as a different worker process would start with its own client

    assert get_gateway().client is not first_client
    refused_attempt(now=T0 + timedelta(minutes=1))
    assert stored_count() == 11
