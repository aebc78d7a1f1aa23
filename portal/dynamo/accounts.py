"""What the account tables share: sign-up with a unique email, and one repository for clients and therapists.

A GSI cannot enforce uniqueness (it is eventually consistent), so an account
is written together with a claim on its email in one TransactWriteItems, each
with attribute_not_exists: of many concurrent sign-ups with one email, one
transaction wins and the others are cancelled.

The Clients and Therapists tables differ only in their names, their email
index and a therapist's profile attributes, so ``AccountRepository`` holds
their common operations once; each table's module says how its item maps to
its dataclass.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import AccountKind, EmailClaim, EmailTaken, Page, normalize_email
from portal.dynamo.base import Repository, scan_page
from portal.dynamo.gateway import (
    DynamoGateway,
    Item,
    TransactionCancelled,
    TransactPut,
    busy_database,
    new_request_token,
)
from portal.dynamo.schema import EMAIL_CLAIMS, Table
from portal.timeutil import maybe_from_iso, to_iso, utcnow

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


class Account(Protocol):
    """What every kind of account has (read-only: accounts are frozen dataclasses)."""

    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def password_hash(self) -> str: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def email_verified(self) -> bool: ...
    @property
    def created_at(self) -> datetime | None: ...
    @property
    def mfa_secret(self) -> str | None: ...
    @property
    def deactivated(self) -> bool: ...
    @property
    def last_login_at(self) -> datetime | None: ...
    @property
    def account_version(self) -> int: ...


def person_attributes(account: Account) -> dict[str, Any]:
    """The item attributes a client's and a therapist's account share (None: the attribute is left out)."""
    return {
        "email": normalize_email(account.email),
        "name": account.name,
        "passwordHash": account.password_hash,
        "timeZone": account.time_zone,
        "emailVerified": account.email_verified,
        "createdAt": to_iso(account.created_at or utcnow()),
        "mfaSecret": account.mfa_secret,
        "deactivated": True if account.deactivated else None,
        "lastLoginAt": to_iso(account.last_login_at) if account.last_login_at else None,
        # Written only when turned off: an item without it gets the optional emails.
        # (Staff accounts have no such choice.)
        "optionalEmails": None if getattr(account, "optional_emails", True) else False,
    }


def person_fields(item: Item) -> dict[str, Any]:
    """The dataclass fields a client's and a therapist's account share, from its item."""
    return {
        "email": item["email"],
        "name": item["name"],
        "password_hash": item["passwordHash"],
        "time_zone": item.get("timeZone", "UTC"),
        "email_verified": bool(item.get("emailVerified", False)),
        "created_at": maybe_from_iso(item.get("createdAt")),
        "mfa_secret": item.get("mfaSecret"),
        "deactivated": bool(item.get("deactivated", False)),
        "account_version": int(item.get("accountVersion", 0)),
        "last_login_at": maybe_from_iso(item.get("lastLoginAt")),
        "optional_emails": bool(item.get("optionalEmails", True)),
    }


A = TypeVar("A", bound=Account)


class AccountRepository(Repository, Generic[A]):
    """One account table keyed by the account's id, with an email index (seed: Sign Up = PutItem,
    Login = Query the email GSI, Get = GetItem). A subclass names its table and maps its items."""

    table: ClassVar[Table]
    kind: ClassVar[AccountKind]
    by_email_index: ClassVar[str]
    # Names the staff list's cursors, so one table's cursor is refused by another's list.
    scope: ClassVar[str]

    def to_item(self, account: A) -> dict[str, Any]:
        raise NotImplementedError

    def from_item(self, item: Item) -> A:
        raise NotImplementedError

    def account_id(self, account: A) -> str:
        raise NotImplementedError

    def _key(self, account_id: str) -> dict[str, str]:
        return {self.table.hash_key: account_id}

    def sign_up(self, account: A) -> A:
        """PutItem in the table, together with the email claim (raises EmailTaken)."""
        put_account_with_email_claim(
            self.db,
            table=self.table,
            item=self.to_item(account),
            kind=self.kind,
            account_id=self.account_id(account),
            email=account.email,
        )
        return account

    def get(self, account_id: str, *, consistent: bool = False) -> A | None:
        item = self.db.get(self.table, self._key(account_id), consistent=consistent)
        return self.from_item(item) if item else None

    def get_many(self, account_ids: Iterable[str], *, consistent: bool = False) -> dict[str, A]:
        items = self.db.batch_get(self.table, [self._key(i) for i in account_ids], consistent=consistent)
        return {self.account_id(a): a for a in map(self.from_item, items)}

    def find_by_email(self, email: str) -> A | None:
        """The account behind an email: the id from the index, then the account itself by id, consistently.

        The index holds the keys only (no password hash or two-factor secret in any index).
        """
        result = self.db.query(self.table, Key("email").eq(normalize_email(email)), index=self.by_email_index, limit=1)
        return self.get(result.items[0][self.table.hash_key], consistent=True) if result.items else None

    def update_fields(self, account_id: str, **fields: Any) -> A:
        """Set attributes of an existing account (never creates one); None removes an attribute."""
        item = self.db.update(
            self.table,
            self._key(account_id),
            set_values=fields,
            condition=Attr(self.table.hash_key).exists(),
            token=new_request_token(),
        )
        return self.from_item(item)

    def list_page(self, *, limit: int = 25, cursor: str | None = None) -> Page[A]:
        """A page of every account in the table (a Scan: for staff only)."""
        return scan_page(self.db, self.table, limit=limit, scope=f"{self.scope}.all", cursor=cursor, convert=self.from_item)
