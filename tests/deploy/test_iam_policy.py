"""The app servers' IAM policy allows every DynamoDB operation the application makes, and only those."""

from __future__ import annotations

import json

import pytest

from portal.dynamo import deployment
from portal.dynamo.access import MAINTENANCE_COMMANDS, NO_WEB_SCAN
from portal.dynamo.deployment import (
    MAX_PREFIX_LENGTH,
    POLICY_SIZE_LIMIT,
    cloudformation_template,
    policy_document,
    policy_documents,
)
from tests.dynamo_operations import POLICY_ADVICE, RECORDER, Use, missing_grants, uses_of


def test_it_names_the_line_to_add_for_an_operation_the_policy_lacks() -> None:
    lines = missing_grants(
        {
            Use("Scan", "Journal"),
            Use("Query", "Clients", "GSI_Clients_ByEmail"),
            Use("Query", "Session", "GSI_New"),
            Use("GetItem", "NewTable"),
        }
    )

    assert lines == [
        'add "Scan" to APP_OPERATIONS["Journal"]',
        "GetItem on table 'NewTable', which is not in portal/dynamo/schema.py: "
        "add the table to schema.py (ALL_TABLES) and its operations to APP_OPERATIONS",
        'add "Session/index/GSI_New": ("Query",), to APP_OPERATIONS',
    ]


def test_it_records_the_iam_actions_a_transaction_needs_per_item() -> None:
    params = {
        "TransactItems": [
            {"Put": {"TableName": "t3_Clients", "Item": {}}},
            {"ConditionCheck": {"TableName": "t3_EmailClaims", "Key": {}}},
            {"Delete": {"TableName": "t3_EmailClaims", "Key": {}}},
        ]
    }

    assert list(uses_of("TransactWriteItems", params)) == [
        Use("PutItem", "Clients"),
        Use("ConditionCheckItem", "EmailClaims"),
        Use("DeleteItem", "EmailClaims"),
    ]
    assert list(uses_of("Query", {"TableName": "Journal", "IndexName": "LSI_Journal_Time"})) == [
        Use("Query", "Journal", "LSI_Journal_Time")
    ]
    assert list(uses_of("CreateTable", {"TableName": "Journal"})) == []


def test_it_grants_no_action_on_any_resource_but_the_tables_and_indexes() -> None:
    # Each resource is a table's ARN or "<table ARN>/index/<name>", never a wildcard.
    for statement in policy_document()["Statement"]:
        assert statement["Effect"] == "Allow"
        assert all(action.startswith("dynamodb:") for action in statement["Action"])
        assert "*" not in str(statement["Resource"])


def test_it_grants_every_operation_the_suite_made() -> None:
    # Runs last (tests/conftest.py orders it): RECORDER has seen every test's calls.
    # Run alone it checks only what the few tests before it did. Under pytest-xdist
    # each worker checks its own tests' calls here, and the controller checks every
    # worker's once they have all finished (tests/conftest.py, pytest_sessionfinish).
    problems = missing_grants(RECORDER.uses)

    assert not problems, POLICY_ADVICE.format("\n  ".join(problems))


def _substituted(document: dict, prefix: str) -> str:  # type: ignore[type-arg]
    """The document as IAM would store it: every ARN written out, no whitespace."""
    head = "arn:aws-iso-b:dynamodb:ap-southeast-5:123456789012:table/"

    def arn(value: object) -> object:
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return f"{head}{prefix}{value['Fn::GetAtt'][0].removesuffix('Table')}"
        if isinstance(value, dict) and "Fn::Sub" in value:
            logical, rest = value["Fn::Sub"].removeprefix("${").split(".Arn}", 1)
            return f"{head}{prefix}{logical.removesuffix('Table')}{rest}"
        return value

    statements = [{**s, "Resource": [arn(r) for r in s["Resource"]]} for s in document["Statement"]]
    return json.dumps({**document, "Statement": statements}, separators=(",", ":"))


def test_the_web_role_scans_no_clinical_table_and_the_maintenance_role_does_what_its_commands_need() -> None:
    web = {(a, r) for s in policy_document("web")["Statement"] for a in s["Action"] for r in map(str, s["Resource"])}
    for table in NO_WEB_SCAN:
        assert not any(action == "dynamodb:Scan" and f"'{table}Table'" in resource for action, resource in web), table
    maintenance = policy_document("maintenance")["Statement"]
    scans = {str(r) for s in maintenance if "dynamodb:Scan" in s["Action"] for r in s["Resource"]}
    assert scans == {str({"Fn::GetAtt": ["SessionTable", "Arn"]}), str({"Fn::GetAtt": ["DataKeysTable", "Arn"]})}
    assert set(MAINTENANCE_COMMANDS) == {"rotate_data_keys", "backfill_session_history", "backfill_session_sections"}


def test_the_template_outputs_both_roles_each_with_its_own_policies() -> None:
    template = cloudformation_template()
    outputs, resources = template["Outputs"], template["Resources"]
    assert outputs["WebRoleArn"]["Value"] == {"Fn::GetAtt": ["WebRole", "Arn"]}
    assert outputs["MaintenanceRoleArn"]["Value"] == {"Fn::GetAtt": ["MaintenanceRole", "Arn"]}
    for role, title in (("web", "Web"), ("maintenance", "Maintenance")):
        attached = resources[f"{title}Role"]["Properties"]["ManagedPolicyArns"]
        documents = [resources[ref["Ref"]]["Properties"]["PolicyDocument"] for ref in attached]
        assert documents == policy_documents(role)


@pytest.mark.parametrize("longest", [MAX_PREFIX_LENGTH, 200])
def test_no_policy_passes_iams_limit_with_the_longest_prefix(monkeypatch: pytest.MonkeyPatch, longest: int) -> None:
    monkeypatch.setattr(deployment, "MAX_PREFIX_LENGTH", longest)
    for role in ("web", "maintenance"):
        documents = policy_documents(role)
        for document in documents:
            assert len(_substituted(document, "p" * longest)) <= POLICY_SIZE_LIMIT, (role, len(documents))
        # Split, nothing lost: the parts together grant exactly what one document would.
        assert policy_document(role)["Statement"] == [s for d in documents for s in d["Statement"]]
    assert cloudformation_template()["Parameters"]["TablePrefix"]["MaxLength"] == longest
    # A role takes at most 10 managed policies (IAM's default quota).
    assert len(policy_documents("web")) <= 10


def test_it_records_a_maintenance_commands_calls_under_the_maintenance_role(dynamo) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import call_command

    before = set(RECORDER.uses)
    call_command("backfill_session_history", stdout=StringIO())
    call_command("rotate_data_keys", stdout=StringIO())
    new = RECORDER.uses - before
    assert Use("Scan", "Session", None, "maintenance") in RECORDER.uses
    assert Use("Scan", "DataKeys", None, "maintenance") in RECORDER.uses
    assert not any(use.action == "Scan" and use.role == "web" and use.table in NO_WEB_SCAN for use in RECORDER.uses)
    assert not missing_grants(new)
    # The same Scan from the web role would be refused, naming the line to add.
    assert missing_grants({Use("Scan", "Session")}) == ['add "Scan" to APP_OPERATIONS["Session"]']
