"""Create the product's tables: whatever is missing, safe to run again."""

from __future__ import annotations

import time
from collections.abc import Callable

from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import ALL_TABLES, Table, create_table_request

Report = Callable[[str], None]


def _wait_active(gateway: DynamoGateway, table: Table, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        description = gateway.describe(table)
        if description and description.get("TableStatus") == "ACTIVE":
            return
        time.sleep(1.0)
    raise TimeoutError(f"{gateway.table_name(table)} did not become ACTIVE in {timeout:.0f} s")


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


def create_missing_tables(
    gateway: DynamoGateway,
    *,
    tables: tuple[Table, ...] = ALL_TABLES,
    report: Report = lambda _line: None,
) -> list[str]:
    """Create every table that does not exist yet; returns the names created."""
    created: list[Table] = []
    for table in tables:
        name = gateway.table_name(table)
        description = gateway.describe(table)
        if description is not None:
            report(f"exists:  {name}")
            _add_missing_global_indexes(gateway, table, description, report)
            continue
        gateway.client.create_table(**create_table_request(table, gateway.prefix))
        created.append(table)
        report(f"created: {name}")
    for table in created:
        _wait_active(gateway, table)
    for table in tables:
        _ensure_ttl(gateway, table, report)
    return [gateway.table_name(t) for t in created]
