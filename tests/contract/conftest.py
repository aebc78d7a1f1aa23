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


@pytest.fixture
def lossy(dynoxide_dynamo: DynamoGateway, dynoxide_engine: object):  # type: ignore[no-untyped-def]
    """(proxy, gateway): the gateway reaches dynoxide through a proxy that can lose answers."""
    from tests.doubles.lossy_proxy import LossyProxy

    proxy = LossyProxy(dynoxide_engine.url)  # type: ignore[attr-defined]
    gateway = DynamoGateway(proxy.client(), dynoxide_dynamo.prefix)
    yield proxy, gateway
    proxy.stop()
