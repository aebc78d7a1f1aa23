"""Whether the database answers, asked the way the production IAM policy allows."""

from __future__ import annotations

from portal.dynamo.base import Repository
from portal.dynamo.schema import CLIENTS


class HealthRepository(Repository):
    def database_answers(self) -> bool:
        """One DescribeTable of the Clients table: True when it answers ACTIVE.

        Raises DatabaseUnavailable when DynamoDB does not answer (or the table
        is gone, or access is refused).
        """
        return self.db.ping(CLIENTS)
