"""The CloudFormation template of the product's DynamoDB tables and IAM policy, from schema.py.

``python manage.py deploy_templates`` writes it to deploy/dynamodb.template.json;
a test asserts the committed file is exactly what this module produces, so a
table or index added to schema.py, or an operation added to access.py, reaches
the deployment in the same change.

Every table: on-demand billing, encryption with the AWS-managed KMS key,
deletion protection, ``DeletionPolicy: Retain`` (deleting the stack never
deletes data), TTL where the schema has one, and point-in-time recovery unless
the schema turns it off for that table.

Two roles (portal/dynamo/access.py): the web role, granted exactly
APP_OPERATIONS, and the maintenance role for the commands that Scan, granted
exactly MAINTENANCE_OPERATIONS; the template outputs both. Each role's grants
are split over as many managed policies as it takes for every one to stay
under IAM's 6,144 characters with the longest table prefix the template
accepts (``TablePrefix`` has a maximum length for that reason), so a long
prefix can never push a policy past the limit at deploy time.

A stack update may create or delete only one global index per table
(DynamoDB refuses more in one UpdateTable). ``migration_steps`` turns a
deployed template and this one into a sequence of templates, each changing at
most one global index of each table (``manage.py deploy_templates
--steps-from``; README, "Changing an index in production").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal.dynamo.access import APP_OPERATIONS, MAINTENANCE_OPERATIONS
from portal.dynamo.kms_keys import CONTEXT_KEY
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


# IAM's limit on a managed policy document (whitespace not counted).
POLICY_SIZE_LIMIT = 6144
# The longest TablePrefix the template accepts; policies are sized for it.
MAX_PREFIX_LENGTH = 64
# The longest ARN head a table can have: the longest partition and region names.
_LONGEST_ARN_HEAD = "arn:aws-iso-b:dynamodb:ap-southeast-5:123456789012:table/"
ROLES = ("web", "maintenance")
_ROLE_TITLES = {"web": "Web", "maintenance": "Maintenance"}


def _operations(role: str) -> dict[str, tuple[str, ...]]:
    # Looked up at call time, so tests can replace either dict.
    return APP_OPERATIONS if role == "web" else MAINTENANCE_OPERATIONS


def grants(role: str = "web") -> list[Grant]:
    """A role's operations checked against schema.py; raises ValueError naming what to fix."""
    tables = _tables_by_name()
    result: list[Grant] = []
    for resource, actions in _operations(role).items():
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


def allows(action: str, table: str, index: str | None, *, role: str = "web") -> bool:
    resource = f"{table}/index/{index}" if index else table
    return action in _operations(role).get(resource, ())


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
        indexes = [
            {"IndexName": i.name, "KeySchema": _key_schema(i.keys), "Projection": i.projection_request()}
            for i in table.global_indexes
        ]
        properties["GlobalSecondaryIndexes"] = indexes
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


def _longest_arn(grant: Grant) -> str:
    """The ARN a grant's resource expands to with the longest prefix, partition and region."""
    arn = f"{_LONGEST_ARN_HEAD}{'p' * MAX_PREFIX_LENGTH}{grant.table.name}"
    return f"{arn}/index/{grant.index}" if grant.index else arn


def _statement(actions: tuple[str, ...], group: list[Grant]) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": [f"dynamodb:{action}" for action in actions],
        "Resource": [_arn(grant) for grant in sorted(group, key=lambda g: g.resource)],
    }


def _deployed_size(statements: list[tuple[tuple[str, ...], list[Grant]]]) -> int:
    """A policy's size as IAM counts it (no whitespace), its ARNs at their longest."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [f"dynamodb:{action}" for action in actions],
                "Resource": [_longest_arn(grant) for grant in group],
            }
            for actions, group in statements
        ],
    }
    return len(json.dumps(document, separators=(",", ":")))


def policy_documents(role: str = "web") -> list[dict[str, Any]]:
    """A role's grants as managed policy documents, each under IAM's limit at the longest prefix.

    One statement per distinct set of actions; statements (and, if one alone is
    too long, its resources) go into the fewest policies that each fit.
    """
    by_actions: dict[tuple[str, ...], list[Grant]] = {}
    for grant in grants(role):
        by_actions.setdefault(grant.actions, []).append(grant)
    pieces: list[tuple[tuple[str, ...], list[Grant]]] = []
    for actions, group in sorted(by_actions.items()):
        chunk: list[Grant] = []
        for grant in sorted(group, key=lambda g: g.resource):
            if chunk and _deployed_size([(actions, [*chunk, grant])]) > POLICY_SIZE_LIMIT:
                pieces.append((actions, chunk))
                chunk = []
            chunk.append(grant)
        pieces.append((actions, chunk))
    policies: list[list[tuple[tuple[str, ...], list[Grant]]]] = [[]]
    for piece in pieces:
        if policies[-1] and _deployed_size([*policies[-1], piece]) > POLICY_SIZE_LIMIT:
            policies.append([])
        policies[-1].append(piece)
    return [
        {"Version": "2012-10-17", "Statement": [_statement(actions, group) for actions, group in policy]}
        for policy in policies
    ]


def policy_document(role: str = "web") -> dict[str, Any]:
    """Every statement of a role's policies in one document (what the role may do, for tests)."""
    return {
        "Version": "2012-10-17",
        "Statement": [s for document in policy_documents(role) for s in document["Statement"]],
    }


def _policy_id(role: str, number: int) -> str:
    return f"{_ROLE_TITLES[role]}DynamoDBPolicy{number if number > 1 else ''}"


_ROLE_PURPOSE = {
    "web": "the web servers and the scheduler (send_due_notices): no Scan of Journal, Session, Messages or DataKeys",
    "maintenance": "the maintenance commands that walk whole tables (rotate_data_keys, backfill_session_history, backfill_session_sections)",
}


def _role_resources(role: str) -> dict[str, Any]:
    title = _ROLE_TITLES[role]
    documents = policy_documents(role)
    resources: dict[str, Any] = {}
    for number, document in enumerate(documents, start=1):
        resources[_policy_id(role, number)] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Description": f"What {_ROLE_PURPOSE[role]} may do in DynamoDB, and nothing else"
                + (f" (part {number} of {len(documents)})." if len(documents) > 1 else "."),
                "PolicyDocument": document,
            },
        }
    resources[f"{title}Role"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": f"The therapy portal's {role} role: {_ROLE_PURPOSE[role]}.",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": {"Ref": f"{title}RolePrincipal"}},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "ManagedPolicyArns": [{"Ref": _policy_id(role, n)} for n in range(1, len(documents) + 1)],
        },
    }
    return resources


def data_keys_kms_key() -> dict[str, dict[str, Any]]:
    """The KMS key that makes and unwraps clients' data keys (DATA_KEYS_KMS_KEY_ID), as template sections.

    Made when ``MakeDataKeysKmsKey`` is true. Its key policy names the stack's
    own roles: the web role may do exactly ``GenerateDataKey`` and ``Decrypt``,
    the maintenance role exactly ``Encrypt`` (rotate_data_keys moves keys
    wrapped by a local master key under KMS), each only with the one
    encryption-context key the app sends (portal/dynamo/kms_keys.py). The
    account keeps the administration of the key, without its cryptographic
    use, so nothing but the web role can unwrap a client's key.
    """
    made = "DataKeysKmsKeyWanted"
    context = {
        "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": [CONTEXT_KEY]},
        "Null": {"kms:EncryptionContextKeys": "false"},
    }
    return {
        "Parameters": {
            "MakeDataKeysKmsKey": {
                "Type": "String",
                "Default": "false",
                "AllowedValues": ["true", "false"],
                "Description": "true: make the KMS key that wraps clients' data keys (used by the web and "
                "maintenance roles only).",
            }
        },
        "Conditions": {made: {"Fn::Equals": [{"Ref": "MakeDataKeysKmsKey"}, "true"]}},
        "Resources": {
            "DataKeysKmsKey": {
                "Type": "AWS::KMS::Key",
                "Condition": made,
                # Deleting the stack must never delete the key: every client's text would be lost.
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "Description": "Therapy portal: wraps each client's data key.",
                    "KeySpec": "SYMMETRIC_DEFAULT",
                    "KeyUsage": "ENCRYPT_DECRYPT",
                    "EnableKeyRotation": True,
                    "PendingWindowInDays": 30,
                    "KeyPolicy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "AccountAdministersTheKeyButCannotUseIt",
                                "Effect": "Allow",
                                "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                                "Action": [
                                    "kms:CancelKeyDeletion",
                                    "kms:Create*",
                                    "kms:Delete*",
                                    "kms:Describe*",
                                    "kms:Disable*",
                                    "kms:Enable*",
                                    "kms:Get*",
                                    "kms:List*",
                                    "kms:Put*",
                                    "kms:Revoke*",
                                    "kms:ScheduleKeyDeletion",
                                    "kms:TagResource",
                                    "kms:UntagResource",
                                    "kms:Update*",
                                ],
                                "Resource": "*",
                            },
                            {
                                "Sid": "WebRoleMakesAndUnwrapsDataKeys",
                                "Effect": "Allow",
                                "Principal": {"AWS": {"Fn::GetAtt": ["WebRole", "Arn"]}},
                                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                                "Resource": "*",
                                "Condition": context,
                            },
                            {
                                "Sid": "MaintenanceRoleWrapsLocalKeysUnderKms",
                                "Effect": "Allow",
                                "Principal": {"AWS": {"Fn::GetAtt": ["MaintenanceRole", "Arn"]}},
                                "Action": ["kms:Encrypt"],
                                "Resource": "*",
                                "Condition": context,
                            },
                        ],
                    },
                },
            }
        },
        "Outputs": {
            "DataKeysKmsKeyArn": {
                "Condition": made,
                "Description": "Set as DATA_KEYS_KMS_KEY_ID on the app servers.",
                "Value": {"Fn::GetAtt": ["DataKeysKmsKey", "Arn"]},
            }
        },
    }


def _with_sections(template: dict[str, Any], sections: dict[str, dict[str, Any]]) -> dict[str, Any]:
    for section, entries in sections.items():
        template.setdefault(section, {}).update(entries)
    return template


def cloudformation_template() -> dict[str, Any]:
    resources: dict[str, Any] = {_logical_id(table): table_resource(table) for table in ALL_TABLES}
    outputs: dict[str, Any] = {}
    parameters: dict[str, Any] = {
        "TablePrefix": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "[A-Za-z0-9_.-]*",
            "MaxLength": MAX_PREFIX_LENGTH,
            "Description": "Prepended to every table name; the app's DYNAMODB_TABLE_PREFIX must match.",
        }
    }
    for role in ROLES:
        title = _ROLE_TITLES[role]
        resources.update(_role_resources(role))
        parameters[f"{title}RolePrincipal"] = {
            "Type": "String",
            "Default": "ec2.amazonaws.com",
            "Description": f"The AWS service that runs {_ROLE_PURPOSE[role].split(':')[0]} (assumes the {role} role).",
        }
        outputs[f"{title}RoleArn"] = {
            "Description": f"The {role} role: for {_ROLE_PURPOSE[role]}.",
            "Value": {"Fn::GetAtt": [f"{title}Role", "Arn"]},
        }
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            "Therapy portal: every DynamoDB table, index and TTL of portal/dynamo/schema.py, and the "
            "least-privilege web and maintenance roles. Generated by `python manage.py deploy_templates`; "
            "do not edit by hand."
        ),
        "Parameters": parameters,
        "Resources": resources,
        "Outputs": outputs,
    }
    return _with_sections(template, data_keys_kms_key())


def render_template() -> str:
    return json.dumps(cloudformation_template(), indent=2) + "\n"


# --- one global index per table per stack update --------------------------------------


def _index_ops(current: list[dict[str, Any]], target: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """What turns one table's global indexes into the target's, one index at a time: new
    indexes first (beside the old), then those to drop, then those whose shape changed
    (a projection or key cannot change in place: deleted, then created again)."""
    now = {index["IndexName"]: index for index in current}
    wanted = {index["IndexName"]: index for index in target}
    changed = [name for name in wanted if name in now and now[name] != wanted[name]]
    ops: list[tuple[str, dict[str, Any]]] = [("create", wanted[n]) for n in wanted if n not in now]
    ops += [("delete", now[n]) for n in now if n not in wanted]
    for name in changed:
        ops += [("delete", now[name]), ("create", wanted[name])]
    return ops


def _with_indexes(resource: dict[str, Any], indexes: list[dict[str, Any]], table: Table) -> dict[str, Any]:
    properties = dict(resource["Properties"])
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    else:
        properties.pop("GlobalSecondaryIndexes", None)
    # DynamoDB refuses attribute definitions no key uses.
    used = {p.attribute for p in table.keys} | {p.attribute for i in table.local_indexes for p in i.keys}
    used |= {part["AttributeName"] for index in indexes for part in index["KeySchema"]}
    properties["AttributeDefinitions"] = [d for d in properties["AttributeDefinitions"] if d["AttributeName"] in used]
    return {**resource, "Properties": properties}


def migration_steps(deployed: dict[str, Any], target: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Templates to deploy in turn, from the ``deployed`` one to ``target`` (this version's),
    each creating or deleting at most one global index of each table; none when no global
    index differs.

    Local indexes cannot change on a live table (CloudFormation would replace the
    table, which a fixed name and deletion protection refuse): every step keeps an
    existing table's local indexes as deployed. A projection of a local index
    changes only with a rebuilt table (README).
    """
    target = target or cloudformation_template()
    tables = {_logical_id(t): t for t in ALL_TABLES}
    plans: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    state: dict[str, list[dict[str, Any]]] = {}
    kept_local: dict[str, Any] = {}
    for logical in tables:
        before = deployed.get("Resources", {}).get(logical)
        if before is None:
            continue  # a new table is created whole, with all its indexes
        if "LocalSecondaryIndexes" in before["Properties"]:
            kept_local[logical] = before["Properties"]["LocalSecondaryIndexes"]
        current = list(before["Properties"].get("GlobalSecondaryIndexes", []))
        wanted = target["Resources"][logical]["Properties"].get("GlobalSecondaryIndexes", [])
        plans[logical], state[logical] = _index_ops(current, wanted), current
    steps: list[dict[str, Any]] = []
    while any(plans.values()):
        for logical, ops in plans.items():
            if not ops:
                continue
            kind, index = ops.pop(0)
            if kind == "create":
                state[logical] = [*state[logical], index]
            else:
                state[logical] = [i for i in state[logical] if i["IndexName"] != index["IndexName"]]
        resources = dict(target["Resources"])
        for logical in plans:
            resource = _with_indexes(target["Resources"][logical], state[logical], tables[logical])
            if logical in kept_local:
                resource["Properties"]["LocalSecondaryIndexes"] = kept_local[logical]
            resources[logical] = resource
        steps.append({**target, "Resources": resources})
    return steps
