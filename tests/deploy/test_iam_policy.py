"""The app servers' IAM policy allows every DynamoDB operation the application makes, and only those."""

from __future__ import annotations

from portal.dynamo.deployment import policy_document
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
