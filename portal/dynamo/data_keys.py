"""The DataKeys table: one wrapped data key per key owner, or the mark that it was destroyed.

Only ``field_crypto`` reads and writes it. A key is created once (conditional
put), rewrapped under a newer master key by rotation (conditional on the master
key it was read under, so a rotation racing another, or an erasure, never
overwrites a newer state), and destroyed by overwriting it with a tombstone
that holds no key material: the tombstone stops a late write from quietly
creating a fresh key for an erased client.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr

from portal.domain import Conflict, Page
from portal.dynamo.gateway import Item
from portal.dynamo.pagination import decode_cursor, encode_cursor
from portal.dynamo.repository import Repository, clamp_limit, within_limit
from portal.dynamo.schema import DATA_KEYS
from portal.timeutil import maybe_from_iso, to_iso, utcnow


@dataclass(frozen=True)
class StoredDataKey:
    owner_id: str
    # None once destroyed.
    wrapped_key: bytes | None
    master_key_id: str | None
    created_at: datetime | None = None
    rotated_at: datetime | None = None
    destroyed_at: datetime | None = None

    @property
    def destroyed(self) -> bool:
        return self.wrapped_key is None


def _to_item(key: StoredDataKey) -> dict[str, Any]:
    return {
        "ownerId": key.owner_id,
        "wrappedKey": base64.b64encode(key.wrapped_key).decode() if key.wrapped_key else None,
        "masterKeyId": key.master_key_id,
        "createdAt": to_iso(key.created_at) if key.created_at else None,
        "rotatedAt": to_iso(key.rotated_at) if key.rotated_at else None,
        "destroyedAt": to_iso(key.destroyed_at) if key.destroyed_at else None,
    }


def _from_item(item: Item) -> StoredDataKey:
    wrapped = item.get("wrappedKey")
    return StoredDataKey(
        owner_id=item["ownerId"],
        wrapped_key=base64.b64decode(wrapped) if wrapped else None,
        master_key_id=item.get("masterKeyId"),
        created_at=maybe_from_iso(item.get("createdAt")),
        rotated_at=maybe_from_iso(item.get("rotatedAt")),
        destroyed_at=maybe_from_iso(item.get("destroyedAt")),
    )


class DataKeyRepository(Repository):
    def get(self, owner_id: str) -> StoredDataKey | None:
        # Consistent: a key destroyed a moment ago must not be read back.
        item = self.db.get(DATA_KEYS, {"ownerId": owner_id}, consistent=True)
        return _from_item(item) if item else None

    def get_many(self, owner_ids: Iterable[str]) -> dict[str, StoredDataKey]:
        """One BatchGetItem (per 100 owners), consistent; owners without a key are absent."""
        keys = [{"ownerId": owner} for owner in dict.fromkeys(owner_ids)]
        if not keys:
            return {}
        found = self.db.batch_get(DATA_KEYS, keys, consistent=True)
        return {item["ownerId"]: _from_item(item) for item in found}

    def create(self, key: StoredDataKey) -> StoredDataKey:
        """Store a new key; Conflict when the owner already has one (or a tombstone)."""
        self.db.put(DATA_KEYS, _to_item(key), condition=Attr("ownerId").not_exists())
        return key

    def rewrap(
        self, owner_id: str, *, expected_master_key_id: str, wrapped_key: bytes, master_key_id: str
    ) -> bool:
        """Replace the wrapping if it is still the one read; False when it changed meanwhile."""
        try:
            self.db.update(
                DATA_KEYS,
                {"ownerId": owner_id},
                set_values={
                    "wrappedKey": base64.b64encode(wrapped_key).decode(),
                    "masterKeyId": master_key_id,
                    "rotatedAt": to_iso(utcnow()),
                },
                condition=Attr("wrappedKey").exists()
                & Attr("masterKeyId").eq(expected_master_key_id),
            )
        except Conflict:
            return False
        return True

    def destroy(self, owner_id: str) -> None:
        """Overwrite the key with a tombstone; destroying twice keeps the first tombstone."""
        try:
            self.db.put(
                DATA_KEYS,
                {"ownerId": owner_id, "destroyedAt": to_iso(utcnow())},
                condition=Attr("destroyedAt").not_exists(),
            )
        except Conflict:
            pass

    def scan(self, *, limit: int = 100, cursor: str | None = None) -> Page[StoredDataKey]:
        """Every stored key, a page at a time: for rotation, never for a page."""
        scope = "data_keys.all"
        limit = clamp_limit(limit)
        read = self.db.scan(DATA_KEYS, limit=limit + 1, start_key=decode_cursor(cursor, scope, max_age=None))
        result = within_limit(read, table=DATA_KEYS, index=None, limit=limit)
        # Wrapped keys are no clinical text: no key scope (and no import of field_crypto, which is built on this).
        return Page(items=[_from_item(item) for item in result.items], next_cursor=encode_cursor(result.last_key, scope))
