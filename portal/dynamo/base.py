"""What every repository shares: the gateway it talks through and paging."""

from __future__ import annotations

from collections.abc import Callable
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


def to_page(result: QueryResult, convert: Callable[[Item], T], scope: str) -> Page[T]:
    return Page(
        items=[convert(item) for item in result.items],
        next_cursor=encode_cursor(result.last_key, scope),
    )


def optional(item: Item, name: str, default: Any = None) -> Any:
    return item.get(name, default)
