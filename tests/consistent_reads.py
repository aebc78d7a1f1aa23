"""See which BatchGetItem reads a block makes, and whether each asked for a consistent read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from portal.dynamo.connection import get_gateway


@contextmanager
def batch_gets() -> Iterator[list[tuple[str, bool]]]:
    """Yields a list that fills with (logical table name, ConsistentRead) for every table a BatchGetItem reads."""
    gateway = get_gateway()
    events = gateway.client.meta.events
    reads: list[tuple[str, bool]] = []
    hook_id = f"consistent-reads-{id(reads)}"
    prefix = gateway.prefix

    def hook(params: dict[str, Any], **_: Any) -> None:
        for name, request in params.get("RequestItems", {}).items():
            reads.append((name.removeprefix(prefix), bool(request.get("ConsistentRead", False))))

    events.register("before-parameter-build.dynamodb.BatchGetItem", hook, unique_id=hook_id)
    try:
        yield reads
    finally:
        events.unregister("before-parameter-build.dynamodb.BatchGetItem", unique_id=hook_id)
