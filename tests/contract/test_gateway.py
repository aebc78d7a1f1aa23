"""DynamoGateway: batching, retries, and DynamoDB's errors turned into the domain's."""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Attr
from botocore.config import Config
from botocore.exceptions import ConnectionError as BotoConnectionError

from portal.domain import Client, Conflict, DatabaseUnavailable, Sender
from portal.dynamo import gateway as gateway_module
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.clients import ClientRepository
from portal.dynamo.gateway import DynamoGateway, TransactionCancelled, TransactPut, serialize_item
from portal.dynamo.journal import JournalRepository
from portal.dynamo.messages import MessageRepository
from portal.ids import new_id
from tests.factories import make_client


class _FakeBatchClient:
    """A stand-in for boto3's client: BatchGetItem only, holding back some keys at first.

    Real DynamoDB returns UnprocessedKeys under load or past 16 MB; no engine
    does that on demand, so the retry loop is tested against this fake.
    """

    def __init__(self, table_name: str, hold_back: int = 0, hold_back_calls: int = 1) -> None:
        self.table_name = table_name
        self.hold_back = hold_back
        self.hold_back_calls = hold_back_calls
        self.requests: list[list[str]] = []

    def batch_get_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:
        assert list(RequestItems) == [self.table_name]
        keys: list[dict[str, Any]] = RequestItems[self.table_name]["Keys"]
        # DynamoDB's own limit: more than 100 keys in one request is a ValidationException.
        assert len(keys) <= 100
        self.requests.append([k["clientId"]["S"] for k in keys])
        held = keys[: self.hold_back] if len(self.requests) <= self.hold_back_calls else []
        answered = keys[len(held) :]
        response: dict[str, Any] = {
            "Responses": {
                self.table_name: [{"clientId": k["clientId"], "name": {"S": "n"}} for k in answered]
            },
            "UnprocessedKeys": {},
        }
        if held:
            response["UnprocessedKeys"] = {self.table_name: {"Keys": held}}
        return response


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the gateway's backoff sleeps instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(gateway_module, "time", SimpleNamespace(sleep=recorded.append))
    return recorded


def _keys(ids: Sequence[str]) -> list[dict[str, str]]:
    return [{"clientId": i} for i in ids]


def _closed_port() -> int:
    # Bound and released at once: nothing listens there, so connecting is refused.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unreachable_gateway(prefix: str) -> DynamoGateway:
    client = boto3.session.Session().client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(
            connect_timeout=0.3,
            read_timeout=0.3,
            retries={"mode": "standard", "total_max_attempts": 1},
        ),
    )
    return DynamoGateway(client, prefix)


def _write_clients(dynamo: DynamoGateway, clients: Sequence[Client]) -> None:
    """Store clients straight into the table, 25 to a BatchWriteItem (its limit)."""
    name = dynamo.table_name(schema.CLIENTS)
    for start in range(0, len(clients), 25):
        rows = [
            {"clientId": c.client_id, "email": c.email, "name": c.name, "passwordHash": c.password_hash}
            for c in clients[start : start + 25]
        ]
        requests = [{"PutRequest": {"Item": serialize_item(row)}} for row in rows]
        dynamo.client.batch_write_item(RequestItems={name: requests})


def test_it_retries_unprocessed_keys_and_gives_up_if_they_stay_unprocessed(
    dynamo: DynamoGateway, sleeps: list[float]
) -> None:
    name = dynamo.table_name(schema.CLIENTS)  # the prefix reaches the request
    fake = _FakeBatchClient(name, hold_back=3, hold_back_calls=2)
    ids = [new_id() for _ in range(5)]

    items = DynamoGateway(fake, dynamo.prefix).batch_get(schema.CLIENTS, _keys(ids))

    assert sorted(i["clientId"] for i in items) == sorted(ids)
    assert fake.requests == [ids, ids[:3], ids[:3]]  # only what was held back is asked again
    assert len(sleeps) == 2 and all(s > 0 for s in sleeps)  # with a pause before each retry

    # Keys that never come back end in DatabaseUnavailable after a bounded number of tries.
    stuck = _FakeBatchClient(name, hold_back=1, hold_back_calls=10**6)
    with pytest.raises(DatabaseUnavailable):
        DynamoGateway(stuck, dynamo.prefix).batch_get(schema.CLIENTS, _keys(ids[:2]))
    assert 2 <= len(stuck.requests) <= 20


def test_it_chunks_batch_get_by_100_keys_without_duplicates(
    dynamo: DynamoGateway, sleeps: list[float]
) -> None:
    fake = _FakeBatchClient(dynamo.table_name(schema.CLIENTS))
    ids = [new_id() for _ in range(250)]

    items = DynamoGateway(fake, dynamo.prefix).batch_get(schema.CLIENTS, _keys(ids + ids[:30]))

    assert [len(r) for r in fake.requests] == [100, 100, 50]
    assert sorted(i["clientId"] for i in items) == sorted(ids)
    assert sleeps == []


def test_it_gets_many_accounts_in_batches_on_the_engine(dynamo: DynamoGateway) -> None:
    repo = ClientRepository()
    clients = [make_client() for _ in range(130)]
    _write_clients(dynamo, clients)
    wanted = [c.client_id for c in clients] + [clients[0].client_id, new_id()]

    with count_dynamodb_calls() as calls:
        found = repo.get_many(wanted)

    # 131 distinct keys: two requests; the duplicate would be a ValidationException on DynamoDB.
    assert calls.by_operation() == {"BatchGetItem": 2}
    assert set(found) == {c.client_id for c in clients}


def test_it_turns_a_failed_condition_into_conflict(dynamo: DynamoGateway) -> None:
    key = {"clientId": new_id()}
    item = {**key, "email": "a@example.com", "name": "First", "passwordHash": "x"}
    dynamo.put(schema.CLIENTS, item, condition=Attr("clientId").not_exists())

    with pytest.raises(Conflict):
        dynamo.put(
            schema.CLIENTS, {**item, "name": "Second"}, condition=Attr("clientId").not_exists()
        )
    with pytest.raises(Conflict):
        dynamo.update(
            schema.CLIENTS, key, set_values={"name": "Third"}, condition=Attr("name").eq("Nope")
        )
    with pytest.raises(Conflict):
        dynamo.delete(schema.CLIENTS, key, condition=Attr("name").eq("Nope"))
    assert dynamo.get(schema.CLIENTS, key) == item


def test_it_cancels_a_whole_transaction_when_one_condition_fails(dynamo: DynamoGateway) -> None:
    taken = {"email": "taken@example.com", "accountKind": "client", "accountId": new_id()}
    dynamo.put(schema.EMAIL_CLAIMS, taken)
    fresh = {"clientId": new_id(), "email": "taken@example.com", "name": "N", "passwordHash": "x"}

    with pytest.raises(TransactionCancelled) as cancelled:
        dynamo.transact_write(
            [
                TransactPut(schema.CLIENTS, fresh, Attr("clientId").not_exists()),
                TransactPut(
                    schema.EMAIL_CLAIMS, {**taken, "accountId": "other"}, Attr("email").not_exists()
                ),
            ]
        )

    # One reason per operation, in order: the code our sign-up decides on.
    assert cancelled.value.reasons == ["None", "ConditionalCheckFailed"]
    assert dynamo.get(schema.CLIENTS, {"clientId": fresh["clientId"]}) is None
    assert dynamo.get(schema.EMAIL_CLAIMS, {"email": "taken@example.com"}) == taken


def test_it_says_database_unavailable_when_unreachable_or_a_table_is_missing(
    dynamo: DynamoGateway,
) -> None:
    dead = _unreachable_gateway(dynamo.prefix)
    started = time.monotonic()

    with pytest.raises(DatabaseUnavailable) as refused:
        dead.ping()
    # Refused by the network, not by an engine (moto must not have answered it).
    assert isinstance(refused.value.__cause__, BotoConnectionError)
    with pytest.raises(DatabaseUnavailable):
        ClientRepository(dead).get(new_id())
    with pytest.raises(DatabaseUnavailable):
        JournalRepository(dead).list_recent(new_id())
    with pytest.raises(DatabaseUnavailable):
        MessageRepository(dead).send(
            client_id=new_id(),
            therapist_id=new_id(),
            sender=Sender.CLIENT,
            content="hello",
            idempotency_key=new_id(),
        )
    # Refused connections fail at once; the 503 page must not wait on retries.
    assert time.monotonic() - started < 5

    # Our tables under another prefix do not exist: a deployment fault, not the user's.
    stranger = DynamoGateway(dynamo.client, f"missing_{dynamo.prefix}")
    with pytest.raises(DatabaseUnavailable):
        stranger.get(schema.CLIENTS, {"clientId": new_id()})
    with pytest.raises(DatabaseUnavailable):
        stranger.ping()
    assert stranger.describe(schema.CLIENTS) is None
    dynamo.ping()
    assert dynamo.describe(schema.CLIENTS) is not None
