"""Finding client and therapist accounts by the start of a name or an email (staff only).

Every account item carries the keys of two sparse-free search indexes (see
``schema.ACCOUNT_SEARCH_ATTRIBUTES``): ``nameShard``/``nameKey`` and
``emailShard``/``emailKey``. The shard is the first two letters of the
normalized text and a number from the account id, so a search for "Mar" runs
one Query per shard of "ma" with ``begins_with(nameKey, "mar")``: a fixed number
of calls whatever the number of accounts, and never a Scan.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import AccountKind
from portal.dynamo.repository import Repository
from portal.dynamo.schema import CLIENTS, THERAPISTS, Table
from portal.timeutil import maybe_from_iso

# How many shards each two-letter start is spread over. Changing it needs every
# account's search keys written again (manage.py backfill_account_search).
SHARDS = 2
# The shortest text a search accepts: the shard is named by two letters.
MIN_SEARCH_LENGTH = 2
# The most accounts one Query of one shard returns.
PER_SHARD_LIMIT = 25

_TABLES: tuple[tuple[AccountKind, Table, str], ...] = (
    (AccountKind.CLIENT, CLIENTS, "Clients"),
    (AccountKind.THERAPIST, THERAPISTS, "Therapists"),
)


def normalize_search_text(text: str) -> str:
    """Lower case, accents dropped, spaces collapsed: "  María  Santos" -> "maria santos"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def _shard_number(account_id: str) -> int:
    return zlib.crc32(account_id.encode()) % SHARDS


def _shard(text: str, number: int) -> str:
    return f"{text[:MIN_SEARCH_LENGTH]}#{number}"


def search_key_attributes(account_id: str, name: str, email: str) -> dict[str, Any]:
    """The index keys an account item carries (None leaves an attribute out, e.g. an empty name)."""
    number = _shard_number(account_id)
    name_key = normalize_search_text(name)
    email_key = normalize_search_text(email)
    return {
        "nameShard": _shard(name_key, number) if name_key else None,
        "nameKey": name_key or None,
        "emailShard": _shard(email_key, number) if email_key else None,
        "emailKey": email_key or None,
    }


@dataclass(frozen=True)
class FoundAccount:
    """What the staff list shows of an account found by a search (what the index holds)."""

    kind: AccountKind
    account_id: str
    name: str
    email: str
    email_verified: bool
    mfa_enabled: bool
    created_at: datetime | None
    deactivated: bool


class AccountSearchRepository(Repository):
    def search(self, text: str) -> list[FoundAccount]:
        """Clients and therapists whose name or email starts with ``text``, by name.

        ``text`` shorter than two letters finds nothing (callers say so). The
        number of calls is fixed: for each table and each of its two search
        indexes, one Query per shard.
        """
        prefix = normalize_search_text(text)
        if len(prefix) < MIN_SEARCH_LENGTH:
            return []
        found: dict[tuple[AccountKind, str], FoundAccount] = {}
        for kind, table, label in _TABLES:
            for index, key in ((f"GSI_{label}_ByNamePrefix", "name"), (f"GSI_{label}_ByEmailPrefix", "email")):
                for number in range(SHARDS):
                    result = self.db.query(
                        table,
                        Key(f"{key}Shard").eq(_shard(prefix, number)) & Key(f"{key}Key").begins_with(prefix),
                        index=index,
                        limit=PER_SHARD_LIMIT,
                    )
                    for item in result.items:
                        account = FoundAccount(
                            kind=kind,
                            account_id=item[table.hash_key],
                            name=item.get("name", ""),
                            email=item.get("email", ""),
                            email_verified=bool(item.get("emailVerified", False)),
                            mfa_enabled=bool(item.get("mfaEnabled", False)),
                            created_at=maybe_from_iso(item.get("createdAt")),
                            deactivated=bool(item.get("deactivated", False)),
                        )
                        found[(kind, account.account_id)] = account
        return sorted(found.values(), key=lambda a: (normalize_search_text(a.name), a.email, a.account_id))

    def backfill(self) -> int:
        """Write the search keys (and the two-factor mirror) on every client and therapist item (maintenance).

        A Scan of the id, name and email only; an item whose keys are already
        right is left alone, so running it twice writes nothing the second time.
        """
        written = 0
        for _kind, table, _label in _TABLES:
            start: dict[str, Any] | None = None
            while True:
                result = self.db.scan(
                    table,
                    limit=100,
                    start_key=start,
                    projection=(
                        table.hash_key,
                        "name",
                        "email",
                        "nameShard",
                        "nameKey",
                        "emailShard",
                        "emailKey",
                        "mfaSecret",
                        "mfaEnabled",
                    ),
                )
                for item in result.items:
                    wanted = search_key_attributes(item[table.hash_key], item.get("name", ""), item.get("email", ""))
                    # The list shows two-factor from this mirror, never from the secret.
                    wanted["mfaEnabled"] = True if item.get("mfaSecret") else None
                    if all(item.get(k) == v for k, v in wanted.items()):
                        continue
                    self.db.update(
                        table,
                        {table.hash_key: item[table.hash_key]},
                        set_values=wanted,
                        condition=Attr(table.hash_key).exists(),
                    )
                    written += 1
                start = result.last_key
                if not start:
                    break
        return written
