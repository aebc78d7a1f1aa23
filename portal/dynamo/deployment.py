"""The CloudFormation template of the product's DynamoDB tables and IAM policy, from schema.py.

``python manage.py deploy_templates`` writes it to deploy/dynamodb.template.json;
a test asserts the committed file is exactly what this module produces, so a
table or index added to schema.py, or an operation added to access.py, reaches
the deployment in the same change.

Every table: on-demand billing, encryption with the AWS-managed KMS key,
deletion protection, ``DeletionPolicy: Retain`` (deleting the stack never
deletes data), TTL where the schema has one, and point-in-time recovery unless
the schema turns it off for that table. The managed policy grants the
application role exactly APP_OPERATIONS on exactly these tables and indexes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal.dynamo.access import APP_OPERATIONS
from portal.dynamo.schema import ALL_TABLES, Table

TEMPLATE_PATH = Path(__file__).resolve().parent.parent.parent / "deploy" / "dynamodb.template.json"
ACCESS_MODULE = "portal/dynamo/access.py"

# Every DynamoDB data-plane action the product may be granted (IAM names).
KNOWN_ACTIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "ConditionCheckItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
    }
)


@dataclass(frozen=True)
class Grant:
    """Actions on one table, or on one of its indexes when ``index`` is set."""

    table: Table
    index: str | None
    actions: tuple[str, ...]

    @property
    def resource(self) -> str:
        return f"{self.table.name}/index/{self.index}" if self.index else self.table.name


def _tables_by_name() -> dict[str, Table]:
    return {table.name: table for table in ALL_TABLES}


def grants() -> list[Grant]:
    """APP_OPERATIONS checked against schema.py; raises ValueError naming what to fix."""
    tables = _tables_by_name()
    result: list[Grant] = []
    for resource, actions in APP_OPERATIONS.items():
        table_name, _, index = resource.partition("/index/")
        table = tables.get(table_name)
        if table is None:
            raise ValueError(
                f"{ACCESS_MODULE}: {resource!r} names no table of schema.py (tables: {', '.join(tables)})"
            )
        if index and index not in {i.name for i in table.global_indexes + table.local_indexes}:
            raise ValueError(f"{ACCESS_MODULE}: table {table_name} has no index {index!r} in schema.py")
        unknown = sorted(set(actions) - KNOWN_ACTIONS)
        if unknown:
            raise ValueError(f"{ACCESS_MODULE}: unknown action(s) {unknown} for {resource!r}")
        result.append(Grant(table, index or None, tuple(sorted(set(actions)))))
    return result


def allows(action: str, table: str, index: str | None) -> bool:
    resource = f"{table}/index/{index}" if index else table
    return action in APP_OPERATIONS.get(resource, ())


def _logical_id(table: Table) -> str:
    return f"{table.name}Table"


def _key_schema(parts: tuple[Any, ...]) -> list[dict[str, str]]:
    return [{"AttributeName": p.attribute, "KeyType": p.key_type} for p in parts]


def table_resource(table: Table) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "TableName": {"Fn::Sub": f"${{TablePrefix}}{table.name}"},
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": table.attribute_types.get(name, "S")}
            for name in table.key_attributes()
        ],
        "KeySchema": _key_schema(table.keys),
        "DeletionProtectionEnabled": True,
        "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": table.point_in_time_recovery
        },
        "SSESpecification": {"SSEEnabled": True},
    }
    if table.global_indexes:
        properties["GlobalSecondaryIndexes"] = [
            {"IndexName": i.name, "KeySchema": _key_schema(i.keys), "Projection": i.projection_request()}
            for i in table.global_indexes
        ]
    if table.local_indexes:
        properties["LocalSecondaryIndexes"] = [
            {"IndexName": i.name, "KeySchema": _key_schema(i.keys), "Projection": i.projection_request()}
            for i in table.local_indexes
        ]
    if table.ttl_attribute:
        properties["TimeToLiveSpecification"] = {"AttributeName": table.ttl_attribute, "Enabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        # Deleting or replacing the stack must never take the data with it.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def _arn(grant: Grant) -> dict[str, Any]:
    if grant.index is None:
        return {"Fn::GetAtt": [_logical_id(grant.table), "Arn"]}
    return {"Fn::Sub": f"${{{_logical_id(grant.table)}.Arn}}/index/{grant.index}"}


def policy_document() -> dict[str, Any]:
    # One statement per distinct set of actions keeps the policy well under IAM's
    # 6,144-character limit for a managed policy as tables are added.
    by_actions: dict[tuple[str, ...], list[Grant]] = {}
    for grant in grants():
        by_actions.setdefault(grant.actions, []).append(grant)
    statements = [
        {
            "Effect": "Allow",
            "Action": [f"dynamodb:{action}" for action in actions],
            "Resource": [_arn(grant) for grant in sorted(group, key=lambda g: g.resource)],
        }
        for actions, group in sorted(by_actions.items())
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def cloudformation_template() -> dict[str, Any]:
    resources: dict[str, Any] = {_logical_id(table): table_resource(table) for table in ALL_TABLES}
    resources["AppDynamoDBPolicy"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "Description": "What the therapy portal's app servers may do in DynamoDB, and nothing else.",
            "PolicyDocument": policy_document(),
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            "Therapy portal: every DynamoDB table, index and TTL of portal/dynamo/schema.py, and the "
            "app servers' least-privilege policy. Generated by `python manage.py deploy_templates`; "
            "do not edit by hand."
        ),
        "Parameters": {
            "TablePrefix": {
                "Type": "String",
                "Default": "",
                "AllowedPattern": "[A-Za-z0-9_.-]*",
                "Description": "Prepended to every table name; the app's DYNAMODB_TABLE_PREFIX must match.",
            }
        },
        "Resources": resources,
        "Outputs": {
            "AppDynamoDBPolicyArn": {
                "Description": "Attach to the app servers' instance role.",
                "Value": {"Ref": "AppDynamoDBPolicy"},
            }
        },
    }


def render_template() -> str:
    return json.dumps(cloudformation_template(), indent=2) + "\n"
