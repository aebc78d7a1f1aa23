"""One lazily created boto3 client per process, configured for quick failure."""

from __future__ import annotations

import importlib

from portal.dynamo import connection


def test_it_creates_no_client_at_import():
    connection.reset_gateway()
    importlib.reload(connection)
    assert connection._gateway is None


def test_it_reuses_one_client_within_a_process(dynamo):
    assert connection.get_gateway() is connection.get_gateway()
    assert connection.get_gateway().client is dynamo.client


def test_it_builds_a_new_client_after_a_fork(dynamo, monkeypatch):
    before = connection.get_gateway()
    monkeypatch.setattr(connection.os, "getpid", lambda: -1)
    assert connection.get_gateway() is not before


def test_it_uses_standard_retries_and_short_timeouts(dynamo):
    config = connection.get_gateway().client.meta.config
    assert config.retries["mode"] == "standard"
    assert config.connect_timeout <= 1
    assert config.read_timeout <= 2


def test_it_honours_the_table_prefix(settings, dynamo):
    settings.DYNAMODB_TABLE_PREFIX = "staging_"
    connection.reset_gateway()
    from portal.dynamo.schema import CLIENTS

    assert connection.get_gateway().table_name(CLIENTS) == "staging_Clients"
