"""Create something once per idempotency key: the claim rides in the create's own transaction.

Every form that creates something carries a fresh key (portal/forms/idempotency.py).
The repository that creates the item writes, in ONE TransactWriteItems, the
item itself and a claim of the key in IdempotencyKeys (``attribute_not_exists``)
that names the created item's key. A double click or a retry after a timeout
or a 503 sends the same key again: its claim fails, and the item the first
request created is read back (through the claim, consistently) and returned.
Either both are stored or neither, so there is no window where the item exists
without its claim, or the claim without its item.

The claim item is ``{"idempotencyKey": <scope>:<owner>:<form key>, "expiresAt":
<ttl>, **<created item's key attributes>}``. The key is scoped by what is
created and by its owner, so one person's key can never reach another's item.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from boto3.dynamodb.conditions import Attr

from portal.domain import DuplicateSubmission
from portal.dynamo.gateway import (
    DynamoGateway,
    Item,
    TransactionCancelled,
    TransactOp,
    TransactPut,
    busy_database,
)
from portal.dynamo.schema import IDEMPOTENCY_KEYS
from portal.timeutil import epoch_seconds, utcnow

T = TypeVar("T")

# Long enough to cover any retry or a browser's resubmission.
IDEMPOTENCY_WINDOW = timedelta(days=1)
_CONFLICT_ATTEMPTS = 5
_OWN_ATTRIBUTES = frozenset({"idempotencyKey", "expiresAt"})


def claim_key(scope: str, owner: str, form_key: str) -> str:
    """The stored key: what is created (``scope``), whose it is, and the form's key."""
    return f"{scope}:{owner}:{form_key}"


def claim_put(key: str, target: Mapping[str, Any]) -> TransactPut:
    """The claim of ``key``, naming ``target`` (the created item's key), for the create's transaction."""
    item: dict[str, Any] = {
        **target,
        "idempotencyKey": key,
        "expiresAt": epoch_seconds(utcnow() + IDEMPOTENCY_WINDOW),
    }
    return TransactPut(IDEMPOTENCY_KEYS, item, Attr("idempotencyKey").not_exists())


def claimed_target(db: DynamoGateway, key: str) -> dict[str, Any] | None:
    """The key of the item created under ``key``, or None if nothing claimed it."""
    claim = db.get(IDEMPOTENCY_KEYS, {"idempotencyKey": key}, consistent=True)
    if claim is None:
        return None
    return {name: value for name, value in claim.items() if name not in _OWN_ATTRIBUTES}


def create_once(
    db: DynamoGateway,
    *,
    key: str,
    target: Mapping[str, Any],
    operations: Sequence[TransactOp],
    created: T,
    load: Callable[[dict[str, Any]], T | None],
) -> tuple[T, bool]:
    """Write ``operations`` and the claim of ``key`` as one transaction.

    Returns ``(created, True)`` when this call stored it, or ``(what the first
    call stored, False)`` for a repeat of the same key; ``load`` reads an item
    back from its key (consistently). Raises ``DuplicateSubmission`` when the
    key was used but its item is gone (deleted since): a repeat never recreates it.
    """
    transaction = [claim_put(key, target), *operations]
    for attempt in range(_CONFLICT_ATTEMPTS):
        try:
            db.transact_write(transaction)
            return created, True
        except TransactionCancelled as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                existing_key = claimed_target(db, key)
                if existing_key is not None:
                    existing = load(existing_key)
                    if existing is None:
                        raise DuplicateSubmission("This form was already sent.") from None
                    return existing, False
            if not exc.busy:
                raise
            # A double submit racing its twin can be cancelled with
            # TransactionConflict; trying again lets the claim decide. One that
            # outlives the retries means "busy": the 503 page, not a 500.
            if attempt == _CONFLICT_ATTEMPTS - 1:
                raise busy_database(exc) from exc
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise AssertionError("unreachable: the last attempt returns or raises")


def load_item(db: DynamoGateway, table: Any, convert: Callable[[Item], T]) -> Callable[[dict[str, Any]], T | None]:
    """A ``load`` for create_once: GetItem (consistent) of ``table`` and convert."""

    def load(item_key: dict[str, Any]) -> T | None:
        item = db.get(table, item_key, consistent=True)
        return convert(item) if item else None

    return load
