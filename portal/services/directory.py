"""The staff's view of accounts: identity and metadata, never clinical content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.accounts.user import account_id_of
from portal.domain import AccountKind, Page
from portal.dynamo.clients import ClientRepository
from portal.dynamo.therapists import TherapistRepository

PAGE_SIZE = 25


@dataclass(frozen=True)
class AccountSummary:
    kind: AccountKind
    account_id: str
    name: str
    email: str
    email_verified: bool
    mfa_enabled: bool
    created_at: datetime | None
    specialization: str = ""


def _summary(kind: AccountKind, account: Any) -> AccountSummary:
    return AccountSummary(
        kind=kind,
        account_id=account_id_of(account),
        name=account.name,
        email=account.email,
        email_verified=account.email_verified,
        mfa_enabled=bool(account.mfa_secret),
        created_at=account.created_at,
        specialization=getattr(account, "specialization", ""),
    )


def directory_page(*, kind: AccountKind, cursor: str | None = None) -> Page[AccountSummary]:
    """A page of clients or of therapists (a paged Scan: staff lists only)."""
    if kind is AccountKind.CLIENT:
        clients = ClientRepository().list_page(limit=PAGE_SIZE, cursor=cursor)
        return Page([_summary(kind, c) for c in clients.items], clients.next_cursor)
    therapists = TherapistRepository().list_page(limit=PAGE_SIZE, cursor=cursor)
    return Page([_summary(kind, t) for t in therapists.items], therapists.next_cursor)


def directory_search(*, email: str) -> list[AccountSummary]:
    """Exact email search across clients and therapists (their email GSIs)."""
    found: list[AccountSummary] = []
    client = ClientRepository().find_by_email(email)
    if client:
        found.append(_summary(AccountKind.CLIENT, client))
    therapist = TherapistRepository().find_by_email(email)
    if therapist:
        found.append(_summary(AccountKind.THERAPIST, therapist))
    return found
