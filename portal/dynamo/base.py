"""What every repository shares: the gateway it talks through and paging."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from boto3.dynamodb.conditions import ConditionBase

from portal.domain import Page
from portal.dynamo.connection import get_gateway
from portal.dynamo.gateway import DynamoGateway, Item, QueryResult, serialize_item
from portal.dynamo.pagination import decode_cursor, encode_cursor
from portal.dynamo.schema import Table

T = TypeVar("T")

MAX_PAGE_SIZE = 100


def clamp_limit(limit: int, maximum: int = MAX_PAGE_SIZE) -> int:
    return max(1, min(limit, maximum))


class Repository:
    def __init__(self, gateway: DynamoGateway | None = None) -> None:
        self._gateway = gateway

    @property
    def db(self) -> DynamoGateway:
        # Resolved on use, so a repository built at import never opens a connection.
        return self._gateway or get_gateway()


def to_page(
    result: QueryResult,
    convert: Callable[[Item], T],
    scope: str,
    *,
    key_owners: Callable[[Item], Iterable[str]] | None = None,
) -> Page[T]:
    """A page of converted items; the page's clinical text shares one key scope.

    ``key_owners`` names the data-key owners an item's encrypted fields need,
    so a page spanning many owners (a therapist's agenda) loads their keys in
    one BatchGetItem instead of one GetItem each.
    """
    # Imported here: field_crypto's repository is itself built on this module.
    from portal.dynamo.field_crypto import data_key_scope

    with data_key_scope() as ring:
        if key_owners is not None and result.items:
            ring.prefetch(owner for item in result.items for owner in key_owners(item))
        items = [convert(item) for item in result.items]
    return Page(items=items, next_cursor=encode_cursor(result.last_key, scope))


def _position(table: Table, index: str | None, item: Item) -> dict[str, Any]:
    return serialize_item({name: item[name] for name in table.position_attributes(index)})


def _kept_page(
    result: QueryResult,
    *,
    table: Table,
    index: str | None,
    limit: int,
    convert: Callable[[Item], T],
    scope: str,
    key_owners: Callable[[Item], Iterable[str]] | None = None,
) -> Page[T]:
    """A page of at most ``limit`` items from a read of ``limit + 1``.

    DynamoDB hands back a LastEvaluatedKey whenever it stops at the limit, even
    when nothing follows: a journal of exactly 20 entries would offer "load
    more" and then show nothing. Reading one more tells: if it is there, the
    cursor is the position of the last item kept; if not, there is no next page.
    (A read that stopped early for another reason, DynamoDB's 1 MB per call or
    a filter, still returns its own LastEvaluatedKey, and that one is used.)
    """
    if len(result.items) > limit:
        kept = result.items[:limit]
        page = to_page(QueryResult(items=kept, last_key=None), convert, scope, key_owners=key_owners)
        return Page(items=page.items, next_cursor=encode_cursor(_position(table, index, kept[-1]), scope))
    return to_page(result, convert, scope, key_owners=key_owners)


def query_page(
    db: DynamoGateway,
    table: Table,
    key_condition: ConditionBase,
    *,
    limit: int,
    scope: str,
    cursor: str | None,
    convert: Callable[[Item], T],
    index: str | None = None,
    forward: bool = True,
    consistent: bool = False,
    filter_condition: ConditionBase | None = None,
    key_owners: Callable[[Item], Iterable[str]] | None = None,
) -> Page[T]:
    """One Query for one page: ``limit`` items and a cursor only when more follow."""
    limit = clamp_limit(limit)
    result = db.query(
        table,
        key_condition,
        limit=limit + 1,
        index=index,
        forward=forward,
        start_key=decode_cursor(cursor, scope),
        filter_condition=filter_condition,
        consistent=consistent,
    )
    return _kept_page(
        result, table=table, index=index, limit=limit, convert=convert, scope=scope, key_owners=key_owners
    )


def scan_page(
    db: DynamoGateway,
    table: Table,
    *,
    limit: int,
    scope: str,
    cursor: str | None,
    convert: Callable[[Item], T],
    key_owners: Callable[[Item], Iterable[str]] | None = None,
    projection: Sequence[str] = (),
) -> Page[T]:
    """One Scan call for one page (staff listings only), with the same rule for the cursor.

    A ``projection`` must include the table's key attributes (the cursor is built from them).
    """
    limit = clamp_limit(limit)
    result = db.scan(table, limit=limit + 1, start_key=decode_cursor(cursor, scope), projection=projection)
    return _kept_page(
        result, table=table, index=None, limit=limit, convert=convert, scope=scope, key_owners=key_owners
    )


def optional(item: Item, name: str, default: Any = None) -> Any:
    return item.get(name, default)
