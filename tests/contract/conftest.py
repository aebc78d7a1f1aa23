"""Repository contract tests run twice: on moto, and on the real local engine.

moto accepts some requests DynamoDB refuses; dynoxide validates like DynamoDB.
Both must pass.
"""

from __future__ import annotations

import pytest

from portal.dynamo.gateway import DynamoGateway


@pytest.fixture(params=["moto", "dynoxide"])
def dynamo(request: pytest.FixtureRequest) -> DynamoGateway:
    return request.getfixturevalue(f"{request.param}_dynamo")
