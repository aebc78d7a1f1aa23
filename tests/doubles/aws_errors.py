"""Answers AWS gives that the local engines never do, raised from the app's own client.

On AWS a PutItem, UpdateItem or DeleteItem that touches an item while a
transaction holds it fails with TransactionConflictException; a transaction
meeting another one is cancelled with the reason TransactionConflict; a
transaction whose earlier copy (same ClientRequestToken) is still running
fails with TransactionInProgressException. moto and dynoxide serialise
requests, so these never happen there. ``aws_errors`` hooks the client's
``before-parameter-build`` event of one operation (its parameters as the
gateway passed them) and raises the error for the next ``times`` calls the
gateway makes, before anything is sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

from botocore.exceptions import ClientError

from portal.dynamo.gateway import DynamoGateway

_ids = count()


class AwsErrors:
    def __init__(self) -> None:
        self.raised: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.params: list[dict[str, Any]] = []


def client_error(operation: str, code: str, reasons: list[str] | None = None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": code}}
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": reason} for reason in reasons]
    return ClientError(response, operation)  # type: ignore[arg-type]


@contextmanager
def aws_errors(
    gateway: DynamoGateway,
    operation: str,
    code: str,
    *,
    times: int | None = None,
    reasons: list[str] | None = None,
    when: Any = None,
) -> Iterator[AwsErrors]:
    """Raise ``code`` for the next ``times`` calls of ``operation`` (every call when None).

    ``when(params)`` narrows which calls fail (for example one table's updates).
    """
    log = AwsErrors()
    left = [times]
    hook_id = f"test-aws-errors-{next(_ids)}"

    def fail(params: dict[str, Any], **_: Any) -> None:
        log.calls[operation] += 1
        log.params.append(params)
        if when is not None and not when(params):
            return
        if left[0] is not None:
            if left[0] <= 0:
                return
            left[0] -= 1
        log.raised[operation] += 1
        raise client_error(operation, code, reasons)

    events = gateway.client.meta.events
    events.register(f"before-parameter-build.dynamodb.{operation}", fail, unique_id=hook_id)
    try:
        yield log
    finally:
        events.unregister(f"before-parameter-build.dynamodb.{operation}", unique_id=hook_id)
