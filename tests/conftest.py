"""Fixtures shared by every test tier (the environment is set in tests/settings.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools import dynoxide
from portal.dynamo.connection import get_gateway, register_client_hook, reset_gateway
from portal.dynamo.gateway import DynamoGateway
from tests.doubles import stale_reads as stale_reads_double
from tests.dynamo_operations import RECORDER
from tests.reused_tables import DYNOXIDE, MOTO, moto_keeping_its_data

# The IAM policy test checks what the application did in DynamoDB during this run.
POLICY_TEST = "test_it_grants_every_operation_the_suite_made"

def pytest_configure(config: pytest.Config) -> None:
    # For the whole run, on every client the product builds (moto's and dynoxide's alike).
    register_client_hook("before-parameter-build.dynamodb", RECORDER.hook, "tests-operation-recorder")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The policy check must see every other test's calls, so it runs last.
    items.sort(key=lambda item: item.name == POLICY_TEST)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    # Argon2 is deliberately slow; tests that are about hashing override this back.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def moto_dynamo(settings: object) -> Iterator[DynamoGateway]:
    """Every table, empty, on moto in-process.

    The tables outlive the test (tests/reused_tables.py): made once, emptied
    after each test, made afresh after a test that changed them.
    """
    with moto_keeping_its_data():
        settings.DYNAMODB_ENDPOINT_URL = None  # type: ignore[attr-defined]
        settings.DYNAMODB_TABLE_PREFIX = ""  # type: ignore[attr-defined]
        reset_gateway()
        gateway = get_gateway()
        MOTO.ready(gateway, settings.AWS_REGION)  # type: ignore[attr-defined]
        try:
            yield gateway
        finally:
            reset_gateway()
            MOTO.empty()


@pytest.fixture(scope="session")
def dynoxide_engine() -> Iterator[dynoxide.Engine]:
    """One in-memory dynoxide for the whole run, on a free port."""
    engine = dynoxide.start()
    yield engine
    engine.stop()


@pytest.fixture
def dynoxide_dynamo(dynoxide_engine: dynoxide.Engine, settings: object) -> Iterator[DynamoGateway]:
    """Every table, empty, on the real local engine.

    Kept across tests like moto's (tests/reused_tables.py); tables a test changed
    are dropped and the next test gets new ones under a new prefix.
    """
    settings.DYNAMODB_ENDPOINT_URL = dynoxide_engine.url  # type: ignore[attr-defined]
    prefix = DYNOXIDE.prefix_for(dynoxide_engine.url, settings.AWS_REGION)  # type: ignore[attr-defined]
    settings.DYNAMODB_TABLE_PREFIX = prefix  # type: ignore[attr-defined]
    reset_gateway()
    gateway = get_gateway()
    DYNOXIDE.ready()
    yield gateway
    reset_gateway()
    DYNOXIDE.empty()


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
