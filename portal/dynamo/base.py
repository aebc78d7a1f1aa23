"""What every repository shares: the gateway it talks through and paging."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from portal.domain import Page
from portal.dynamo.connection import get_gateway
from portal.dynamo.gateway import DynamoGateway, Item, QueryResult
from portal.dynamo.pagination import encode_cursor

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


def optional(item: Item, name: str, default: Any = None) -> Any:
    return item.get(name, default)
