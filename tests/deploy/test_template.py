"""deploy/dynamodb.template.json is exactly what schema.py and access.py produce."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.dynamo import deployment
from portal.dynamo.deployment import TEMPLATE_PATH, cloudformation_template, render_template
from portal.dynamo.schema import ALL_TABLES, JOURNAL, WEB_SESSIONS, Table, _h


def test_it_matches_the_committed_template() -> None:
    assert TEMPLATE_PATH.read_text() == render_template(), (
        "deploy/dynamodb.template.json is out of date: run `DJANGO_DEBUG=true .venv/bin/python manage.py deploy_templates` and commit it."
    )


def test_it_declares_every_table_with_its_indexes_ttl_and_protection() -> None:
    resources = cloudformation_template()["Resources"]

    for table in ALL_TABLES:
        properties = resources[f"{table.name}Table"]["Properties"]
        assert properties["TableName"] == {"Fn::Sub": f"${{TablePrefix}}{table.name}"}
        assert properties["DeletionProtectionEnabled"] is True
        assert resources[f"{table.name}Table"]["DeletionPolicy"] == "Retain"
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": table.point_in_time_recovery
        }
        assert [i["IndexName"] for i in properties.get("GlobalSecondaryIndexes", [])] == [
            i.name for i in table.global_indexes
        ]
        assert [i["IndexName"] for i in properties.get("LocalSecondaryIndexes", [])] == [
            i.name for i in table.local_indexes
        ]
    assert resources["WebSessionsTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": WEB_SESSIONS.ttl_attribute,
        "Enabled": True,
    }
    assert "TimeToLiveSpecification" not in resources["JournalTable"]["Properties"]


def test_it_turns_point_in_time_recovery_off_where_the_schema_says(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = Table(name="Keys", keys=(_h("keyId"),), seed=False, point_in_time_recovery=False)
    monkeypatch.setattr(deployment, "ALL_TABLES", (JOURNAL, keys))
    monkeypatch.setattr(deployment, "APP_OPERATIONS", {"Journal": ("Query",), "Keys": ("GetItem",)})
    monkeypatch.setattr(deployment, "MAINTENANCE_OPERATIONS", {"Keys": ("Scan",)})

    resources = cloudformation_template()["Resources"]

    assert resources["KeysTable"]["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": False
    }
    assert resources["JournalTable"]["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }


def test_it_refuses_an_operation_on_a_table_schema_py_does_not_have(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deployment, "APP_OPERATIONS", {"Nope": ("GetItem",)})

    with pytest.raises(CommandError, match="'Nope' names no table of schema.py"):
        call_command("deploy_templates", "--check")


def test_it_renders_json_that_round_trips() -> None:
    assert json.loads(render_template()) == cloudformation_template()
