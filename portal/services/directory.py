"""The staff's view of accounts: identity and metadata, never clinical content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.accounts.user import account_id_of
from portal.domain import AccountKind, Page
from portal.dynamo.account_search import MIN_SEARCH_LENGTH, AccountSearchRepository, FoundAccount
from portal.dynamo.clients import ClientRepository
from portal.dynamo.therapists import TherapistRepository

PAGE_SIZE = 25
# The most accounts a search lists (a longer start narrows it).
SEARCH_RESULTS = 50


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


class SearchTooShort(ValueError):
    pass


def _found_summary(found: FoundAccount) -> AccountSummary:
    return AccountSummary(
        kind=found.kind,
        account_id=found.account_id,
        name=found.name,
        email=found.email,
        email_verified=found.email_verified,
        mfa_enabled=found.mfa_enabled,
        created_at=found.created_at,
    )


def account_search(*, text: str) -> list[AccountSummary]:
    """Clients and therapists whose name or email starts with ``text`` (at least two letters).

    Raises SearchTooShort for less: a one-letter search would match too many
    people to be of use, and the index is keyed by two letters.
    """
    if len(" ".join(text.split())) < MIN_SEARCH_LENGTH:
        raise SearchTooShort(f"Type at least {MIN_SEARCH_LENGTH} letters of a name or an email.")
    return [_found_summary(f) for f in AccountSearchRepository().search(text)[:SEARCH_RESULTS]]


def account_search_backfill() -> int:
    """Search keys on the accounts made before the search indexes; how many were written."""
    return AccountSearchRepository().backfill()
