"""The Journal table and its three local indexes (time, feeling, shared)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from portal.domain import Conflict, JournalEntry, NotFound, Page
from portal.dynamo.base import Repository, clamp_limit, to_page
from portal.dynamo.field_crypto import (
    client_key_owner,
    decrypt_optional,
    encrypt_optional,
    field_context,
)
from portal.dynamo.gateway import Item, TransactPut
from portal.dynamo.idempotency import claim_key, create_once, load_item
from portal.dynamo.pagination import decode_cursor
from portal.dynamo.schema import JOURNAL
from portal.timeutil import from_iso, maybe_from_iso, to_iso, utcnow

BY_TIME = "LSI_Journal_Time"
BY_FEELING = "LSI_Journal_ByFeeling"
SHARED = "LSI_Journal_SharedAt"
# A chart of more points than this says so; the page reads one Query whatever the range.
CHART_MAX_POINTS = 400


def _note_context(client_id: str, entry_id: str) -> str:
    return field_context(JOURNAL, _key(client_id, entry_id), "note")


def _encrypted_note(entry: JournalEntry) -> str | None:
    # The note is what the client wrote: under the client's own key.
    return encrypt_optional(
        client_key_owner(entry.client_id), _note_context(entry.client_id, entry.entry_id), entry.note
    )


def _to_item(entry: JournalEntry) -> dict[str, Any]:
    return {
        "clientId": entry.client_id,
        "journalEntryId": entry.entry_id,
        "timeOfEmotion": to_iso(entry.time_of_emotion),
        "feeling": entry.feeling,
        "intensity": entry.intensity,
        "note": _encrypted_note(entry),
        "sharedAt": to_iso(entry.shared_at) if entry.shared_at else None,
        "createdAt": to_iso(entry.created_at or utcnow()),
        "updatedAt": to_iso(entry.updated_at) if entry.updated_at else None,
    }


def _from_item(item: Item) -> JournalEntry:
    intensity = item["intensity"]
    client_id, entry_id = item["clientId"], item["journalEntryId"]
    return JournalEntry(
        client_id=client_id,
        entry_id=entry_id,
        time_of_emotion=from_iso(item["timeOfEmotion"]),
        feeling=item["feeling"],
        intensity=int(intensity) if isinstance(intensity, Decimal | int) else int(str(intensity)),
        note=decrypt_optional(
            client_key_owner(client_id), _note_context(client_id, entry_id), item.get("note")
        ),
        shared_at=maybe_from_iso(item.get("sharedAt")),
        created_at=maybe_from_iso(item.get("createdAt")),
        updated_at=maybe_from_iso(item.get("updatedAt")),
    )


def _key(client_id: str, entry_id: str) -> dict[str, str]:
    return {"clientId": client_id, "journalEntryId": entry_id}


class JournalRepository(Repository):
    def add(self, entry: JournalEntry) -> JournalEntry:
        """Add Journal Entry: PutItem (never over an existing id)."""
        self.db.put(JOURNAL, _to_item(entry), condition=Attr("journalEntryId").not_exists())
        return entry

    def add_once(self, entry: JournalEntry, idempotency_key: str) -> tuple[JournalEntry, bool]:
        """Add Journal Entry once per form key: the entry and its key's claim in one transaction.

        Returns ``(entry, True)`` when stored now, or ``(the entry stored by the
        first submission of this key, False)`` for a double submit or a retry.
        """
        return create_once(
            self.db,
            key=claim_key("journal", entry.client_id, idempotency_key),
            target=_key(entry.client_id, entry.entry_id),
            operations=[TransactPut(JOURNAL, _to_item(entry), Attr("journalEntryId").not_exists())],
            created=entry,
            load=load_item(self.db, JOURNAL, _from_item),
        )

    def get(self, client_id: str, entry_id: str) -> JournalEntry | None:
        item = self.db.get(JOURNAL, _key(client_id, entry_id), consistent=True)
        return _from_item(item) if item else None

    def get_labels(self, client_id: str, entry_ids: Iterable[str]) -> dict[str, JournalEntry]:
        """Entries of one client by id, without their notes (``note`` is empty), for lists that
        only name entries: BatchGetItem calls of 100; absent ids are left out.

        The note is never read, so nothing is decrypted and no data key is fetched.
        """
        items = self.db.batch_get(
            JOURNAL,
            [_key(client_id, entry_id) for entry_id in entry_ids],
            attributes=("clientId", "journalEntryId", "timeOfEmotion", "feeling", "intensity", "sharedAt"),
        )
        return {entry.entry_id: entry for entry in map(_from_item, items)}

    def list_recent(
        self, client_id: str, *, limit: int = 20, cursor: str | None = None
    ) -> Page[JournalEntry]:
        """List Journal Entries: Query Journal by clientId, newest written first."""
        scope = f"journal.recent:{client_id}"
        result = self.db.query(
            JOURNAL,
            Key("clientId").eq(client_id),
            limit=clamp_limit(limit),
            forward=False,
            start_key=decode_cursor(cursor, scope),
        )
        return to_page(result, _from_item, scope)

    def list_by_time(
        self,
        client_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        feeling: str | None = None,
        newest_first: bool = True,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[JournalEntry]:
        """Entries by time of emotion (LSI_Journal_Time), optionally within [start, end].

        With ``feeling`` the feeling is a filter on the time index: pages stay in
        time order but may hold fewer than ``limit`` entries (one Query each).
        Reads are strongly consistent (local indexes allow it), so an entry the
        client just saved or changed is on the page that follows.
        """
        condition: ConditionBase = Key("clientId").eq(client_id)
        if start and end:
            condition = condition & Key("timeOfEmotion").between(to_iso(start), to_iso(end))
        elif start:
            condition = condition & Key("timeOfEmotion").gte(to_iso(start))
        elif end:
            condition = condition & Key("timeOfEmotion").lte(to_iso(end))
        scope = (
            f"journal.time:{client_id}:{start and to_iso(start)}:{end and to_iso(end)}:{feeling}:{newest_first}"
        )
        result = self.db.query(
            JOURNAL,
            condition,
            index=BY_TIME,
            limit=clamp_limit(limit),
            forward=not newest_first,
            filter_condition=Attr("feeling").eq(feeling) if feeling else None,
            start_key=decode_cursor(cursor, scope),
            consistent=True,
        )
        return to_page(result, _from_item, scope)

    def list_by_feeling(
        self,
        client_id: str,
        feeling: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[JournalEntry]:
        """Entries with one feeling (LSI_Journal_ByFeeling), optionally within [start, end].

        The range is a filter on the feeling index, so a page may hold fewer
        than ``limit`` entries; it is still one Query and the cursor moves on.
        """
        time_filter: ConditionBase | None = None
        if start and end:
            time_filter = Attr("timeOfEmotion").between(to_iso(start), to_iso(end))
        elif start:
            time_filter = Attr("timeOfEmotion").gte(to_iso(start))
        elif end:
            time_filter = Attr("timeOfEmotion").lte(to_iso(end))
        scope = f"journal.feeling:{client_id}:{feeling}:{start and to_iso(start)}:{end and to_iso(end)}"
        result = self.db.query(
            JOURNAL,
            Key("clientId").eq(client_id) & Key("feeling").eq(feeling),
            index=BY_FEELING,
            limit=clamp_limit(limit),
            forward=False,
            filter_condition=time_filter,
            start_key=decode_cursor(cursor, scope),
            consistent=True,
        )
        return to_page(result, _from_item, scope)

    def list_for_chart(
        self,
        client_id: str,
        *,
        start: datetime,
        end: datetime,
        feeling: str | None = None,
        limit: int = CHART_MAX_POINTS,
    ) -> tuple[list[JournalEntry], bool]:
        """Up to ``limit`` entries in [start, end], most recent ones, in one Query.

        Returns the entries and whether more existed in the range than were read.
        """
        result = self.db.query(
            JOURNAL,
            Key("clientId").eq(client_id)
            & Key("timeOfEmotion").between(to_iso(start), to_iso(end)),
            index=BY_TIME,
            limit=clamp_limit(limit, CHART_MAX_POINTS),
            forward=False,
            filter_condition=Attr("feeling").eq(feeling) if feeling else None,
        )
        return [_from_item(i) for i in result.items], result.last_key is not None

    def list_shared(
        self, client_id: str, *, limit: int = 20, cursor: str | None = None
    ) -> Page[JournalEntry]:
        """Shared entries only, most recently shared first: one Query of the sparse index."""
        scope = f"journal.shared:{client_id}"
        result = self.db.query(
            JOURNAL,
            Key("clientId").eq(client_id),
            index=SHARED,
            limit=clamp_limit(limit),
            forward=False,
            start_key=decode_cursor(cursor, scope),
            # Unsharing must take effect at once: a consistent read of the local index.
            consistent=True,
        )
        return to_page(result, _from_item, scope)

    def count_shared(self, client_id: str) -> tuple[int, bool]:
        """How many entries are shared: one Select=COUNT Query of the sparse index.

        One call reads up to 1 MB of the index (thousands of entries); beyond
        that the count is a lower bound. Returns the count and whether it is complete.
        """
        found, more = self.db.count(JOURNAL, Key("clientId").eq(client_id), index=SHARED, consistent=True)
        return found, more is None

    def update(self, entry: JournalEntry) -> JournalEntry:
        """Replace the editable fields of an existing entry (never creates one)."""
        updated_at = utcnow()
        try:
            item = self.db.update(
                JOURNAL,
                _key(entry.client_id, entry.entry_id),
                set_values={
                    "timeOfEmotion": to_iso(entry.time_of_emotion),
                    "feeling": entry.feeling,
                    "intensity": entry.intensity,
                    "note": _encrypted_note(entry),
                    "updatedAt": to_iso(updated_at),
                },
                condition=Attr("journalEntryId").exists(),
            )
        except Conflict:
            raise NotFound("No such journal entry.") from None
        return _from_item(item)

    def set_shared(self, client_id: str, entry_id: str, shared_at: datetime | None) -> JournalEntry:
        """Share (set sharedAt) or unshare (remove it, leaving the sparse index)."""
        try:
            item = self.db.update(
                JOURNAL,
                _key(client_id, entry_id),
                set_values={"sharedAt": to_iso(shared_at) if shared_at else None},
                condition=Attr("journalEntryId").exists(),
            )
        except Conflict:
            raise NotFound("No such journal entry.") from None
        return _from_item(item)

    def delete(self, client_id: str, entry_id: str) -> bool:
        return self.db.delete(JOURNAL, _key(client_id, entry_id)) is not None

    def list_shared_felt_between(
        self, client_id: str, *, start: datetime, end: datetime, limit: int = CHART_MAX_POINTS
    ) -> tuple[list[JournalEntry], bool]:
        """Shared entries felt in [start, end], oldest first, in one Query; and whether more exist.

        Reads the time index with "shared" as a filter, so private entries cost
        read capacity but never reach the caller.
        """
        result = self.db.query(
            JOURNAL,
            Key("clientId").eq(client_id)
            & Key("timeOfEmotion").between(to_iso(start), to_iso(end)),
            index=BY_TIME,
            limit=clamp_limit(limit, CHART_MAX_POINTS),
            forward=True,
            filter_condition=Attr("sharedAt").exists(),
            # Unsharing takes effect at once: a consistent read of the local index.
            consistent=True,
        )
        return [_from_item(i) for i in result.items], result.last_key is not None
