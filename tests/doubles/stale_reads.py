"""A gateway whose eventually consistent reads answer with the previous version of each item.

moto and dynoxide answer every read with the latest write; AWS DynamoDB may
not. An eventually consistent GetItem, Query or BatchGetItem (and any Query of
a GSI, which cannot be consistent) can return the item as it was before its
latest write, or not at all right after it was created. This double makes that
worst case happen every time: before each write it remembers the item as it
was, and every read that does not ask for ``ConsistentRead`` is answered with
that remembered version (absent for an item created by its latest write, which
is what an email GSI looks like right after sign-up). Consistent reads see the
truth.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import boto3

from portal.dynamo import connection
from portal.dynamo.gateway import (
    DynamoGateway,
    Item,
    Key,
    QueryResult,
    TransactOp,
    TransactPut,
)
from portal.dynamo.schema import ALL_TABLES, Table

_TABLES = {table.name: table for table in ALL_TABLES}


def _identity(table: Table, item: Mapping[str, Any]) -> tuple[str, tuple[tuple[str, Any], ...]]:
    return table.name, tuple((part.attribute, item[part.attribute]) for part in table.keys)


class StaleReadGateway(DynamoGateway):
    def __init__(self, inner: DynamoGateway) -> None:
        super().__init__(inner.client, inner.prefix)
        # The double's own look-ups go through a client of their own, so they are
        # neither counted as the page's calls nor recorded as the application's.
        self._reader = DynamoGateway(
            boto3.client(
                "dynamodb",
                region_name=inner.client.meta.region_name,
                endpoint_url=inner.client.meta.endpoint_url,
            ),
            inner.prefix,
        )
        # The version of each written item from before its latest write (None: it did not exist).
        self.previous: dict[tuple[str, tuple[tuple[str, Any], ...]], Item | None] = {}
        self.stale_answers = 0

    # --- writes remember what they replace ----------------------------------------

    def _remember(self, table: Table, key: Mapping[str, Any]) -> None:
        key = {part.attribute: key[part.attribute] for part in table.keys}
        self.previous[_identity(table, key)] = self._reader.get(table, key, consistent=True)

    def put(self, table: Table, item: Mapping[str, Any], **kwargs: Any) -> None:
        self._remember(table, item)
        super().put(table, item, **kwargs)

    def update(self, table: Table, key: Key, **kwargs: Any) -> Item:
        self._remember(table, key)
        return super().update(table, key, **kwargs)

    def delete(self, table: Table, key: Key, **kwargs: Any) -> Item | None:
        self._remember(table, key)
        return super().delete(table, key, **kwargs)

    def transact_write(self, operations: Sequence[TransactOp]) -> None:
        for op in operations:
            self._remember(op.table, op.item if isinstance(op, TransactPut) else op.key)
        super().transact_write(operations)

    # --- eventually consistent reads answer with the remembered version ------------

    def _stale(self, table: Table, item: Item) -> Item | None:
        identity = _identity(table, item)
        if identity not in self.previous:
            return item
        self.stale_answers += 1
        old = self.previous[identity]
        return dict(old) if old is not None else None

    def get(self, table: Table, key: Key, *, consistent: bool = False) -> Item | None:
        if consistent:
            return super().get(table, key, consistent=True)
        identity = _identity(table, key)
        if identity in self.previous:
            self.stale_answers += 1
            old = self.previous[identity]
            return dict(old) if old is not None else None
        return super().get(table, key)

    def query(self, table: Table, key_condition: Any, **kwargs: Any) -> QueryResult:
        result = super().query(table, key_condition, **kwargs)
        if kwargs.get("consistent"):
            return result
        items = [old for item in result.items if (old := self._stale(table, item)) is not None]
        return QueryResult(items=items, last_key=result.last_key)

    def batch_get(self, table: Table, keys: Sequence[Key], *, consistent: bool = False) -> list[Item]:
        found = super().batch_get(table, keys, consistent=consistent)
        if consistent:
            return found
        return [old for item in found if (old := self._stale(table, item)) is not None]


@contextmanager
def installed(double: DynamoGateway) -> Iterator[None]:
    """Make ``double`` the gateway every repository of this process uses."""
    with connection._lock:
        saved = connection._gateway
        connection._gateway = double
    try:
        yield
    finally:
        with connection._lock:
            connection._gateway = saved
