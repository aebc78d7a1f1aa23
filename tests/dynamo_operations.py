"""A record of every DynamoDB operation the application's code makes during the test run.

tests/conftest.py registers ``RECORDER.hook`` on every boto3 client the product
builds, for the whole pytest session; tests/deploy/test_iam_policy.py (run last)
checks each recorded use against the IAM policy generated from
portal/dynamo/access.py. A use counts when application code (a module under
``portal/``) is on the stack; calls that only test helpers make do not widen the
policy. The hook costs a dictionary lookup per call once a use is known.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import portal
from portal.dynamo.access import MAINTENANCE_ENTRY_POINTS, OPERATIONS_BY_ROLE
from portal.dynamo.deployment import allows
from portal.dynamo.schema import ALL_TABLES

_PORTAL_DIR = str(Path(portal.__file__).resolve().parent)
# The gateway and the table set-up are plumbing every caller goes through; they
# do not make a call "the application's".
_PLUMBING = frozenset(
    str(Path(_PORTAL_DIR, "dynamo", name)) for name in ("gateway.py", "tables.py", "call_counter.py")
)
# Tables are created and described by CloudFormation in production, by
# create_tables and the test fixtures here; the application role never needs these.
CONTROL_PLANE = frozenset(
    {
        "CreateTable",
        "DeleteTable",
        "DescribeTable",
        "UpdateTable",
        "DescribeTimeToLive",
        "UpdateTimeToLive",
        "DescribeContinuousBackups",
        "UpdateContinuousBackups",
    }
)
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_LOGICAL_NAMES = sorted((table.name for table in ALL_TABLES), key=len, reverse=True)
_ROOT = Path(_PORTAL_DIR).parent
_MAINTENANCE_CODE = frozenset((str(_ROOT / path), function) for path, function in MAINTENANCE_ENTRY_POINTS)
_DICT_OF_ROLE = {"web": "APP_OPERATIONS", "maintenance": "MAINTENANCE_OPERATIONS"}


@dataclass(frozen=True)
class Use:
    """One IAM action on one table or one of its indexes (logical names, no prefix)."""

    action: str
    table: str
    index: str | None = None
    # The role the call ran under: "maintenance" inside a maintenance command (access.py).
    role: str = "web"

    @property
    def resource(self) -> str:
        return f"{self.table}/index/{self.index}" if self.index else self.table

    def sort_key(self) -> tuple[str, str, str]:
        return (self.role, self.resource, self.action)


def logical_table(physical: str) -> str:
    """``t12_Journal`` -> ``Journal``: tests run with per-test table prefixes."""
    for name in _LOGICAL_NAMES:
        if physical == name or physical.endswith(name):
            return name
    return physical


def uses_of(operation: str, params: Mapping[str, Any]) -> Iterator[Use]:
    """The IAM actions one API call needs (a transaction needs one per item)."""
    if operation in CONTROL_PLANE:
        return
    if operation in ("TransactWriteItems", "TransactGetItems"):
        for item in params.get("TransactItems", ()):
            for kind, request in item.items():
                action = "GetItem" if kind == "Get" else _TRANSACT_ACTIONS.get(kind, kind)
                yield Use(action, logical_table(request["TableName"]))
        return
    if operation in ("BatchGetItem", "BatchWriteItem"):
        for physical in params.get("RequestItems", {}):
            yield Use(operation, logical_table(physical))
        return
    table = params.get("TableName")
    yield Use(operation, logical_table(table) if table else "*", params.get("IndexName"))


def _caller_role(frame: FrameType | None) -> str | None:
    """None when no application code is on the stack; else the role the call runs under."""
    application = False
    while frame is not None:
        code = frame.f_code
        if (code.co_filename, code.co_name) in _MAINTENANCE_CODE:
            return "maintenance"
        if code.co_filename.startswith(_PORTAL_DIR) and code.co_filename not in _PLUMBING:
            application = True
        frame = frame.f_back
    return "web" if application else None


class OperationRecorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.uses: set[Use] = set()

    def hook(self, model: Any, params: Mapping[str, Any], **_: Any) -> None:
        found = list(uses_of(model.name, params))
        if not found:
            return
        role = _caller_role(sys._getframe(1))
        if role is None:
            return
        new = [Use(u.action, u.table, u.index, role) for u in found]
        new = [use for use in new if use not in self.uses]
        if new:
            with self._lock:
                self.uses.update(new)


RECORDER = OperationRecorder()


def missing_grants(uses: set[Use]) -> list[str]:
    """One instruction per operation the policy lacks, saying exactly what to add."""
    lines: list[str] = []
    for use in sorted(uses, key=Use.sort_key):
        if allows(use.action, use.table, use.index, role=use.role):
            continue
        name = _DICT_OF_ROLE[use.role]
        if use.table not in {t.name for t in ALL_TABLES}:
            lines.append(
                f"{use.action} on table {use.table!r}, which is not in portal/dynamo/schema.py: "
                f"add the table to schema.py (ALL_TABLES) and its operations to {name}"
            )
        elif use.resource in OPERATIONS_BY_ROLE[use.role]:
            lines.append(f'add "{use.action}" to {name}["{use.resource}"]')
        else:
            lines.append(f'add "{use.resource}": ("{use.action}",), to {name}')
    return lines


POLICY_ADVICE = (
    "The application made DynamoDB operations the production IAM policy does not allow. "
    "In portal/dynamo/access.py:\n  {}\n"
    "then run `DJANGO_DEBUG=true .venv/bin/python manage.py deploy_templates` and commit deploy/dynamodb.template.json."
)


def as_rows(uses: set[Use]) -> list[list[str | None]]:
    """Uses as plain lists, to cross from a pytest-xdist worker to the controller."""
    return sorted([use.action, use.table, use.index, use.role] for use in uses)  # type: ignore[type-var]


def from_rows(rows: list[list[str | None]]) -> set[Use]:
    return {Use(str(action), str(table), index, str(role)) for action, table, index, role in rows}
