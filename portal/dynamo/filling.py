"""A page from a filtered Query: one call, a stated read budget.

A FilterExpression applies after DynamoDB reads ``Limit`` items. So a listing
whose rows are a filtered subset asks for a page of ``page_size`` matches while
letting DynamoDB read up to ``read_budget`` items in the one Query: the page is
full unless the budget ran out or the index ended, and its cost is one call
whatever the data. When more items matched than the page holds, the cursor
continues right after the last one shown, so nothing is skipped.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import ConditionBase

from portal.dynamo.gateway import DynamoGateway, Item, QueryResult, serialize_item
from portal.dynamo.schema import Table


def _key_of(item: Item, table: Table, index: str | None) -> dict[str, Any]:
    """The LastEvaluatedKey DynamoDB would give after ``item`` (table keys plus the index's)."""
    names = [part.attribute for part in table.keys]
    if index:
        found = next(i for i in table.global_indexes + table.local_indexes if i.name == index)
        names += [part.attribute for part in found.keys if part.attribute not in names]
    return serialize_item({name: item[name] for name in names})


def query_within_budget(
    db: DynamoGateway,
    table: Table,
    key_condition: ConditionBase,
    *,
    page_size: int,
    read_budget: int,
    filter_condition: ConditionBase,
    index: str | None = None,
    forward: bool = True,
    start_key: dict[str, Any] | None = None,
    consistent: bool = False,
) -> QueryResult:
    """Up to ``page_size`` matching items from one Query reading at most ``read_budget`` items."""
    result = db.query(
        table,
        key_condition,
        limit=max(page_size, read_budget),
        index=index,
        forward=forward,
        start_key=start_key,
        filter_condition=filter_condition,
        consistent=consistent,
    )
    if len(result.items) > page_size:
        shown = result.items[:page_size]
        return QueryResult(items=shown, last_key=_key_of(shown[-1], table, index))
    return result
