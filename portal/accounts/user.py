"""The user object Django's auth machinery expects, built from a DynamoDB account.

It is an unmanaged model used only as a shim: it is never saved through the
ORM (there is no SQL database). Its primary key is "<kind>:<accountId>", which
is what Django keeps in the session, so one session names one account in one
table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from portal.domain import AccountKind
from portal.dynamo.accounts import Account
from portal.ids import is_valid_id


def account_id_of(account: Any) -> str:
    for attribute in ("client_id", "therapist_id", "staff_id"):
        value = getattr(account, attribute, None)
        if value:
            return str(value)
    raise TypeError(f"not an account: {type(account).__name__}")


def user_key(kind: AccountKind, account_id: str) -> str:
    return f"{kind}:{account_id}"


def parse_user_key(key: str) -> tuple[AccountKind, str] | None:
    """``(kind, account id)``, or None for anything we never issued.

    Keys arrive from URLs (a reset link's base64 part) and signed tokens: an
    empty or oversized id would otherwise reach DynamoDB as a ValidationException.
    """
    kind, _, account_id = key.partition(":")
    if not is_valid_id(account_id):
        return None
    try:
        return AccountKind(kind), account_id
    except ValueError:
        return None


@dataclass(frozen=True)
class Reader:
    """A therapist who can read the client's shared entries now (the name as the mapping holds it)."""

    therapist_id: str
    therapist_name: str


class User(AbstractBaseUser):
    id: models.CharField[str, str] = models.CharField(primary_key=True, max_length=64)
    email: models.EmailField[str, str] = models.EmailField(unique=True)
    name: models.CharField[str, str] = models.CharField(max_length=200)
    # No last_login field: Django would try to save it through the ORM at login.
    last_login = None  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        managed = False
        app_label = "portal"

    # Plain attributes, filled from the account item.
    kind: AccountKind
    account_id: str
    time_zone: str = "UTC"
    email_verified: bool = False
    mfa_enabled: bool = False
    # False once staff deactivated the account: it may not log in or stay logged in.
    is_active: bool = True
    account_version: int = 0
    # A client's active therapists, carried in the session beside the name so
    # that the journal need not Query the mappings on every view; None: not
    # loaded (another kind of account, or a user not built from a session).
    readers: tuple[Reader, ...] | None = None
    # True once ``readers`` was read consistently during this request (never stored in the session).
    readers_fresh: bool = False

    @classmethod
    def from_account(cls, kind: AccountKind, account: Account) -> User:
        account_id = account_id_of(account)
        user = cls(id=user_key(kind, account_id), email=account.email, name=account.name)
        user.password = account.password_hash
        user.kind = kind
        user.account_id = account_id
        user.time_zone = account.time_zone
        user.email_verified = account.email_verified
        user.mfa_enabled = bool(account.mfa_secret)
        user.is_active = not account.deactivated
        user.account_version = account.account_version
        return user

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("Accounts live in DynamoDB; use the account services.")

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise NotImplementedError("Accounts live in DynamoDB; use the account services.")

    @property
    def is_client(self) -> bool:
        return self.kind is AccountKind.CLIENT

    @property
    def is_therapist(self) -> bool:
        return self.kind is AccountKind.THERAPIST

    @property
    def is_staff_member(self) -> bool:
        return self.kind is AccountKind.STAFF

    @property
    def mfa_required(self) -> bool:
        return self.kind in (AccountKind.THERAPIST, AccountKind.STAFF)

    def __str__(self) -> str:
        return self.id
