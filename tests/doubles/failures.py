"""A gateway that fails one chosen call, the way an outage in the middle of a request does."""

from __future__ import annotations

from typing import Any

from portal.domain import DatabaseUnavailable
from portal.dynamo.gateway import DynamoGateway, QueryResult
from portal.dynamo.schema import Table


class FailingQueryGateway(DynamoGateway):
    """Raises DatabaseUnavailable (what botocore's exhausted retries become) on the n-th Query of a table."""

    def __init__(self, inner: DynamoGateway, *, table: Table, fail_on: int) -> None:
        super().__init__(inner.client, inner.prefix)
        self.table = table
        self.fail_on = fail_on
        self.queries = 0

    def query(self, table: Table, key_condition: Any, **kwargs: Any) -> QueryResult:
        if table.name == self.table.name:
            self.queries += 1
            if self.queries == self.fail_on:
                raise DatabaseUnavailable("ServiceUnavailable")
        return super().query(table, key_condition, **kwargs)
