"""A thin, typed layer over the low-level boto3 DynamoDB client.

Repositories speak to DynamoDB only through this class. It uses the low-level
client rather than boto3's resource API because a client is thread-safe and a
resource is not; condition and key expressions still come from boto3's
``Key``/``Attr`` builders. It turns transport failures into
``DatabaseUnavailable`` and failed conditions into ``Conflict``. Races that
only AWS shows (a write meeting a running transaction, a transaction cancelled
by another) are sent again a few times and then are a ``Conflict`` too, never
the raw error a page would show as a 500.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.conditions import (
    And,
    Attr,
    BeginsWith,
    Between,
    ConditionBase,
    ConditionExpressionBuilder,
    Equals,
    GreaterThan,
    GreaterThanEquals,
    LessThan,
    LessThanEquals,
)
from boto3.dynamodb.conditions import Key as KeyAttribute
from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from portal.domain import Conflict, DatabaseUnavailable
from portal.dynamo.schema import WEB_SESSIONS, Table, physical_name

logger = logging.getLogger(__name__)

Item = dict[str, Any]
Key = dict[str, Any]
R = TypeVar("R")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Codes that mean "the database is not answering properly", not "your request is wrong".
_UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "ResourceNotFoundException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "AccessDeniedException",
    }
)

# Cancellation reasons that mean "busy", not "your condition failed": the 503 page, not a 500.
_BUSY_REASONS = frozenset(
    {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded", "TransactionConflict"}
)

# The single-item writes AWS refuses with TransactionConflictException while a
# transaction holds the item. botocore does not retry that code; the gateway does.
_SINGLE_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})
# How often a write that met a running transaction (or a transaction cancelled only
# for that) is sent in all. A transaction holds its items for milliseconds, so a few
# short, jittered waits nearly always see it finished; past them it is a Conflict.
_CONFLICT_ATTEMPTS = 4
_CONFLICT_MESSAGE = "Someone else changed this at the same moment. Please try again."

# DynamoDB refuses a key value that is empty or over these sizes with a
# ValidationException; no item can have such a key, so the answer is "none".
_MAX_PARTITION_KEY_BYTES = 2048
_MAX_SORT_KEY_BYTES = 1024

# The attribute a conditional write stores its request token in (see ``new_request_token``).
REQUEST_TOKEN = "lastRequestToken"

_BATCH_GET_LIMIT = 100
_BATCH_WRITE_LIMIT = 25
_BATCH_RETRIES = 8


class WriteConflicted(Conflict):
    """A write kept meeting other writes to the same item (a transaction running on it), after retries.

    A Conflict, so every caller that treats a lost race as one (a 4xx with a
    clear message, or "nothing written") does the same here; nothing was written.
    """


class TransactionCancelled(Exception):
    """A transaction was cancelled; ``reasons`` has one code per operation."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons

    @property
    def condition_failed(self) -> bool:
        return "ConditionalCheckFailed" in self.reasons

    @property
    def busy(self) -> bool:
        """Cancelled for load or a concurrent transaction, not for a condition: worth retrying."""
        return not self.condition_failed and any(r in _BUSY_REASONS for r in self.reasons)


class TransactionConflicted(TransactionCancelled, WriteConflicted):
    """A transaction cancelled only because another one held its items, through the gateway's retries.

    Both a TransactionCancelled (callers that read the reasons, or retry busy
    transactions themselves, still can) and a Conflict (callers that only
    re-raise what they do not recognise raise a Conflict, not a raw error).
    """

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(reasons)
        self.args = (_CONFLICT_MESSAGE,)

    def __str__(self) -> str:
        return _CONFLICT_MESSAGE


def _conflict_only(reasons: Sequence[str]) -> bool:
    """Cancelled for a concurrent transaction and nothing else (the other reasons are "None")."""
    return "TransactionConflict" in reasons and all(r in ("None", "TransactionConflict") for r in reasons)


def _error_code(exc: BaseException) -> str:
    return exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""


def _cancellation_reasons(exc: ClientError) -> list[str]:
    return [r.get("Code", "None") or "None" for r in exc.response.get("CancellationReasons", [])]


def _conflict_pause(attempt: int) -> None:
    """A short, jittered wait before trying again: concurrent writers spread out instead of meeting again."""
    time.sleep(min(0.2, 0.01 * 2**attempt) * random.uniform(0.5, 1.5))


def busy_database(exc: TransactionCancelled) -> DatabaseUnavailable:
    """What a caller raises when a transaction stayed busy through its own retries."""
    logger.error("dynamodb TransactWriteItems stayed cancelled: %s", ", ".join(exc.reasons))
    return DatabaseUnavailable("TransactionCanceled: " + ", ".join(exc.reasons))


def key_is_possible(table: Table, key: Mapping[str, Any]) -> bool:
    """False for a key DynamoDB would refuse (empty, too long): no item has it."""
    for part in table.keys:
        value = key.get(part.attribute)
        if not isinstance(value, str):
            continue
        limit = _MAX_PARTITION_KEY_BYTES if part.key_type == "HASH" else _MAX_SORT_KEY_BYTES
        if not value or len(value.encode("utf-8")) > limit:
            return False
    return True


def new_request_token() -> str:
    """A token naming one logical write, the same across botocore's retries of it.

    botocore retries a request whose answer was lost (a read timeout, a dropped
    connection) although DynamoDB may already have applied it. A conditional
    write then fails its own condition on the retry: "already on", "code
    already used", "changed by someone else", for a write that succeeded. So a
    conditional write stores its token in the item, refuses to apply twice
    (the token is part of its condition, which also keeps an ADD from counting
    one attempt twice), and asks for the item on a failed condition
    (ReturnValuesOnConditionCheckFailure=ALL_OLD): if the item carries our
    token, the failure was our own earlier attempt, and the write succeeded.
    Transactions need none of this: botocore sends a ClientRequestToken.
    """
    return uuid.uuid4().hex


def _not_applied_yet(token: str) -> ConditionBase:
    return Attr(REQUEST_TOKEN).not_exists() | Attr(REQUEST_TOKEN).ne(token)


def _applied_by(exc: Conflict, token: str) -> Item | None:
    """The item as our own earlier attempt left it, if the failed condition was that attempt's doing."""
    cause = exc.__cause__
    raw: Any = cause.response.get("Item") if isinstance(cause, ClientError) else None
    if not raw:
        return None
    item = deserialize_item(raw)
    return item if item.get(REQUEST_TOKEN) == token else None


def _was_retried(exc: Conflict) -> bool:
    cause = exc.__cause__
    if not isinstance(cause, ClientError):
        return False
    return int(cause.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)) > 0


def serialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items() if v is not None}


def _deserialize(value: Mapping[str, Any]) -> Any:
    """boto3's TypeDeserializer, the common types first: it looks each one up by name, a
    large part of reading a page of items (tests/unit/test_gateway_values.py holds them equal)."""
    if len(value) == 1:
        if "S" in value:
            return value["S"]
        if "N" in value:
            return DYNAMODB_CONTEXT.create_decimal(value["N"])
        if "M" in value:
            return {k: _deserialize(v) for k, v in value["M"].items()}
        if "L" in value:
            return [_deserialize(v) for v in value["L"]]
        if "BOOL" in value:
            return value["BOOL"]
        if "SS" in value:
            return set(value["SS"])
    # Binary, sets of numbers or binaries, NULL, and anything malformed: boto3's own answer or error.
    return _deserializer.deserialize(value)  # type: ignore[arg-type]


def deserialize_item(raw: Mapping[str, Any]) -> Item:
    return {k: _deserialize(v) for k, v in raw.items()}


@dataclass
class _Expression:
    """Collects placeholders for one request's expressions."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    # Made when a condition needs it: most requests' conditions are written by key_condition.
    builder: ConditionExpressionBuilder | None = None

    def condition(self, condition: ConditionBase, *, is_key_condition: bool = False) -> str:
        if self.builder is None:
            self.builder = ConditionExpressionBuilder()
        built = self.builder.build_expression(condition, is_key_condition=is_key_condition)
        self.names.update(built.attribute_name_placeholders)
        self.values.update(
            {k: _serializer.serialize(v) for k, v in built.attribute_value_placeholders.items()}
        )
        return built.condition_expression

    def key_condition(self, condition: ConditionBase) -> str:
        """A KeyConditionExpression.

        What the repositories ask for (a key compared with a value, between two, or
        beginning with one; two of those joined by AND) is written here directly, in
        the words boto3's builder uses: its general path, run for every Query of every
        page, cost more than the rest of building the request. Anything else, and any
        mistake (an Attr in a key condition), goes through the builder as before.
        """
        if not _plain_key_condition(condition):
            return self.condition(condition, is_key_condition=True)
        return self._key_part(condition)

    def _key_part(self, condition: ConditionBase) -> str:
        kind, operands = type(condition), condition._values  # type: ignore[attr-defined]
        if kind is And:
            return f"({self._key_part(operands[0])} AND {self._key_part(operands[1])})"
        name = f"#k{len(self.names)}"
        self.names[name] = operands[0].name
        values = [self._key_value(value) for value in operands[1:]]
        if kind is Between:
            return f"{name} BETWEEN {values[0]} AND {values[1]}"
        if kind is BeginsWith:
            return f"begins_with({name}, {values[0]})"
        return f"{name} {_COMPARISONS[kind]} {values[0]}"

    def _key_value(self, value: Any) -> str:
        placeholder = f":k{len(self.values)}"
        self.values[placeholder] = {"S": value} if type(value) is str else _serializer.serialize(value)
        return placeholder

    def name(self, attribute: str) -> str:
        placeholder = f"#u{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":u{len(self.values)}"
        self.values[placeholder] = _serializer.serialize(value)
        return placeholder

    def apply(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


_COMPARISONS: dict[type, str] = {
    Equals: "=",
    LessThan: "<",
    LessThanEquals: "<=",
    GreaterThan: ">",
    GreaterThanEquals: ">=",
}


def _plain_key_condition(condition: ConditionBase) -> bool:
    """Whether _Expression writes this key condition itself: Key comparisons on plain names, and ANDs of them."""
    kind, operands = type(condition), condition._values  # type: ignore[attr-defined]
    if kind is And:
        return all(_plain_key_condition(part) for part in operands)
    if kind not in _COMPARISONS and kind not in (Between, BeginsWith):
        return False
    key = operands[0]
    # A dotted or indexed name is a document path to the builder: left to it.
    return type(key) is KeyAttribute and "." not in key.name and "[" not in key.name


@dataclass(frozen=True)
class QueryResult:
    items: list[Item]
    last_key: dict[str, Any] | None


@dataclass(frozen=True)
class TransactPut:
    table: Table
    item: Mapping[str, Any]
    condition: ConditionBase | None = None


@dataclass(frozen=True)
class TransactUpdate:
    table: Table
    key: Key
    set_values: Mapping[str, Any] = field(default_factory=dict)
    condition: ConditionBase | None = None
    remove: Sequence[str] = ()
    add: Mapping[str, int | Decimal] | None = None
    # SET name = if_not_exists(name, value): a time that must not move once set.
    set_if_absent: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TransactDelete:
    table: Table
    key: Key
    condition: ConditionBase | None = None


@dataclass(frozen=True)
class TransactConditionCheck:
    """A condition on an item the transaction does not change (the write happens only if it holds)."""

    table: Table
    key: Key
    condition: ConditionBase


TransactOp = TransactPut | TransactUpdate | TransactDelete | TransactConditionCheck


def _update_expression(
    expr: _Expression,
    set_values: Mapping[str, Any],
    remove: Sequence[str] = (),
    add: Mapping[str, int | Decimal | set[str]] | None = None,
    delete_from_sets: Mapping[str, set[str]] | None = None,
    copy_values: Mapping[str, str] | None = None,
    set_if_absent: Mapping[str, Any] | None = None,
) -> str:
    parts: list[str] = []
    sets = [f"{expr.name(k)} = {expr.value(v)}" for k, v in set_values.items() if v is not None]
    # SET target = if_not_exists(target, value): the first writer's value stands, without a read.
    sets += [
        f"{expr.name(k)} = if_not_exists({expr.name(k)}, {expr.value(v)})" for k, v in (set_if_absent or {}).items()
    ]
    # SET target = source: copies an attribute inside the item, without reading it first.
    sets += [f"{expr.name(k)} = {expr.name(source)}" for k, source in (copy_values or {}).items()]
    # Setting an attribute to None means "remove it": sparse indexes depend on absence.
    removes = [expr.name(k) for k in remove] + [
        expr.name(k) for k, v in set_values.items() if v is None
    ]
    adds = [f"{expr.name(k)} {expr.value(v)}" for k, v in (add or {}).items()]
    # DELETE takes elements out of a set (a Python set of str is serialised as SS);
    # DynamoDB has no empty sets, so taking out the last element removes the attribute.
    # An empty set of elements would be refused by DynamoDB, so it is left out.
    deletes = [
        f"{expr.name(k)} {expr.value(set(v))}" for k, v in (delete_from_sets or {}).items() if v
    ]
    if sets:
        parts.append("SET " + ", ".join(sets))
    if removes:
        parts.append("REMOVE " + ", ".join(removes))
    if adds:
        parts.append("ADD " + ", ".join(adds))
    if deletes:
        parts.append("DELETE " + ", ".join(deletes))
    return " ".join(parts)


class DynamoGateway:
    def __init__(self, client: Any, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix

    def table_name(self, table: Table) -> str:
        return physical_name(table, self.prefix)

    # --- error translation ---------------------------------------------------

    @staticmethod
    def _translated(operation: str, table: str, exc: Exception) -> Exception | None:
        """What a failed call raises instead of ``exc`` (None: ``exc`` itself, as it is)."""
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                return Conflict(f"{operation} on {table}: condition failed")
            if code == "TransactionConflictException":
                # Retried by _call already: the item stayed inside other transactions.
                logger.warning("dynamodb %s on %s kept meeting a transaction", operation, table)
                return WriteConflicted(_CONFLICT_MESSAGE)
            if code in ("TransactionInProgressException", "ItemCollectionSizeLimitExceededException"):
                # In progress: the same transaction is still running (its outcome is
                # unknown, which the 503 page says of a form). Size limit: a partition
                # with local indexes is full. Neither is the person's doing.
                logger.error("dynamodb %s on %s failed: %s", operation, table, code)
                return DatabaseUnavailable(code)
            if code == "TransactionCanceledException":
                reasons = _cancellation_reasons(exc)
                if "ItemCollectionSizeLimitExceeded" in reasons:
                    logger.error("dynamodb %s on %s cancelled: %s", operation, table, ", ".join(reasons))
                    return DatabaseUnavailable("TransactionCanceled: " + ", ".join(reasons))
                if _conflict_only(reasons):
                    return TransactionConflicted(reasons)
                cancelled = TransactionCancelled(reasons)
                if not cancelled.condition_failed and any(
                    r in _BUSY_REASONS - {"TransactionConflict"} for r in reasons
                ):
                    # Throttled even after botocore's retries: the database is busy.
                    logger.error("dynamodb %s on %s throttled: %s", operation, table, ", ".join(reasons))
                    return DatabaseUnavailable("TransactionCanceled: " + ", ".join(reasons))
                return cancelled
            if code in _UNAVAILABLE_CODES:
                logger.error("dynamodb %s on %s failed: %s", operation, table, code)
                return DatabaseUnavailable(code)
            return None
        if isinstance(exc, BotoConnectionError | NoCredentialsError):
            logger.error("dynamodb %s on %s unreachable: %s", operation, table, type(exc).__name__)
        else:
            logger.error("dynamodb %s on %s failed: %s", operation, table, type(exc).__name__)
        return DatabaseUnavailable(type(exc).__name__)

    def _call(self, operation: str, table: str, method: Callable[..., R], **request: Any) -> R:
        # A plain try rather than a context manager: every DynamoDB call of every page passes here.
        try:
            return method(**request)
        except (ClientError, BotoCoreError) as exc:
            if operation in _SINGLE_WRITES and _error_code(exc) == "TransactionConflictException":
                return self._retry_conflicted(operation, table, method, request)
            translated = self._translated(operation, table, exc)
            if translated is None:
                raise
            raise translated from exc

    def _retry_conflicted(
        self, operation: str, table: str, method: Callable[..., R], request: dict[str, Any]
    ) -> R:
        """Send a write again that AWS refused because a transaction held its item.

        Refused means not applied, so sending it again is safe (a write with a
        request token stays at most once either way). Still refused after the
        last attempt: a WriteConflicted, never the raw error.
        """
        for attempt in range(1, _CONFLICT_ATTEMPTS):
            _conflict_pause(attempt)
            try:
                return method(**request)
            except (ClientError, BotoCoreError) as exc:
                last = attempt == _CONFLICT_ATTEMPTS - 1
                if _error_code(exc) == "TransactionConflictException" and not last:
                    continue
                translated = self._translated(operation, table, exc)
                if translated is None:
                    raise
                raise translated from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    # --- single items -------------------------------------------------------

    def get(self, table: Table, key: Key, *, consistent: bool = False) -> Item | None:
        if not key_is_possible(table, key):
            return None
        name = self.table_name(table)
        response = self._call(
            "GetItem",
            name,
            self.client.get_item,
            TableName=name,
            Key=serialize_item(key),
            ConsistentRead=consistent,
        )
        raw = response.get("Item")
        return deserialize_item(raw) if raw else None

    def put(
        self,
        table: Table,
        item: Mapping[str, Any],
        *,
        condition: ConditionBase | None = None,
        token: str | None = None,
    ) -> None:
        """PutItem. With ``token`` (see ``new_request_token``) a retry of a put that landed is success."""
        name = self.table_name(table)
        if token is not None:
            item = {**item, REQUEST_TOKEN: token}
            condition = _not_applied_yet(token) & condition if condition is not None else _not_applied_yet(token)
        request: dict[str, Any] = {"TableName": name, "Item": serialize_item(item)}
        if condition is not None:
            expr = _Expression()
            request["ConditionExpression"] = expr.condition(condition)
            expr.apply(request)
        if token is not None:
            request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            self._call("PutItem", name, self.client.put_item, **request)
        except Conflict as exc:
            if token is None or _applied_by(exc, token) is None:
                raise
            logger.info("dynamodb PutItem on %s had landed before its retry", name)

    def update(
        self,
        table: Table,
        key: Key,
        *,
        set_values: Mapping[str, Any] | None = None,
        remove: Sequence[str] = (),
        add: Mapping[str, int | Decimal | set[str]] | None = None,
        delete_from_sets: Mapping[str, set[str]] | None = None,
        copy_values: Mapping[str, str] | None = None,
        set_if_absent: Mapping[str, Any] | None = None,
        condition: ConditionBase | None = None,
        token: str | None = None,
    ) -> Item:
        """UpdateItem; returns the whole item as it is after the update.

        With ``token`` (see ``new_request_token``) the update applies at most
        once, and a retry of one that landed returns the item it left.
        """
        name = self.table_name(table)
        expr = _Expression()
        request: dict[str, Any] = {
            "TableName": name,
            "Key": serialize_item(key),
            "ReturnValues": "ALL_NEW",
        }
        if token is not None:
            set_values = {**(set_values or {}), REQUEST_TOKEN: token}
            condition = _not_applied_yet(token) & condition if condition is not None else _not_applied_yet(token)
            request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if condition is not None:
            request["ConditionExpression"] = expr.condition(condition)
        request["UpdateExpression"] = _update_expression(
            expr, set_values or {}, remove, add, delete_from_sets, copy_values, set_if_absent
        )
        expr.apply(request)
        try:
            response = self._call("UpdateItem", name, self.client.update_item, **request)
        except Conflict as exc:
            applied = _applied_by(exc, token) if token is not None else None
            if applied is None:
                raise
            logger.info("dynamodb UpdateItem on %s had landed before its retry", name)
            return applied
        return deserialize_item(response.get("Attributes", {}))

    def delete(
        self, table: Table, key: Key, *, condition: ConditionBase | None = None
    ) -> Item | None:
        """DeleteItem; returns the deleted item, or None if there was none."""
        name = self.table_name(table)
        request: dict[str, Any] = {
            "TableName": name,
            "Key": serialize_item(key),
            "ReturnValues": "ALL_OLD",
        }
        if condition is not None:
            expr = _Expression()
            request["ConditionExpression"] = expr.condition(condition)
            expr.apply(request)
        response = self._call("DeleteItem", name, self.client.delete_item, **request)
        raw = response.get("Attributes")
        return deserialize_item(raw) if raw else None

    def delete_existing(self, table: Table, key: Key, *, condition: ConditionBase | None = None) -> bool:
        """Delete an item that exists; False when there was none to delete.

        A deleted item cannot carry a request token, so a retry is told apart
        differently: when botocore had to retry and the item is now gone, the
        attempt whose answer was lost is what deleted it, and that is success
        (an unretried call that finds nothing is a plain "not there").
        """
        exists: ConditionBase = Attr(table.hash_key).exists()
        name = self.table_name(table)
        expr = _Expression()
        request: dict[str, Any] = {
            "TableName": name,
            "Key": serialize_item(key),
            "ConditionExpression": expr.condition(exists & condition if condition is not None else exists),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        expr.apply(request)
        try:
            self._call("DeleteItem", name, self.client.delete_item, **request)
        except Conflict as exc:
            cause = exc.__cause__
            still_there = isinstance(cause, ClientError) and bool(cause.response.get("Item"))
            if not still_there and _was_retried(exc):
                logger.info("dynamodb DeleteItem on %s had landed before its retry", name)
                return True
            if still_there:
                raise
            return False
        return True

    # --- collections ----------------------------------------------------------

    def query(
        self,
        table: Table,
        key_condition: ConditionBase,
        *,
        limit: int,
        index: str | None = None,
        forward: bool = True,
        start_key: dict[str, Any] | None = None,
        filter_condition: ConditionBase | None = None,
        consistent: bool = False,
        projection: Sequence[str] = (),
    ) -> QueryResult:
        """One Query call: at most ``limit`` items and the key to continue from.

        ``projection`` names the only attributes to return: a reader that needs
        a few attributes leaves the rest (a note's ciphertext) where it is.
        """
        name = self.table_name(table)
        expr = _Expression()
        request: dict[str, Any] = {
            "TableName": name,
            "KeyConditionExpression": expr.key_condition(key_condition),
            "Limit": limit,
            "ScanIndexForward": forward,
        }
        if projection:
            request["ProjectionExpression"] = ", ".join(expr.name(a) for a in projection)
        if filter_condition is not None:
            request["FilterExpression"] = expr.condition(filter_condition)
        if index:
            request["IndexName"] = index
        if start_key:
            request["ExclusiveStartKey"] = start_key
        if consistent:
            request["ConsistentRead"] = True
        expr.apply(request)
        response = self._call("Query", name, self.client.query, **request)
        return QueryResult(
            items=[deserialize_item(i) for i in response.get("Items", [])],
            last_key=response.get("LastEvaluatedKey"),
        )

    def count(
        self,
        table: Table,
        key_condition: ConditionBase,
        *,
        index: str | None = None,
        start_key: dict[str, Any] | None = None,
        consistent: bool = False,
        filter_condition: ConditionBase | None = None,
    ) -> tuple[int, dict[str, Any] | None]:
        """One Query with Select=COUNT: how many items match (in up to 1 MB read), and where to go on.

        A filter narrows what is counted, not what is read: the 1 MB bound applies before it.
        """
        name = self.table_name(table)
        expr = _Expression()
        request: dict[str, Any] = {
            "TableName": name,
            "KeyConditionExpression": expr.key_condition(key_condition),
            "Select": "COUNT",
        }
        if filter_condition is not None:
            request["FilterExpression"] = expr.condition(filter_condition)
        if index:
            request["IndexName"] = index
        if start_key:
            request["ExclusiveStartKey"] = start_key
        if consistent:
            request["ConsistentRead"] = True
        expr.apply(request)
        response = self._call("Query", name, self.client.query, **request)
        return int(response.get("Count", 0)), response.get("LastEvaluatedKey")

    def scan(
        self,
        table: Table,
        *,
        limit: int,
        start_key: dict[str, Any] | None = None,
        filter_condition: ConditionBase | None = None,
        projection: Sequence[str] = (),
    ) -> QueryResult:
        """One Scan call. For staff listings and maintenance only, never a client page.

        ``projection`` names the only attributes to return (staff listings use it
        so clinical attributes never leave the database).
        """
        name = self.table_name(table)
        request: dict[str, Any] = {"TableName": name, "Limit": limit}
        expr = _Expression()
        if filter_condition is not None:
            request["FilterExpression"] = expr.condition(filter_condition)
        if projection:
            request["ProjectionExpression"] = ", ".join(expr.name(a) for a in projection)
        expr.apply(request)
        if start_key:
            request["ExclusiveStartKey"] = start_key
        response = self._call("Scan", name, self.client.scan, **request)
        return QueryResult(
            items=[deserialize_item(i) for i in response.get("Items", [])],
            last_key=response.get("LastEvaluatedKey"),
        )

    def batch_get(
        self,
        table: Table,
        keys: Sequence[Key],
        *,
        consistent: bool = False,
        attributes: Sequence[str] | None = None,
    ) -> list[Item]:
        """BatchGetItem in chunks of 100, retrying UnprocessedKeys with backoff.

        ``attributes`` limits what is read (a ProjectionExpression), e.g. to leave
        clinical text out of a listing that only labels its items.
        """
        name = self.table_name(table)
        projection: dict[str, Any] = {}
        if attributes:
            names = {f"#p{number}": attribute for number, attribute in enumerate(attributes)}
            projection = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
        unique: dict[tuple[tuple[str, Any], ...], Key] = {}
        for key in keys:
            if not key_is_possible(table, key):
                continue
            unique.setdefault(tuple(sorted(key.items())), key)
        pending = [serialize_item(k) for k in unique.values()]
        found: list[Item] = []
        for start in range(0, len(pending), _BATCH_GET_LIMIT):
            request_keys = pending[start : start + _BATCH_GET_LIMIT]
            attempt = 0
            while request_keys:
                response = self._call(
                    "BatchGetItem",
                    name,
                    self.client.batch_get_item,
                    RequestItems={name: {"Keys": request_keys, "ConsistentRead": consistent, **projection}},
                )
                found.extend(deserialize_item(i) for i in response["Responses"].get(name, []))
                request_keys = response.get("UnprocessedKeys", {}).get(name, {}).get("Keys", [])
                if request_keys:
                    attempt += 1
                    if attempt > _BATCH_RETRIES:
                        logger.error("dynamodb BatchGetItem on %s: keys left unprocessed", name)
                        raise DatabaseUnavailable("BatchGetItem left keys unprocessed")
                    time.sleep(min(1.0, 0.02 * 2**attempt) * random.uniform(0.5, 1.0))
        return found

    def batch_get_tables(
        self, requests: Sequence[tuple[Table, Sequence[Key]]], *, consistent: bool = False
    ) -> dict[str, list[Item]]:
        """One BatchGetItem across several tables (at most 100 keys in all), retrying UnprocessedKeys.

        For a page that needs a few items of different tables at once (a mapping
        and its relationship record): one round trip instead of one GetItem each.
        Returns the items found, by the table's logical name (``Table.name``).
        """
        logical = {self.table_name(table): table.name for table, _ in requests}
        pending: dict[str, Any] = {}
        for table, keys in requests:
            possible = [serialize_item(k) for k in keys if key_is_possible(table, k)]
            if possible:
                pending[self.table_name(table)] = {"Keys": possible, "ConsistentRead": consistent}
        if sum(len(r["Keys"]) for r in pending.values()) > _BATCH_GET_LIMIT:
            raise ValueError(f"one BatchGetItem reads at most {_BATCH_GET_LIMIT} keys")
        found: dict[str, list[Item]] = {table.name: [] for table, _ in requests}
        attempt = 0
        while pending:
            response = self._call(
                "BatchGetItem", ",".join(sorted(pending)), self.client.batch_get_item, RequestItems=pending
            )
            for name, items in response["Responses"].items():
                found[logical[name]].extend(deserialize_item(i) for i in items)
            pending = response.get("UnprocessedKeys") or {}
            if pending:
                attempt += 1
                if attempt > _BATCH_RETRIES:
                    logger.error("dynamodb BatchGetItem on %s: keys left unprocessed", ",".join(sorted(pending)))
                    raise DatabaseUnavailable("BatchGetItem left keys unprocessed")
                time.sleep(min(1.0, 0.02 * 2**attempt) * random.uniform(0.5, 1.0))
        return found

    def batch_delete(self, table: Table, keys: Sequence[Key]) -> None:
        """BatchWriteItem deletes in chunks of 25, retrying UnprocessedItems with backoff.

        Unconditional, and deleting a missing item is not an error: for jobs
        that delete everything under a key and may run again after a failure.
        """
        name = self.table_name(table)
        requests = [{"DeleteRequest": {"Key": serialize_item(k)}} for k in keys]
        for start in range(0, len(requests), _BATCH_WRITE_LIMIT):
            pending = requests[start : start + _BATCH_WRITE_LIMIT]
            attempt = 0
            while pending:
                response = self._call(
                    "BatchWriteItem", name, self.client.batch_write_item, RequestItems={name: pending}
                )
                pending = response.get("UnprocessedItems", {}).get(name, [])
                if pending:
                    attempt += 1
                    if attempt > _BATCH_RETRIES:
                        logger.error("dynamodb BatchWriteItem on %s: items left unprocessed", name)
                        raise DatabaseUnavailable("BatchWriteItem left items unprocessed")
                    time.sleep(min(1.0, 0.02 * 2**attempt) * random.uniform(0.5, 1.0))

    def transact_write(self, operations: Sequence[TransactOp]) -> None:
        """TransactWriteItems: all operations happen, or none."""
        items: list[dict[str, Any]] = []
        for op in operations:
            name = self.table_name(op.table)
            expr = _Expression()
            if isinstance(op, TransactPut):
                entry: dict[str, Any] = {"TableName": name, "Item": serialize_item(op.item)}
                if op.condition is not None:
                    entry["ConditionExpression"] = expr.condition(op.condition)
                items.append({"Put": expr.apply(entry)})
            elif isinstance(op, TransactUpdate):
                entry = {"TableName": name, "Key": serialize_item(op.key)}
                if op.condition is not None:
                    entry["ConditionExpression"] = expr.condition(op.condition)
                entry["UpdateExpression"] = _update_expression(
                    expr, op.set_values, op.remove, op.add, set_if_absent=op.set_if_absent
                )
                items.append({"Update": expr.apply(entry)})
            elif isinstance(op, TransactConditionCheck):
                entry = {"TableName": name, "Key": serialize_item(op.key)}
                entry["ConditionExpression"] = expr.condition(op.condition)
                items.append({"ConditionCheck": expr.apply(entry)})
            else:
                entry = {"TableName": name, "Key": serialize_item(op.key)}
                if op.condition is not None:
                    entry["ConditionExpression"] = expr.condition(op.condition)
                items.append({"Delete": expr.apply(entry)})
        self._transact(items)

    def _transact(self, items: list[dict[str, Any]]) -> None:
        """Send one transaction, again while it is only held up by other transactions.

        The ClientRequestToken is ours, so botocore's retries and ours after
        TransactionInProgressException (the same request still running on AWS,
        after an answer was lost) send the same token: DynamoDB applies it once
        and answers a later copy with the first one's outcome. A transaction
        cancelled only for TransactionConflict applied nothing; it goes again
        under a new token (a token names one attempt's outcome, and that one
        was "cancelled"). Past the attempts: TransactionConflicted (a Conflict),
        or, still in progress, DatabaseUnavailable (outcome unknown: the 503 page).
        """
        token = new_request_token()
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                self.client.transact_write_items(TransactItems=items, ClientRequestToken=token)
                return
            except (ClientError, BotoCoreError) as exc:
                code = _error_code(exc)
                conflicted = isinstance(exc, ClientError) and (
                    code == "TransactionCanceledException" and _conflict_only(_cancellation_reasons(exc))
                )
                if attempt < _CONFLICT_ATTEMPTS - 1 and (conflicted or code == "TransactionInProgressException"):
                    if conflicted:
                        token = new_request_token()
                    _conflict_pause(attempt + 1)
                    continue
                translated = self._translated("TransactWriteItems", "(transaction)", exc)
                if translated is None:
                    raise
                raise translated from exc

    # --- tables -----------------------------------------------------------------

    def describe(self, table: Table) -> dict[str, Any] | None:
        """DescribeTable, or None when the table does not exist."""
        name = self.table_name(table)
        try:
            return self.client.describe_table(TableName=name)["Table"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            translated = self._translated("DescribeTable", name, exc)
            if translated is None:
                raise
            raise translated from exc

    def ping(self) -> None:
        """One cheap call proving the database answers (for /healthz).

        A GetItem of a key that never exists, rather than ListTables: it proves the
        app's own table is reachable with the app's own permissions, and the
        production IAM policy needs no action on every table of the account.
        """
        name = self.table_name(WEB_SESSIONS)
        self._call(
            "GetItem",
            name,
            self.client.get_item,
            TableName=name,
            Key={WEB_SESSIONS.hash_key: {"S": "healthz-probe"}},
        )
