"""`make run` over local data made by an earlier version: a clear message, and a rebuild that keeps the data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devtools import dynoxide
from devtools.run_local import ROOT
from portal.dynamo.gateway import DynamoGateway, serialize_item
from portal.dynamo.schema import ALL_TABLES, JOURNAL, create_table_request
from portal.dynamo.tables import create_missing_tables
from portal.ids import new_id
from tests.contract.test_tables import OLD_JOURNAL


def _manage(engine: dynoxide.Engine, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": engine.url,
        "DYNAMODB_TABLE_PREFIX": "",
        "DJANGO_DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "therapy_site.settings",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_it_stops_make_runs_setup_over_old_local_data_and_rebuilds_it_keeping_entries(tmp_path: Path) -> None:
    import boto3

    data_file = tmp_path / "dynamodb.sqlite"
    engine = dynoxide.start(db_path=data_file)
    try:
        client = boto3.client(
            "dynamodb", endpoint_url=engine.url, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
        )
        gateway = DynamoGateway(client, "")
        # What an earlier `make run` left: the old Journal, and every other table.
        client.create_table(**create_table_request(OLD_JOURNAL, ""))
        create_missing_tables(gateway, tables=tuple(t for t in ALL_TABLES if t is not JOURNAL))
        client_id = new_id()
        client.put_item(
            TableName="Journal",
            Item=serialize_item(
                {
                    "clientId": client_id,
                    "journalEntryId": new_id(),
                    "timeOfEmotion": "2025-03-01T09:30:00.000000Z",
                    "feeling": "sad",
                    "intensity": 4,
                    "sharedAt": "2025-03-02T09:30:00.000000Z",
                }
            ),
        )
        stopped = _manage(engine, "create_tables")
        assert stopped.returncode == 1
        assert "differ from portal/dynamo/schema.py" in stopped.stderr
        assert "LSI_Journal_FeelingTime" in stopped.stderr and "make rebuild-local-data" in stopped.stderr
    finally:
        engine.stop()

    port = dynoxide.free_port()
    rebuilt = subprocess.run(
        [sys.executable, "-m", "devtools.rebuild_local", "--data-file", str(data_file), "--dynamodb-port", str(port)],
        cwd=ROOT, env={**os.environ, "DYNAMODB_TABLE_PREFIX": "", "DJANGO_SETTINGS_MODULE": "therapy_site.settings"},
        capture_output=True, text=True, timeout=300,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Rebuilt Journal with 1 item(s)" in rebuilt.stdout

    engine = dynoxide.start(db_path=data_file)
    try:
        assert _manage(engine, "create_tables").returncode == 0
        client = boto3.client(
            "dynamodb", endpoint_url=engine.url, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
        )
        shared = client.query(
            TableName="Journal",
            IndexName="LSI_Journal_SharedByTime",
            KeyConditionExpression="clientId = :c",
            ExpressionAttributeValues={":c": {"S": client_id}},
        )["Items"]
        assert [i["sharedFeltAt"]["S"] for i in shared] == ["2025-03-01T09:30:00.000000Z"]
    finally:
        engine.stop()
