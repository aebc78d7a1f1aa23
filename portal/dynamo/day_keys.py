"""Sharded day keys: one UTC day spread over DAY_SHARDS partitions of an index, read back together.

An index keyed by the day alone puts every write of that day on one partition,
and a global index that throttles holds back the writes of its table (schema.py,
"Sharded day keys"). So the key is ``<day>#<n>``, ``n`` from the item's own id
(a rewrite of the same item lands in the same shard), and a reader asks every
shard of the day: a fixed number of Queries whatever the traffic. The bare day
is read too, as one more partition: items written before the keys were sharded
sit there until they leave the index or their day passes out of every reader's
reach.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import ConditionBase, Key

from portal.domain import Page
from portal.dynamo.gateway import DynamoGateway, Item, serialize_item
from portal.dynamo.pagination import decode_cursor, encode_cursor
from portal.dynamo.schema import DAY_SHARDS, Table


def shard_of(entity: str) -> int:
    """The shard of an item, from a stable id of it (never random: rewrites stay put)."""
    return int.from_bytes(hashlib.sha256(entity.encode()).digest()[:4], "big") % DAY_SHARDS


def day_key(day: str, entity: str) -> str:
    return f"{day}#{shard_of(entity)}"


def day_partitions(day: str) -> tuple[str, ...]:
    """Every partition one day's items may be in: its shards, then the bare day (written before sharding)."""
    return (*(f"{day}#{n}" for n in range(DAY_SHARDS)), day)


def query_day(
    db: DynamoGateway,
    table: Table,
    index: str,
    day: str,
    *,
    sort_condition: Callable[[Key], ConditionBase] | None = None,
    limit: int,
) -> list[Item]:
    """Every partition of ``day`` (one Query each, at most ``limit`` items each), merged in sort-key order."""
    parts = table.index(index).keys
    hash_key = next(p.attribute for p in parts if p.key_type == "HASH")
    sort_key = next(p.attribute for p in parts if p.key_type == "RANGE")
    items: list[Item] = []
    for partition in day_partitions(day):
        condition: ConditionBase = Key(hash_key).eq(partition)
        if sort_condition is not None:
            condition = condition & sort_condition(Key(sort_key))
        items.extend(db.query(table, condition, index=index, limit=limit).items)
    return sorted(items, key=lambda item: item[sort_key])


def query_day_page(
    db: DynamoGateway,
    table: Table,
    index: str,
    day: str,
    *,
    limit: int,
    scope: str,
    cursor: str | None,
    convert: Callable[[Item], Any],
    newest_first: bool = True,
) -> Page[Any]:
    """One page of a day's items across its partitions, in sort-key order: one Query per partition
    still holding items, the cursor keeping each partition's own position."""
    parts = table.index(index).keys
    hash_key = next(p.attribute for p in parts if p.key_type == "HASH")
    sort_key = next(p.attribute for p in parts if p.key_type == "RANGE")
    position_names = table.position_attributes(index)
    decoded = decode_cursor(cursor, scope)
    if decoded is not None:
        positions: dict[str, Any] = dict(decoded.get("positions", {}))
    else:
        positions = {partition: None for partition in day_partitions(day)}
    read: list[tuple[str, Item]] = []
    more: dict[str, bool] = {}
    for partition, start in positions.items():
        # One more than the page, so a partition that has nothing after the page says so.
        result = db.query(
            table, Key(hash_key).eq(partition), index=index, limit=limit + 1, forward=not newest_first, start_key=start
        )
        read.extend((partition, item) for item in result.items)
        more[partition] = result.last_key is not None
    read.sort(key=lambda pair: pair[1][sort_key], reverse=newest_first)
    kept = read[:limit]
    next_positions: dict[str, Any] = {}
    for partition, start in positions.items():
        taken = [item for p, item in kept if p == partition]
        left = sum(1 for p, _item in read[limit:] if p == partition)
        if taken and (left or more[partition]):
            next_positions[partition] = serialize_item({n: taken[-1][n] for n in position_names})
        elif not taken and (left or more[partition]):
            next_positions[partition] = start
    items = [convert(item) for _partition, item in kept]
    next_cursor = encode_cursor({"positions": next_positions}, scope) if next_positions else None
    return Page(items=items, next_cursor=next_cursor)
