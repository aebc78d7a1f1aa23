"""Fixtures shared by every test tier (the environment is set in tests/settings.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools import dynoxide
from portal.dynamo.connection import get_gateway, register_client_hook, reset_gateway
from portal.dynamo.gateway import DynamoGateway
from tests.doubles import stale_reads as stale_reads_double
from tests.dynamo_operations import POLICY_ADVICE, RECORDER, Use, as_rows, from_rows, missing_grants
from tests.reused_tables import DYNOXIDE, MOTO, moto_keeping_its_data

# The IAM policy test checks what the application did in DynamoDB during this run.
POLICY_TEST = "test_it_grants_every_operation_the_suite_made"
# Past this, the suite's longest tests (the accessibility sweep) bound the run, not the workers.
_MOST_WORKERS = 4

def pytest_configure(config: pytest.Config) -> None:
    # For the whole run, on every client the product builds (moto's and dynoxide's alike).
    register_client_hook("before-parameter-build.dynamodb", RECORDER.hook, "tests-operation-recorder")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pytest.ini): one worker per core for the suite or a folder of it; in-process for
    named files or tests, where starting workers (each imports Django and starts its own Chromium,
    dynoxide and live server when it needs them) would cost more than it saves.
    PYTEST_XDIST_AUTO_NUM_WORKERS overrides both; so do -n N and -p no:xdist."""
    override = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if override:
        return int(override)
    named = [str(arg).split("::")[0] for arg in config.option.file_or_dir or []]
    if named and all(Path(name).is_file() for name in named):
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, _MOST_WORKERS)


# --- the IAM policy check across pytest-xdist workers ----------------------------------
# Each worker records only the calls of the tests it ran, and a worker cannot wait for
# the others (xdist stops them only once every test, the waiting one included, is done).
# So each worker hands its record to the controller when it finishes, and the
# controller checks them all together once every worker is down.
_WORKER_USES = pytest.StashKey[set[Use]]()
_POLICY_SELECTED = pytest.StashKey[bool]()
_POLICY_PROBLEMS = pytest.StashKey[list[str]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker
        workeroutput["dynamodb_uses"] = as_rows(RECORDER.uses)
        workeroutput["policy_test_selected"] = any(item.name == POLICY_TEST for item in session.items)
        return
    if config.stash.get(_POLICY_SELECTED, False):
        problems = missing_grants(config.stash[_WORKER_USES])
        if problems:
            config.stash[_POLICY_PROBLEMS] = problems
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist's controller, as each worker finishes: keep its record of DynamoDB uses."""
    output = getattr(node, "workeroutput", None) or {}
    stash = node.config.stash
    stash[_WORKER_USES] = stash.get(_WORKER_USES, set()) | from_rows(output.get("dynamodb_uses", []))
    stash[_POLICY_SELECTED] = stash.get(_POLICY_SELECTED, False) or bool(output.get("policy_test_selected"))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    problems = config.stash.get(_POLICY_PROBLEMS, [])
    if problems:
        terminalreporter.section(f"{POLICY_TEST} (every worker's calls)", sep="=", red=True, bold=True)
        terminalreporter.line(POLICY_ADVICE.format("\n  ".join(problems)), red=True)


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
