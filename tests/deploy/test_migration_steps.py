"""A stack update creates or deletes at most one global index per table: the migration steps say which, in turn."""

from __future__ import annotations

import copy
import json
from typing import Any

from portal.dynamo.deployment import cloudformation_template, migration_steps


def _all_projections(template: dict[str, Any]) -> dict[str, Any]:
    """The template as it was before the projections: every index copying whole items."""
    old = copy.deepcopy(template)
    for resource in old["Resources"].values():
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for index in resource.get("Properties", {}).get(kind, []):
                index["Projection"] = {"ProjectionType": "ALL"}
    return old


def _gsis(template: dict[str, Any], logical: str) -> dict[str, Any]:
    indexes = template["Resources"][logical]["Properties"].get("GlobalSecondaryIndexes", [])
    return {index["IndexName"]: index for index in indexes}


def test_each_step_changes_at_most_one_global_index_of_each_table() -> None:
    target = cloudformation_template()
    deployed = _all_projections(target)
    steps = migration_steps(deployed, target)
    # Session's five indexes and Therapists' five (the email index, the directory's two, the two
    # search indexes) change projection: each is deleted, then created again, one a step per table.
    assert len(steps) == 10
    previous = deployed
    for step in steps:
        for logical, resource in step["Resources"].items():
            if resource["Type"] != "AWS::DynamoDB::Table":
                continue
            before, after = _gsis(previous, logical), _gsis(step, logical)
            changed = {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}
            assert len(changed) <= 1, (logical, changed)
            # Every key attribute defined is used by a key, and every key's attribute is defined.
            defined = {d["AttributeName"] for d in resource["Properties"]["AttributeDefinitions"]}
            used = {k["AttributeName"] for k in resource["Properties"]["KeySchema"]}
            for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
                for index in resource["Properties"].get(kind, []):
                    used |= {k["AttributeName"] for k in index["KeySchema"]}
            assert defined == used, logical
        previous = step
    for logical in target["Resources"]:
        if target["Resources"][logical]["Type"] == "AWS::DynamoDB::Table":
            assert _gsis(steps[-1], logical) == _gsis(target, logical)
    # A live table's local indexes never change (that would replace the table).
    journal = steps[-1]["Resources"]["JournalTable"]["Properties"]["LocalSecondaryIndexes"]
    assert journal == deployed["Resources"]["JournalTable"]["Properties"]["LocalSecondaryIndexes"]


def test_it_adds_two_new_indexes_of_one_table_in_two_updates() -> None:
    target = cloudformation_template()
    deployed = copy.deepcopy(target)
    properties = deployed["Resources"]["RelationshipsTable"]["Properties"]
    properties["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"][:1]
    steps = migration_steps(deployed, target)
    names = list(_gsis(target, "RelationshipsTable"))
    assert [list(_gsis(s, "RelationshipsTable")) for s in steps] == [names[:2], names]
    assert json.dumps(steps[-1], sort_keys=True) == json.dumps(target, sort_keys=True)


def test_no_step_when_the_global_indexes_already_match() -> None:
    target = cloudformation_template()
    assert migration_steps(copy.deepcopy(target), target) == []
