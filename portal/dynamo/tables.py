"""Create the product's tables, check that existing ones have schema.py's shape, rebuild one.

Keys and local secondary indexes are fixed when a DynamoDB table is created,
and ``create_tables`` used to keep whatever table it found: a database made by
an earlier version (an old ``make run``) kept an old shape with no error, and
the first Query of a missing index failed at run time. Now every existing
table's keys and indexes are compared with schema.py and any difference stops
``create_tables`` with a message naming it and how to rebuild.

A missing global index is the one difference DynamoDB can mend on a live
table: UpdateTable creates the GSI and backfills it, and ``create_tables``
does that and waits until the index is ACTIVE (so a deployment that adds an
index never serves a Query of one that is not there yet). Everything else
needs a new table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from portal.dynamo.gateway import DynamoGateway, deserialize_item, serialize_item
from portal.dynamo.journal import upgrade_item as upgrade_journal_item
from portal.dynamo.schema import ALL_TABLES, Index, KeyPart, Table, create_table_request

Report = Callable[[str], None]
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]

# What an item written by an earlier shape needs to be indexed by the new one.
def upgrade_therapist_item(item: dict[str, Any]) -> dict[str, Any]:
    """A therapist with two-factor on is marked so, for the directory's index (which never copies the secret)."""
    if "mfaSecret" in item and "mfaEnabled" not in item:
        return {**item, "mfaEnabled": True}
    return item


UPGRADES: dict[str, Upgrade] = {"Journal": upgrade_journal_item, "Therapists": upgrade_therapist_item}
REBUILD_SUFFIX = "__rebuild"
_BATCH_WRITE_LIMIT = 25

REBUILD_HELP = (
    "Keys and local indexes are fixed when a table is created, so such a table has to be rebuilt.\n"
    "Local data (make run): run `make rebuild-local-data` (it copies every item of those tables into\n"
    "tables of the new shape; the same as `python manage.py rebuild_table --drifted` against the\n"
    "engine), or delete var/dynamodb.sqlite and run `make run` again (the demo data is loaded afresh).\n"
    "(A global index that is merely missing is added in place; nothing above is of that kind.)"
)


class SchemaDrift(Exception):
    """Existing tables differ from schema.py; ``differences`` names each difference."""

    def __init__(self, differences: list[str]) -> None:
        self.differences = differences
        super().__init__(
            "The DynamoDB tables differ from portal/dynamo/schema.py:\n"
            + "\n".join(f"  - {d}" for d in differences)
            + "\n"
            + REBUILD_HELP
        )


def _keys(parts: tuple[KeyPart, ...]) -> list[tuple[str, str]]:
    return [(p.attribute, p.key_type) for p in parts]


def _described_keys(raw: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in raw]


def _show(keys: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in keys) or "none"


def _show_projection(projection: str | None, included: list[str]) -> str:
    return f"INCLUDE ({', '.join(included)})" if projection == "INCLUDE" else str(projection)


def _index_differences(
    table: str, kind: str, expected: tuple[Index, ...], described: list[dict[str, Any]]
) -> list[str]:
    found = {index["IndexName"]: index for index in described}
    differences: list[str] = []
    for index in expected:
        actual = found.pop(index.name, None)
        if actual is None:
            differences.append(f"{table}: {kind} index {index.name} ({_show(_keys(index.keys))}) is missing")
            continue
        if _described_keys(actual["KeySchema"]) != _keys(index.keys):
            differences.append(
                f"{table}: {kind} index {index.name} has keys {_show(_described_keys(actual['KeySchema']))}, "
                f"schema.py says {_show(_keys(index.keys))}"
            )
        shape = actual.get("Projection", {})
        projection = shape.get("ProjectionType")
        included = sorted(shape.get("NonKeyAttributes", []))
        if projection != index.projection or (projection == "INCLUDE" and included != sorted(index.include)):
            differences.append(
                f"{table}: {kind} index {index.name} projects {_show_projection(projection, included)}, "
                f"schema.py says {_show_projection(index.projection, sorted(index.include))}"
            )
    for name, actual in found.items():
        differences.append(
            f"{table}: {kind} index {name} ({_show(_described_keys(actual['KeySchema']))}) is not in schema.py"
        )
    return differences


def schema_differences(table: Table, description: dict[str, Any]) -> list[str]:
    """How an existing table (its DescribeTable) differs from ``table``; empty when it matches."""
    name = table.name
    differences: list[str] = []
    actual_keys = _described_keys(description.get("KeySchema", []))
    if actual_keys != _keys(table.keys):
        differences.append(f"{name}: its key is {_show(actual_keys)}, schema.py says {_show(_keys(table.keys))}")
    types = {a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions", [])}
    for attribute in table.key_attributes():
        expected_type = table.attribute_types.get(attribute, "S")
        if attribute in types and types[attribute] != expected_type:
            differences.append(
                f"{name}: key attribute {attribute} is of type {types[attribute]}, schema.py says {expected_type}"
            )
    differences += _index_differences(
        name, "global", table.global_indexes, description.get("GlobalSecondaryIndexes", [])
    )
    differences += _index_differences(
        name, "local", table.local_indexes, description.get("LocalSecondaryIndexes", [])
    )
    return differences


def _wait_active(gateway: DynamoGateway, table: Table, timeout: float = 300.0, *, name: str | None = None) -> None:
    physical = name or gateway.table_name(table)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        description = gateway.client.describe_table(TableName=physical)["Table"]
        indexes_ready = all(
            index.get("IndexStatus", "ACTIVE") == "ACTIVE" for index in description.get("GlobalSecondaryIndexes", [])
        )
        if description.get("TableStatus") == "ACTIVE" and indexes_ready:
            return
        time.sleep(0.5)
    raise TimeoutError(f"{physical} did not become ACTIVE in {timeout:.0f} s")


def _wait_gone(gateway: DynamoGateway, name: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name not in _existing_names(gateway, name):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{name} was not deleted in {timeout:.0f} s")


def _existing_names(gateway: DynamoGateway, name: str) -> set[str]:
    try:
        gateway.client.describe_table(TableName=name)
    except gateway.client.exceptions.ResourceNotFoundException:
        return set()
    return {name}


def _ensure_ttl(gateway: DynamoGateway, table: Table, report: Report) -> None:
    if table.ttl_attribute is None:
        return
    name = gateway.table_name(table)
    current = gateway.client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}:
        return
    gateway.client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
    )
    report(f"enabled TTL on {name}.{table.ttl_attribute}")


def _wait_index_active(gateway: DynamoGateway, table: Table, index: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        description = gateway.describe(table) or {}
        statuses = {i["IndexName"]: i.get("IndexStatus", "ACTIVE") for i in description.get("GlobalSecondaryIndexes", [])}
        if statuses.get(index) == "ACTIVE":
            return
        time.sleep(1.0)
    raise TimeoutError(f"{index} on {gateway.table_name(table)} did not become ACTIVE in {timeout:.0f} s")


def _add_missing_global_indexes(gateway: DynamoGateway, table: Table, description: dict[str, object], report: Report) -> None:
    """A global index added to schema.py after the table was made is created in place (one at a
    time, as DynamoDB requires); local indexes cannot be added later, so those are not tried."""
    present = {i["IndexName"] for i in description.get("GlobalSecondaryIndexes", [])}  # type: ignore[attr-defined]
    request = create_table_request(table, gateway.prefix)
    for index in request.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] in present:
            continue
        names = {part["AttributeName"] for part in index["KeySchema"]}
        gateway.client.update_table(
            TableName=gateway.table_name(table),
            AttributeDefinitions=[d for d in request["AttributeDefinitions"] if d["AttributeName"] in names],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        _wait_index_active(gateway, table, index["IndexName"])
        report(f"added index {index['IndexName']} to {gateway.table_name(table)}")


def _only_missing_global_indexes(table: Table, description: dict[str, Any]) -> list[str]:
    """The differences left once missing global indexes are set aside (those are added in place)."""
    present = {index["IndexName"] for index in description.get("GlobalSecondaryIndexes", [])}
    missing = {index.name for index in table.global_indexes if index.name not in present}
    return [
        d
        for d in schema_differences(table, description)
        if not any(d.startswith(f"{table.name}: global index {name} (") and d.endswith(" is missing") for name in missing)
    ]


def create_missing_tables(
    gateway: DynamoGateway,
    *,
    tables: tuple[Table, ...] = ALL_TABLES,
    report: Report = lambda _line: None,
) -> list[str]:
    """Create every table that does not exist yet; returns the names created.

    A global index schema.py has and an existing table lacks is added in place
    (UpdateTable, waiting for its backfill). Any other difference (keys, local
    indexes, an index with other keys, an index schema.py does not have) raises
    SchemaDrift before anything is created or changed.
    """
    missing: list[Table] = []
    differences: list[str] = []
    existing: list[tuple[Table, dict[str, Any]]] = []
    for table in tables:
        description = gateway.describe(table)
        if description is None:
            missing.append(table)
            continue
        existing.append((table, description))
        differences += _only_missing_global_indexes(table, description)
    if differences:
        raise SchemaDrift(differences)
    for table, description in existing:
        report(f"exists:  {gateway.table_name(table)}")
        _add_missing_global_indexes(gateway, table, description, report)
    for table in missing:
        gateway.client.create_table(**create_table_request(table, gateway.prefix))
        report(f"created: {gateway.table_name(table)}")
    for table in missing:
        _wait_active(gateway, table)
    for table in tables:
        _ensure_ttl(gateway, table, report)
    return [gateway.table_name(t) for t in missing]


def drifted_tables(gateway: DynamoGateway, tables: tuple[Table, ...] = ALL_TABLES) -> list[Table]:
    """The existing tables whose keys or indexes differ from schema.py."""
    drifted = []
    for table in tables:
        description = gateway.describe(table)
        if description is not None and schema_differences(table, description):
            drifted.append(table)
    return drifted


# --- rebuilding one table into schema.py's shape -------------------------------------


def _items(gateway: DynamoGateway, name: str) -> Iterator[dict[str, Any]]:
    paginator = gateway.client.get_paginator("scan")
    for page in paginator.paginate(TableName=name, ConsistentRead=True):
        yield from page.get("Items", [])


def _copy(gateway: DynamoGateway, source: str, target: str, upgrade: Upgrade | None) -> int:
    copied = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        requests = [{"PutRequest": {"Item": item}} for item in batch]
        attempt = 0
        while requests:
            response = gateway.client.batch_write_item(RequestItems={target: requests})
            requests = response.get("UnprocessedItems", {}).get(target, [])
            if requests:
                attempt += 1
                time.sleep(min(1.0, 0.05 * 2**attempt))
        batch.clear()

    for raw in _items(gateway, source):
        batch.append(serialize_item(upgrade(deserialize_item(raw))) if upgrade else raw)
        copied += 1
        if len(batch) == _BATCH_WRITE_LIMIT:
            flush()
    if batch:
        flush()
    return copied


def _create_shaped(gateway: DynamoGateway, table: Table, name: str) -> None:
    request = create_table_request(table, gateway.prefix)
    request["TableName"] = name
    gateway.client.create_table(**request)
    _wait_active(gateway, table, name=name)


def rebuild_table(gateway: DynamoGateway, table: Table, *, report: Report = lambda _line: None) -> int:
    """Copy ``table`` into a new table of schema.py's shape under the same name; returns the items copied.

    DynamoDB cannot rename a table, so the items go to a holding table, the old
    table is deleted and recreated in the new shape, and the items come back.
    Run it again after an interruption: it carries on from the holding table.
    For local data (nothing is deployed yet); on AWS prefer a new table and a
    planned switch.
    """
    name = gateway.table_name(table)
    holding = name + REBUILD_SUFFIX
    upgrade = UPGRADES.get(table.name)
    original_exists = bool(_existing_names(gateway, name))
    holding_exists = bool(_existing_names(gateway, holding))
    if not original_exists and not holding_exists:
        raise ValueError(f"{name} does not exist: nothing to rebuild (create_tables creates it)")
    if original_exists:
        if holding_exists:
            # A run stopped while filling the holding table: start that copy again.
            gateway.client.delete_table(TableName=holding)
            _wait_gone(gateway, holding)
        _create_shaped(gateway, table, holding)
        copied = _copy(gateway, name, holding, upgrade)
        report(f"copied {copied} item(s) of {name} into {holding}")
        gateway.client.delete_table(TableName=name)
        _wait_gone(gateway, name)
        report(f"deleted {name}")
    _create_shaped(gateway, table, name)
    copied = _copy(gateway, holding, name, None)
    report(f"created {name} in the shape of schema.py and copied {copied} item(s) back")
    gateway.client.delete_table(TableName=holding)
    _wait_gone(gateway, holding)
    _ensure_ttl(gateway, table, report)
    return copied
