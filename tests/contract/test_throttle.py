"""ThrottleRepository on both engines: atomic counters with TTL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from moto.dynamodb.responses import DynamoHandler

from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import LOGIN_THROTTLE
from portal.dynamo.throttle import ThrottleRepository
from portal.services.throttle import (
    Throttled,
    ThrottleTicket,
    throttle_attempt,
    throttle_release,
)
from portal.timeutil import epoch_seconds

ROOT = Path(__file__).resolve().parents[2]

# Far in the future, so no engine's TTL sweeper removes an item behind the test's back:
# expiry is then judged by the repository alone.
NOW = datetime(2040, 3, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=30)


@pytest.fixture
def atomic_moto_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto apply one request at a time, as DynamoDB applies each write atomically.

    moto runs an UpdateItem as several unlocked Python steps, so concurrent ADDs
    can be lost inside moto itself (seen: duplicate counts). Serializing whole
    requests removes that artefact and nothing more: a repository that read the
    count and wrote it back in two requests would still lose updates. dynoxide
    is reached over HTTP and never goes through this handler.
    """
    lock = threading.Lock()
    original = DynamoHandler.call_action

    def call_action(self: DynamoHandler) -> object:
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action)


@pytest.mark.usefixtures("atomic_moto_requests")
def test_it_increments_atomically_under_concurrency(dynamo: DynamoGateway) -> None:
    repo = ThrottleRepository()
    start = threading.Barrier(20)

    def one(_: int) -> int:
        start.wait(timeout=10)
        return repo.increment("login:race:1", expires_at=LATER, now=NOW)

    with ThreadPoolExecutor(20) as pool:
        returned = list(pool.map(one, range(20)))

    assert sorted(returned) == list(range(1, 21))
    assert repo.counts(["login:race:1"], now=NOW) == {"login:race:1": 20}


def _race(attempts: int, identifiers: list[str]) -> list[ThrottleTicket | None]:
    """``attempts`` threads each try once at the same moment; None for a refusal."""
    start = threading.Barrier(attempts)

    def one(_: int) -> ThrottleTicket | None:
        start.wait(timeout=10)
        try:
            return throttle_attempt(scope="login", identifiers=identifiers, limit=10, now=NOW)
        except Throttled:
            return None

    with ThreadPoolExecutor(attempts) as pool:
        return list(pool.map(one, range(attempts)))


def _stored_counts(dynamo: DynamoGateway) -> list[int]:
    return sorted(int(item["count"]) for item in dynamo.scan(LOGIN_THROTTLE, limit=100).items)


@pytest.mark.usefixtures("atomic_moto_requests")
def test_parallel_attempts_let_exactly_the_limit_through(dynamo: DynamoGateway) -> None:
    # Checking the counts first and recording a failure afterwards (the API this replaced)
    # let 25 of 40 parallel attempts through.
    tickets = _race(40, ["email:ann@example.com"])

    allowed = [ticket for ticket in tickets if ticket is not None]
    assert len(allowed) == 10
    assert tickets.count(None) == 30
    assert _stored_counts(dynamo) == [40]  # every attempt counted, refused ones too

    # Giving back the allowed ones (concurrently too) leaves exactly the refused ones.
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(throttle_release, allowed))
    assert _stored_counts(dynamo) == [30]


@pytest.mark.usefixtures("atomic_moto_requests")
def test_parallel_attempts_on_several_identifiers_never_exceed_the_limit(
    dynamo: DynamoGateway,
) -> None:
    # Threads may reach the two counters in different orders, so one attempt can be 10th
    # on the email and 11th on the address: fewer than 10 may pass, never more.
    tickets = _race(40, ["email:ann@example.com", "ip:203.0.113.7"])

    assert len([ticket for ticket in tickets if ticket is not None]) <= 10
    assert _stored_counts(dynamo) == [40, 40]


def test_it_returns_the_new_count_in_one_call(dynamo: DynamoGateway) -> None:
    repo = ThrottleRepository()
    repo.increment("login:k:1", expires_at=LATER, now=NOW)
    with count_dynamodb_calls() as calls:
        assert repo.increment("login:k:1", expires_at=LATER, now=NOW) == 2
    assert calls.by_operation() == {"UpdateItem": 1}


def test_it_stores_the_ttl_as_epoch_seconds(dynamo: DynamoGateway) -> None:
    ThrottleRepository().increment("login:k:1", expires_at=LATER, now=NOW)
    item = dynamo.get(LOGIN_THROTTLE, {"throttleKey": "login:k:1"})
    assert item is not None
    assert item["expiresAt"] == epoch_seconds(LATER)
    assert item["count"] == 1
    raw = dynamo.client.get_item(
        TableName=dynamo.table_name(LOGIN_THROTTLE), Key={"throttleKey": {"S": "login:k:1"}}
    )["Item"]
    assert "N" in raw["expiresAt"], "DynamoDB TTL ignores anything but a Number"


def test_it_reads_an_expired_counter_as_zero(dynamo: DynamoGateway) -> None:
    repo = ThrottleRepository()
    for _ in range(3):
        repo.increment("login:old:1", expires_at=LATER, now=NOW)

    assert repo.counts(["login:old:1"], now=LATER - timedelta(seconds=1)) == {"login:old:1": 3}
    assert repo.counts(["login:old:1"], now=LATER) == {"login:old:1": 0}
    # TTL deletion lags: the item is still there, yet it no longer counts.
    assert dynamo.get(LOGIN_THROTTLE, {"throttleKey": "login:old:1"}) is not None


def test_it_restarts_an_expired_counter_from_one(dynamo: DynamoGateway) -> None:
    repo = ThrottleRepository()
    for _ in range(5):
        repo.increment("login:old:1", expires_at=LATER, now=NOW)
    much_later = LATER + timedelta(hours=1)

    assert repo.increment("login:old:1", expires_at=much_later, now=LATER) == 1
    assert repo.increment("login:old:1", expires_at=much_later, now=LATER) == 2
    assert repo.counts(["login:old:1"], now=LATER) == {"login:old:1": 2}


def test_it_reads_missing_keys_as_zeros(dynamo: DynamoGateway) -> None:
    repo = ThrottleRepository()
    repo.increment("login:present:1", expires_at=LATER, now=NOW)
    repo.increment("login:present:1", expires_at=LATER, now=NOW)

    assert repo.counts(["login:absent:1", "login:present:1", "login:absent:2"], now=NOW) == {
        "login:absent:1": 0,
        "login:present:1": 2,
        "login:absent:2": 0,
    }


def test_it_reads_several_counters_in_one_batch_get(dynamo: DynamoGateway) -> None:
    repo = ThrottleRepository()
    keys = [f"login:k:{i}" for i in range(4)]
    for key in keys[:2]:
        repo.increment(key, expires_at=LATER, now=NOW)

    with count_dynamodb_calls() as calls:
        counts = repo.counts(keys, now=NOW)

    assert counts == {"login:k:0": 1, "login:k:1": 1, "login:k:2": 0, "login:k:3": 0}
    assert calls.by_operation() == {"BatchGetItem": 1}


def test_it_decrements_without_creating_or_going_below_zero(dynamo: DynamoGateway) -> None:
    repo = ThrottleRepository()
    repo.increment("login:k:1", expires_at=LATER, now=NOW)
    repo.increment("login:k:1", expires_at=LATER, now=NOW)

    with count_dynamodb_calls() as calls:
        assert repo.decrement("login:k:1") == 1
    assert calls.by_operation() == {"UpdateItem": 1}
    assert repo.decrement("login:k:1") == 0
    assert repo.decrement("login:k:1") is None
    assert repo.decrement("login:absent:1") is None

    assert repo.counts(["login:k:1", "login:absent:1"], now=NOW) == {
        "login:k:1": 0,
        "login:absent:1": 0,
    }
    assert dynamo.get(LOGIN_THROTTLE, {"throttleKey": "login:absent:1"}) is None
    item = dynamo.get(LOGIN_THROTTLE, {"throttleKey": "login:k:1"})
    assert item is not None and item["expiresAt"] == epoch_seconds(LATER)


def test_it_makes_no_call_for_no_keys(dynamo: DynamoGateway) -> None:
    with count_dynamodb_calls() as calls:
        assert ThrottleRepository().counts([], now=NOW) == {}
    assert calls.total == 0


_OTHER_PROCESS = """
import django
django.setup()
from datetime import datetime
from portal.dynamo.throttle import ThrottleRepository
now = datetime.fromisoformat({now!r})
later = datetime.fromisoformat({later!r})
repo = ThrottleRepository()
print(max(repo.increment("login:shared:1", expires_at=later, now=now) for _ in range(3)))
"""


def test_it_shares_counts_with_another_process(dynoxide_dynamo: DynamoGateway) -> None:
    repo = ThrottleRepository()
    repo.increment("login:shared:1", expires_at=LATER, now=NOW)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "therapy_site.settings",
        "DJANGO_SECRET_KEY": "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_DEBUG": "false",
        "DYNAMODB_ENDPOINT_URL": settings.DYNAMODB_ENDPOINT_URL,
        "DYNAMODB_TABLE_PREFIX": settings.DYNAMODB_TABLE_PREFIX,
    }
    script = _OTHER_PROCESS.format(now=NOW.isoformat(), later=LATER.isoformat())
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4"
    assert repo.counts(["login:shared:1"], now=NOW) == {"login:shared:1": 4}
