"""Every table created once per engine for the whole run, and emptied after each test.

Creating the 16 tables (with their indexes and TTL) costs about 0.3 s of CPU
on moto and 0.5 s on dynoxide, and most of the suite's tests need them: made
afresh for each test that was a third of `make test`. Each test still starts
from every table empty and in schema.py's shape:

* after a test, every item it left is removed;
* a test that changed the tables themselves (deleted, recreated, added an
  index, or, on moto, anything else a table description shows), or that reset
  moto with its own ``mock_aws``, is noticed, and the next test gets the tables
  made afresh.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.custom_responses_mock import reset_responses_mock
from moto.core.models import MockAWS, responses_mock
from moto.dynamodb.models import dynamodb_backends

from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import ALL_TABLES, Table
from portal.dynamo.tables import create_missing_tables

_BATCH_WRITE_LIMIT = 25
# A table holding more than this after a test is dropped and made again: cheaper
# than deleting its items 25 at a time.
_RECREATE_ABOVE = 200


# --- moto --------------------------------------------------------------------------


@contextmanager
def moto_keeping_its_data() -> Iterator[None]:
    """moto's mock, started without wiping what earlier tests' mocks left and stopped without wiping it."""
    mock = mock_aws()
    mock.start(reset=False)
    try:
        yield
    finally:
        mock.stop(remove_data=False)
        if MockAWS._nested_count == 0:
            # Each start registers moto's URL patterns for requests again (about 1,300); a stop that
            # keeps the data keeps them too, so they would pile up test after test.
            reset_responses_mock(responses_mock)


def _moto_backend(region: str) -> Any:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][region]


def _moto_fingerprint(table: Any) -> str:
    """Everything about a moto table but its items (its description, TTL, backups, tags)."""
    described = table.describe()
    state = {
        "description": described,
        "ttl": table.ttl,
        "continuous_backups": table.continuous_backups,
        "tags": table.tags,
        "streams": table.stream_specification,
    }
    return json.dumps(state, sort_keys=True, default=str)


@dataclass
class MotoTables:
    """moto's tables, kept across tests: the same Python objects, emptied in place."""

    region: str = ""
    # physical name -> (the moto table object, its fingerprint when empty)
    made: dict[str, tuple[Any, str]] = field(default_factory=dict)

    def _intact(self) -> bool:
        backend = _moto_backend(self.region)
        if set(backend.tables) != set(self.made):
            return False
        if backend.backups or backend.table_imports or backend.table_exports or backend.resource_policies:
            return False
        for name, (table, fingerprint) in self.made.items():
            if backend.tables[name] is not table or _moto_fingerprint(table) != fingerprint:
                return False
        return True

    def ready(self, gateway: DynamoGateway, region: str) -> None:
        """Every table, empty, in schema.py's shape (made afresh unless the last test left them intact)."""
        if self.made and self.region == region and self._intact():
            return
        _moto_backend(region).reset()  # no table, no item, no backup: as a fresh mock_aws starts
        self.region = region
        create_missing_tables(gateway)
        backend = _moto_backend(region)
        expected = {gateway.table_name(table) for table in ALL_TABLES}
        if set(backend.tables) != expected:
            raise RuntimeError(f"moto holds {sorted(backend.tables)}, expected {sorted(expected)}")
        self.made = {name: (backend.tables[name], _moto_fingerprint(backend.tables[name])) for name in expected}

    def empty(self) -> None:
        """Remove every item; a changed table is caught by the next ``ready``."""
        backend = _moto_backend(self.region)
        for name, (table, _) in self.made.items():
            if backend.tables.get(name) is table:
                table.items.clear()
                if table.stream_shard is not None:
                    table.stream_shard.items.clear()


MOTO = MotoTables()


# --- dynoxide ----------------------------------------------------------------------


def _key_names(table: Table) -> list[str]:
    return [part.attribute for part in table.keys]


def _shape(description: dict[str, Any]) -> str:
    """What a test could change about a table without its items: keys, indexes, creation time."""
    state = {
        "keys": description.get("KeySchema"),
        "created": description.get("CreationDateTime"),
        "local": sorted(
            (i["IndexName"], json.dumps(i["KeySchema"])) for i in description.get("LocalSecondaryIndexes", [])
        ),
        "global": sorted(
            (i["IndexName"], json.dumps(i["KeySchema"])) for i in description.get("GlobalSecondaryIndexes", [])
        ),
    }
    return json.dumps(state, sort_keys=True, default=str)


_dynoxide_prefixes = count(1)


@dataclass
class DynoxideTables:
    """The tables on one dynoxide engine under one prefix, kept across tests.

    Made and emptied through a client of its own: a test may leave the app's
    client patched (failures, refusals) until after this runs, and set-up calls
    are not the application's (the IAM policy check records only those).
    """

    url: str = ""
    region: str = ""
    prefix: str = ""
    shapes: dict[str, str] = field(default_factory=dict)
    _client: Any = None

    def prefix_for(self, url: str, region: str) -> str:
        """The prefix the next test's tables live under (a new one once the old tables changed)."""
        if (self.url, self.region) != (url, region) or not self.prefix:
            if (self.url, self.region) != (url, region):
                self._client = None
            self.url, self.region = url, region
            self.prefix = f"t{next(_dynoxide_prefixes)}_"
            self.shapes = {}
        return self.prefix

    def _gateway(self) -> DynamoGateway:
        if self._client is None:
            self._client = boto3.session.Session().client(
                "dynamodb",
                endpoint_url=self.url,
                region_name=self.region,
                aws_access_key_id="local",
                aws_secret_access_key="local",
            )
        return DynamoGateway(self._client, self.prefix)

    def ready(self) -> None:
        """Every table under the current prefix, empty (the last test's items were removed after it)."""
        if self.shapes:
            return
        gateway = self._gateway()
        create_missing_tables(gateway)
        self._remember(gateway, ALL_TABLES)

    def _remember(self, gateway: DynamoGateway, tables: tuple[Table, ...]) -> None:
        for table in tables:
            description = gateway.describe(table)
            if description is None:
                raise RuntimeError(f"{gateway.table_name(table)} was not created")
            self.shapes[table.name] = _shape(description)

    def _intact(self, gateway: DynamoGateway) -> bool:
        for table in ALL_TABLES:
            description = gateway.describe(table)
            if description is None or _shape(description) != self.shapes.get(table.name):
                return False
        return True

    def empty(self) -> None:
        """Remove every item the test left; tables a test changed are dropped and the next test gets new ones."""
        if not self.shapes:
            return
        gateway = self._gateway()
        if not self._intact(gateway):
            self._drop(gateway)
            return
        crowded: list[Table] = []
        for table in ALL_TABLES:
            keys = self._keys_left(gateway, table)
            if len(keys) > _RECREATE_ABOVE:
                crowded.append(table)
                continue
            for start in range(0, len(keys), _BATCH_WRITE_LIMIT):
                self._delete(gateway, table, keys[start : start + _BATCH_WRITE_LIMIT])
        if crowded:
            for table in crowded:
                gateway.client.delete_table(TableName=gateway.table_name(table))
                gateway.client.get_waiter("table_not_exists").wait(
                    TableName=gateway.table_name(table), WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
                )
            create_missing_tables(gateway, tables=tuple(crowded))
            self._remember(gateway, tuple(crowded))

    def _keys_left(self, gateway: DynamoGateway, table: Table) -> list[dict[str, Any]]:
        names = _key_names(table)
        request: dict[str, Any] = {
            "TableName": gateway.table_name(table),
            "ConsistentRead": True,
            "ProjectionExpression": ", ".join(f"#k{i}" for i in range(len(names))),
            "ExpressionAttributeNames": {f"#k{i}": name for i, name in enumerate(names)},
        }
        keys: list[dict[str, Any]] = []
        while True:
            page = gateway.client.scan(**request)
            keys += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return keys
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _delete(self, gateway: DynamoGateway, table: Table, keys: list[dict[str, Any]]) -> None:
        requests: dict[str, Any] = {
            gateway.table_name(table): [{"DeleteRequest": {"Key": key}} for key in keys]
        }
        while requests:
            answer = gateway.client.batch_write_item(RequestItems=requests)
            requests = answer.get("UnprocessedItems") or {}

    def _drop(self, gateway: DynamoGateway) -> None:
        """Delete whatever is left under the prefix; the next test gets a new prefix."""
        for table in ALL_TABLES:
            if gateway.describe(table) is not None:
                gateway.client.delete_table(TableName=gateway.table_name(table))
        self.prefix = ""
        self.shapes = {}


DYNOXIDE = DynoxideTables()
