"""What every repository shares: the gateway it talks through, page sizes, and where a page ends.

Nothing here reads clinical text, so nothing here needs the data keys: the data
key repository itself is built on this module, and the paging that decrypts a
page's items (``portal.dynamo.base``) is built on both. Kept apart so the three
never import each other in a circle.
"""

from __future__ import annotations

from typing import Any

from portal.dynamo.connection import get_gateway
from portal.dynamo.gateway import DynamoGateway, Item, QueryResult, serialize_item
from portal.dynamo.schema import Table

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


def _position(table: Table, index: str | None, item: Item) -> dict[str, Any]:
    return serialize_item({name: item[name] for name in table.position_attributes(index)})


def within_limit(result: QueryResult, *, table: Table, index: str | None, limit: int) -> QueryResult:
    """At most ``limit`` items from a read of ``limit + 1``, and a key to go on from only when more follow.

    DynamoDB hands back a LastEvaluatedKey whenever it stops at the limit, even
    when nothing follows: a list of exactly 20 items would offer "load more"
    and then show nothing. Reading one more tells: if it is there, the key is
    the position of the last item kept; if not, there is no next page. (A read
    that stopped early for another reason, DynamoDB's 1 MB per call or a
    filter, still returns its own LastEvaluatedKey, and that one is used.)
    """
    if len(result.items) > limit:
        kept = result.items[:limit]
        return QueryResult(items=kept, last_key=_position(table, index, kept[-1]))
    return result


def optional(item: Item, name: str, default: Any = None) -> Any:
    return item.get(name, default)
