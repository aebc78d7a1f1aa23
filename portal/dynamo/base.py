"""Pages of repository lists, their clinical text decrypted under one key scope.

``Repository``, ``clamp_limit`` and the rule for where a page ends live in
``portal.dynamo.repository`` (which the data key repository is built on) and
are re-exported here for the repositories that list. This module imports
``field_crypto`` (which imports the data key repository), never the other way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from boto3.dynamodb.conditions import ConditionBase

from portal.domain import Page
from portal.dynamo.field_crypto import data_key_scope
from portal.dynamo.gateway import DynamoGateway, Item, QueryResult
from portal.dynamo.pagination import decode_cursor, encode_cursor
from portal.dynamo.repository import MAX_PAGE_SIZE, Repository, clamp_limit, optional, within_limit
from portal.dynamo.schema import Table

__all__ = [
    "MAX_PAGE_SIZE",
    "Repository",
    "clamp_limit",
    "kept_page",
    "optional",
    "query_page",
    "scan_page",
    "to_page",
]

T = TypeVar("T")


def to_page(
    result: QueryResult,
    convert: Callable[[Item], T],
    scope: str,
    *,
    key_owners: Callable[[Item], Iterable[str]] | None = None,
) -> Page[T]:
    """A page of converted items, its cursor ``result``'s own key; the page's clinical text shares one key scope.

    For a read whose end is known (``kept_page`` decides it for a read of
    ``limit + 1``; ``query_page`` and ``scan_page`` do both). ``key_owners``
    names the data-key owners an item's encrypted fields need, so a page
    spanning many owners (a therapist's agenda) loads their keys in one
    BatchGetItem instead of one GetItem each.
    """
    with data_key_scope() as ring:
        if key_owners is not None and result.items:
            ring.prefetch(owner for item in result.items for owner in key_owners(item))
        items = [convert(item) for item in result.items]
    return Page(items=items, next_cursor=encode_cursor(result.last_key, scope))


def kept_page(
    result: QueryResult,
    *,
    table: Table,
    index: str | None,
    limit: int,
    convert: Callable[[Item], T],
    scope: str,
    key_owners: Callable[[Item], Iterable[str]] | None = None,
) -> Page[T]:
    """A page of at most ``limit`` items from a read of ``limit + 1``: a cursor only when more follow."""
    kept = within_limit(result, table=table, index=index, limit=limit)
    return to_page(kept, convert, scope, key_owners=key_owners)


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
    return kept_page(
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
    return kept_page(
        result, table=table, index=None, limit=limit, convert=convert, scope=scope, key_owners=key_owners
    )
