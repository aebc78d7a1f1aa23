"""Count the DynamoDB API calls made while a block runs.

A botocore event hook on the process's client sees every API call (retries of
one call are not counted twice), so a test can assert that a page costs a fixed
number of calls whatever the data size.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from portal.dynamo.connection import get_gateway


@dataclass
class CallLog:
    operations: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, operation: str) -> None:
        with self._lock:
            self.operations.append(operation)

    @property
    def total(self) -> int:
        return len(self.operations)

    def count(self, operation: str) -> int:
        return self.operations.count(operation)

    def by_operation(self) -> dict[str, int]:
        return dict(Counter(self.operations))


@contextmanager
def count_dynamodb_calls() -> Iterator[CallLog]:
    log = CallLog()
    events = get_gateway().client.meta.events
    hook_id = f"portal-call-counter-{id(log)}"

    def hook(model: Any, **_: Any) -> None:
        log.record(model.name)

    events.register("before-call.dynamodb", hook, unique_id=hook_id)
    try:
        yield log
    finally:
        events.unregister("before-call.dynamodb", unique_id=hook_id)
