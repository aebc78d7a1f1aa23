"""One lazily created boto3 client per process, configured for quick failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from portal.dynamo import connection

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: every botocore client creation (boto3.client,
# Session.client and resources all end in create_client) is recorded before
# anything of the project is imported, then the WSGI application is loaded
# exactly as gunicorn's master does before it forks.
_IMPORT_WSGI = """
import json
import botocore.session

created = []
original = botocore.session.Session.create_client

def recording(self, service_name, *args, **kwargs):
    created.append(service_name)
    return original(self, service_name, *args, **kwargs)

botocore.session.Session.create_client = recording

import therapy_site.wsgi  # noqa: F401
from portal.dynamo import connection

print(json.dumps({"created": created, "gateway": connection._gateway is not None}))
"""


def test_it_creates_no_client_at_import():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_WSGI],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"created": [], "gateway": False}


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
