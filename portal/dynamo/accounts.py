"""Sign-up with a unique email, shared by the three account tables.

A GSI cannot enforce uniqueness (it is eventually consistent), so an account
is written together with a claim on its email in one TransactWriteItems, each
with attribute_not_exists: of many concurrent sign-ups with one email, one
transaction wins and the others are cancelled.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.conditions import Attr

from portal.domain import AccountKind, EmailClaim, EmailTaken, normalize_email
from portal.dynamo.gateway import DynamoGateway, TransactionCancelled, TransactPut, busy_database
from portal.dynamo.schema import EMAIL_CLAIMS, Table

_CONFLICT_ATTEMPTS = 5


def put_account_with_email_claim(
    db: DynamoGateway,
    *,
    table: Table,
    item: Mapping[str, Any],
    kind: AccountKind,
    account_id: str,
    email: str,
) -> None:
    claim = {
        "email": normalize_email(email),
        "accountKind": str(kind),
        "accountId": account_id,
    }
    operations = [
        TransactPut(EMAIL_CLAIMS, claim, Attr("email").not_exists()),
        TransactPut(table, item, Attr(table.hash_key).not_exists()),
    ]
    for attempt in range(_CONFLICT_ATTEMPTS):
        try:
            db.transact_write(operations)
            return
        except TransactionCancelled as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                raise EmailTaken("An account with this email already exists.") from exc
            if not exc.busy:
                raise
            # Two sign-ups racing for one claim can both be cancelled with
            # TransactionConflict; trying again lets the claim decide. A conflict
            # that outlives the retries means "busy": the 503 page, not a 500.
            if attempt == _CONFLICT_ATTEMPTS - 1:
                raise busy_database(exc) from exc
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))


def get_email_claim(db: DynamoGateway, email: str) -> EmailClaim | None:
    item = db.get(EMAIL_CLAIMS, {"email": normalize_email(email)}, consistent=True)
    if item is None:
        return None
    return EmailClaim(
        email=item["email"],
        account_kind=AccountKind(item["accountKind"]),
        account_id=item["accountId"],
    )
