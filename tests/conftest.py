"""Fixtures shared by every test tier (the environment is set in tests/settings.py)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import pytest
from moto import mock_aws

from devtools import dynoxide
from portal.dynamo.connection import get_gateway, reset_gateway
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import ALL_TABLES
from portal.dynamo.tables import create_missing_tables
from tests.doubles import stale_reads as stale_reads_double

_prefixes = count(1)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    # Argon2 is deliberately slow; tests that are about hashing override this back.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def moto_dynamo(settings: object) -> Iterator[DynamoGateway]:
    """Every table, empty, on moto in-process."""
    with mock_aws():
        settings.DYNAMODB_ENDPOINT_URL = None  # type: ignore[attr-defined]
        settings.DYNAMODB_TABLE_PREFIX = ""  # type: ignore[attr-defined]
        reset_gateway()
        gateway = get_gateway()
        create_missing_tables(gateway)
        yield gateway
        reset_gateway()


@pytest.fixture(scope="session")
def dynoxide_engine() -> Iterator[dynoxide.Engine]:
    """One in-memory dynoxide for the whole run, on a free port."""
    engine = dynoxide.start()
    yield engine
    engine.stop()


@pytest.fixture
def dynoxide_dynamo(dynoxide_engine: dynoxide.Engine, settings: object) -> Iterator[DynamoGateway]:
    """Every table, empty, on the real local engine (fresh table prefix per test)."""
    settings.DYNAMODB_ENDPOINT_URL = dynoxide_engine.url  # type: ignore[attr-defined]
    settings.DYNAMODB_TABLE_PREFIX = f"t{next(_prefixes)}_"  # type: ignore[attr-defined]
    reset_gateway()
    gateway = get_gateway()
    create_missing_tables(gateway)
    yield gateway
    for table in ALL_TABLES:
        gateway.client.delete_table(TableName=gateway.table_name(table))
    reset_gateway()


@pytest.fixture
def dynamo(moto_dynamo: DynamoGateway) -> DynamoGateway:
    """The default engine for unit, service and view tests: moto."""
    return moto_dynamo


@pytest.fixture
def stale_reads(dynamo: DynamoGateway) -> Iterator[stale_reads_double.StaleReadGateway]:
    """The app's gateway, replaced by one whose eventually consistent reads are one write behind."""
    double = stale_reads_double.StaleReadGateway(dynamo)
    with stale_reads_double.installed(double):
        yield double
