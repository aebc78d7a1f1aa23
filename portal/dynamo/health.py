"""Whether the database answers, asked the way the production IAM policy allows."""

from __future__ import annotations

from portal.dynamo.base import Repository


class HealthRepository(Repository):
    def database_answers(self) -> bool:
        """One GetItem of the app's own table (see DynamoGateway.ping): True when it answers.

        Raises DatabaseUnavailable when DynamoDB does not answer (or the table
        is gone, or access is refused).
        """
        self.db.ping()
        return True
