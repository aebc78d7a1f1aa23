"""Calendar feeds: which account a secret feed token belongs to, stored by the token's hash.

The token itself is never stored: whoever reads the table (or a backup of it)
cannot subscribe to anybody's calendar. Each account has at most one token; a
new one replaces the old in the same transaction, so the old link stops at once.
"""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr

from portal.domain import AccountKind, Conflict
from portal.dynamo.base import Repository
from portal.dynamo.gateway import TransactDelete, TransactionCancelled, TransactOp, TransactPut
from portal.dynamo.schema import CALENDAR_FEEDS
from portal.timeutil import to_iso, utcnow


def _account_key(kind: AccountKind, account_id: str) -> str:
    return f"account#{kind}:{account_id}"


def _token_key(token_hash: str) -> str:
    return f"token#{token_hash}"


class CalendarFeedRepository(Repository):
    def current_hash(self, kind: AccountKind, account_id: str) -> str | None:
        item = self.db.get(CALENDAR_FEEDS, {"feedKey": _account_key(kind, account_id)}, consistent=True)
        return str(item["tokenHash"]) if item else None

    def owner(self, token_hash: str) -> tuple[AccountKind, str] | None:
        """The account a token belongs to, or None for an unknown or revoked token."""
        item = self.db.get(CALENDAR_FEEDS, {"feedKey": _token_key(token_hash)}, consistent=True)
        if item is None:
            return None
        return AccountKind(item["accountKind"]), str(item["accountId"])

    def replace(
        self, kind: AccountKind, account_id: str, *, new_hash: str | None, old_hash: str | None
    ) -> None:
        """Swap the account's token hash (None: no feed), refusing if it changed since read."""
        account_key = _account_key(kind, account_id)
        operations: list[TransactOp] = []
        if old_hash:
            operations.append(TransactDelete(CALENDAR_FEEDS, {"feedKey": _token_key(old_hash)}))
        if new_hash:
            operations.append(
                TransactPut(
                    CALENDAR_FEEDS,
                    {
                        "feedKey": _token_key(new_hash),
                        "accountKind": str(kind),
                        "accountId": account_id,
                        "createdAt": to_iso(utcnow()),
                    },
                    Attr("feedKey").not_exists(),
                )
            )
            account_item = {"feedKey": account_key, "tokenHash": new_hash, "createdAt": to_iso(utcnow())}
            guard = Attr("tokenHash").eq(old_hash) if old_hash else Attr("feedKey").not_exists()
            operations.append(TransactPut(CALENDAR_FEEDS, account_item, guard))
        elif old_hash:
            operations.append(
                TransactDelete(CALENDAR_FEEDS, {"feedKey": account_key}, Attr("tokenHash").eq(old_hash))
            )
        if not operations:
            return
        try:
            self.db.transact_write(operations)
        except TransactionCancelled:
            raise Conflict("The calendar link changed meanwhile; please try again.") from None
