"""The Journal table and its four local indexes (time, feeling, shared by time, feeling and time).

Two attributes exist only for the indexes (schema.py says why each index
exists): ``feelingTime`` ("<feeling>#<timeOfEmotion>") on every entry, and
``sharedFeltAt`` (the entry's ``timeOfEmotion``) only while it is shared.
Every write that changes the time, the feeling or the sharing keeps them in
step in the same request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from portal.domain import Conflict, JournalEntry, MoodReading, NotFound, Page
from portal.dynamo.base import Repository, clamp_limit, query_page
from portal.dynamo.field_crypto import (
    client_key_owner,
    decrypt_text,
    encrypt_optional,
    field_context,
)
from portal.dynamo.gateway import Item, TransactionCancelled, TransactPut, TransactUpdate, new_request_token
from portal.dynamo.idempotency import claim_key, create_once, load_item
from portal.dynamo.schema import JOURNAL
from portal.timeutil import from_iso, maybe_from_iso, to_iso, utcnow

BY_TIME = "LSI_Journal_Time"
BY_FEELING = "LSI_Journal_ByFeeling"
SHARED = "LSI_Journal_SharedByTime"
BY_FEELING_TIME = "LSI_Journal_FeelingTime"
FEELING_TIME = "feelingTime"
SHARED_FELT_AT = "sharedFeltAt"
# The most entries shared or unshared in one step: one transaction (DynamoDB takes up to 100 items).
SHARE_MANY_LIMIT = 50
# A chart of more points than this says so; the page reads one Query whatever the range.
CHART_MAX_POINTS = 400
# A share or unshare racing an edit moves the edit's condition; a few tries settle it.
_SHARING_ATTEMPTS = 3


def _note_context(client_id: str, entry_id: str) -> str:
    return field_context(JOURNAL, _key(client_id, entry_id), "note")


def _note(client_id: str, entry_id: str, stored: str | None) -> str:
    # The context only for a note that is there: most entries have none.
    return decrypt_text(client_key_owner(client_id), _note_context(client_id, entry_id), stored) if stored else ""


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


def _intensity(value: Any) -> int:
    return int(value) if isinstance(value, Decimal | int) else int(str(value))


def _from_item(item: Item) -> JournalEntry:
    client_id, entry_id = item["clientId"], item["journalEntryId"]
    return JournalEntry(
        client_id=client_id,
        entry_id=entry_id,
        time_of_emotion=from_iso(item["timeOfEmotion"]),
        feeling=item["feeling"],
        intensity=_intensity(item["intensity"]),
        note=_note(client_id, entry_id, item.get("note")),
        shared_at=maybe_from_iso(item.get("sharedAt")),
        created_at=maybe_from_iso(item.get("createdAt")),
        updated_at=maybe_from_iso(item.get("updatedAt")),
    )


# What a chart reads of an entry. The note stays in the table: drawing a chart
# decrypts nothing and reads no data key.
_READING_ATTRIBUTES = ("journalEntryId", "timeOfEmotion", "feeling", "intensity")


def _reading_from_item(item: Item) -> MoodReading:
    return MoodReading(
        entry_id=item["journalEntryId"],
        time_of_emotion=from_iso(item["timeOfEmotion"]),
        feeling=item["feeling"],
        intensity=_intensity(item["intensity"]),
    )


def _feeling_time(feeling: str, time_iso: str) -> str:
    return f"{feeling}#{time_iso}"


def index_attributes(*, time_iso: str, feeling: str, shared: bool) -> dict[str, str | None]:
    """The attributes only the indexes read (None: absent, which keeps the shared index sparse)."""
    return {FEELING_TIME: _feeling_time(feeling, time_iso), SHARED_FELT_AT: time_iso if shared else None}


def stored_item(entry: JournalEntry) -> dict[str, Any]:
    """The item as the table holds it: the entry plus its index attributes."""
    return {
        **_to_item(entry),
        **index_attributes(
            time_iso=to_iso(entry.time_of_emotion), feeling=entry.feeling, shared=entry.shared_at is not None
        ),
    }


def upgrade_item(item: Item) -> Item:
    """An item written before the index attributes existed, with them (for rebuild_table)."""
    return {
        **item,
        **{
            k: v
            for k, v in index_attributes(
                time_iso=item["timeOfEmotion"], feeling=item["feeling"], shared="sharedAt" in item
            ).items()
            if v is not None
        },
    }


def _feeling_range(feeling: str, start: datetime | None, end: datetime | None) -> ConditionBase:
    """The key condition on LSI_Journal_FeelingTime for one feeling, optionally within [start, end]."""
    # Every stored value is "<feeling>#<time>" and "~" sorts after any character of a time.
    low = _feeling_time(feeling, to_iso(start)) if start else f"{feeling}#"
    high = _feeling_time(feeling, to_iso(end)) if end else f"{feeling}#~"
    return Key(FEELING_TIME).between(low, high)


def _key(client_id: str, entry_id: str) -> dict[str, str]:
    return {"clientId": client_id, "journalEntryId": entry_id}


class JournalRepository(Repository):
    def add(self, entry: JournalEntry) -> JournalEntry:
        """Add Journal Entry: PutItem (never over an existing id)."""
        self.db.put(
            JOURNAL, stored_item(entry), condition=Attr("journalEntryId").not_exists(), token=new_request_token()
        )
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
            operations=[TransactPut(JOURNAL, stored_item(entry), Attr("journalEntryId").not_exists())],
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
        return query_page(
            self.db,
            JOURNAL,
            Key("clientId").eq(client_id),
            limit=limit,
            forward=False,
            scope=f"journal.recent:{client_id}",
            cursor=cursor,
            convert=_from_item,
        )

    def list_by_time(
        self,
        client_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        newest_first: bool = True,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[JournalEntry]:
        """Entries by time of emotion (LSI_Journal_Time), optionally within [start, end]: one Query.

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
        return query_page(
            self.db,
            JOURNAL,
            condition,
            index=BY_TIME,
            limit=limit,
            forward=not newest_first,
            scope=f"journal.time:{client_id}:{start and to_iso(start)}:{end and to_iso(end)}:{newest_first}",
            cursor=cursor,
            convert=_from_item,
            consistent=True,
        )

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
        """Entries with one feeling, newest felt first, optionally within [start, end].

        One Query of LSI_Journal_FeelingTime with the feeling and the dates in
        the key condition: every page is full until the last one.
        """
        return query_page(
            self.db,
            JOURNAL,
            Key("clientId").eq(client_id) & _feeling_range(feeling, start, end),
            index=BY_FEELING_TIME,
            limit=limit,
            forward=False,
            scope=f"journal.feeling:{client_id}:{feeling}:{start and to_iso(start)}:{end and to_iso(end)}",
            cursor=cursor,
            convert=_from_item,
            consistent=True,
        )

    def list_for_chart(
        self,
        client_id: str,
        *,
        start: datetime,
        end: datetime,
        feeling: str | None = None,
        limit: int = CHART_MAX_POINTS,
    ) -> tuple[list[MoodReading], bool]:
        """Up to ``limit`` readings in [start, end], most recent ones, in one Query.

        With a feeling it reads LSI_Journal_FeelingTime, so the limit counts
        entries of that feeling only. Returns the readings (no notes) and
        whether more existed in the range than were read.
        """
        limit = clamp_limit(limit, CHART_MAX_POINTS)
        if feeling:
            condition = Key("clientId").eq(client_id) & _feeling_range(feeling, start, end)
            index = BY_FEELING_TIME
        else:
            condition = Key("clientId").eq(client_id) & Key("timeOfEmotion").between(to_iso(start), to_iso(end))
            index = BY_TIME
        # One more than shown, so "more existed" is never claimed for a range of exactly ``limit``.
        result = self.db.query(
            JOURNAL, condition, index=index, limit=limit + 1, forward=False, projection=_READING_ATTRIBUTES
        )
        more = len(result.items) > limit or result.last_key is not None
        return [_reading_from_item(i) for i in result.items[:limit]], more

    def list_shared(
        self,
        client_id: str,
        *,
        since: datetime | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[JournalEntry]:
        """Shared entries only, newest felt first (optionally felt since ``since``): one Query of the sparse index."""
        condition: ConditionBase = Key("clientId").eq(client_id)
        if since:
            condition = condition & Key(SHARED_FELT_AT).gte(to_iso(since))
        return query_page(
            self.db,
            JOURNAL,
            condition,
            index=SHARED,
            limit=limit,
            forward=False,
            scope=f"journal.shared:{client_id}:{since and to_iso(since)}",
            cursor=cursor,
            convert=_from_item,
            # Unsharing must take effect at once: a consistent read of the local index.
            consistent=True,
        )

    def count_shared(self, client_id: str) -> tuple[int, bool]:
        """How many entries are shared: one Select=COUNT Query of the sparse index.

        One call reads up to 1 MB of the index (thousands of entries); beyond
        that the count is a lower bound. Returns the count and whether it is complete.
        """
        found, more = self.db.count(JOURNAL, Key("clientId").eq(client_id), index=SHARED, consistent=True)
        return found, more is None

    def count_shared_after(self, client_id: str, after: datetime) -> tuple[int, bool]:
        """How many entries were shared after ``after``: one Select=COUNT Query of the sparse index.

        The index sorts by the time felt, not by when an entry was shared, so the
        share time is a filter: the Query reads up to 1 MB of shared entries
        (thousands) and beyond that the count is a lower bound. Returns the count
        and whether it is complete.
        """
        found, more = self.db.count(
            JOURNAL,
            Key("clientId").eq(client_id),
            index=SHARED,
            consistent=True,
            filter_condition=Attr("sharedAt").gt(to_iso(after)),
        )
        return found, more is None

    def update(self, entry: JournalEntry) -> JournalEntry:
        """Replace the editable fields of an existing entry (never creates one).

        The index attributes follow the new time and feeling. Whether the entry
        is in the shared index depends on ``sharedAt`` as stored, which a
        concurrent share or unshare may have just changed: the write is
        conditional on the sharing it assumed and tries again if that moved.
        """
        shared = entry.shared_at is not None
        for _ in range(_SHARING_ATTEMPTS):
            time_iso = to_iso(entry.time_of_emotion)
            try:
                item = self.db.update(
                    JOURNAL,
                    _key(entry.client_id, entry.entry_id),
                    set_values={
                        "timeOfEmotion": time_iso,
                        "feeling": entry.feeling,
                        "intensity": entry.intensity,
                        "note": _encrypted_note(entry),
                        "updatedAt": to_iso(utcnow()),
                        **index_attributes(time_iso=time_iso, feeling=entry.feeling, shared=shared),
                    },
                    condition=Attr("journalEntryId").exists()
                    & (Attr("sharedAt").exists() if shared else Attr("sharedAt").not_exists()),
                    token=new_request_token(),
                )
            except Conflict:
                current = self.get(entry.client_id, entry.entry_id)
                if current is None:
                    raise NotFound("No such journal entry.") from None
                shared = current.shared_at is not None
                continue
            return _from_item(item)
        raise Conflict("This entry is being changed elsewhere; please try again.")

    def set_shared(self, client_id: str, entry_id: str, shared_at: datetime | None) -> JournalEntry:
        """Share (set sharedAt, copy the time felt into the shared index) or unshare (remove both)."""
        try:
            if shared_at is not None:
                item = self.db.update(
                    JOURNAL,
                    _key(client_id, entry_id),
                    set_values={"sharedAt": to_iso(shared_at)},
                    copy_values={SHARED_FELT_AT: "timeOfEmotion"},
                    condition=Attr("journalEntryId").exists(),
                    token=new_request_token(),
                )
            else:
                item = self.db.update(
                    JOURNAL,
                    _key(client_id, entry_id),
                    remove=("sharedAt", SHARED_FELT_AT),
                    condition=Attr("journalEntryId").exists(),
                    token=new_request_token(),
                )
        except Conflict:
            raise NotFound("No such journal entry.") from None
        return _from_item(item)

    def set_shared_many(self, client_id: str, entry_ids: list[str], shared_at: datetime | None) -> int:
        """Share or unshare up to SHARE_MANY_LIMIT of the client's entries in one transaction.

        A BatchGetItem finds which of the entries exist (and when each was felt,
        which the shared index copies); then one TransactWriteItems changes them
        all or none. Idempotent: sharing an entry already shared keeps its first
        ``sharedAt`` (if_not_exists), unsharing a private one changes nothing, so
        a second submit of the same form stores the same. Returns how many
        entries exist (were changed or already so).
        """
        if len(entry_ids) > SHARE_MANY_LIMIT:
            raise ValueError(f"At most {SHARE_MANY_LIMIT} entries in one transaction.")
        items = self.db.batch_get(
            JOURNAL,
            [_key(client_id, entry_id) for entry_id in entry_ids],
            consistent=True,
            attributes=("clientId", "journalEntryId", "timeOfEmotion"),
        )
        operations: list[TransactUpdate] = []
        for item in items:
            key = _key(client_id, item["journalEntryId"])
            if shared_at is not None:
                operations.append(
                    TransactUpdate(
                        JOURNAL,
                        key,
                        set_values={SHARED_FELT_AT: item["timeOfEmotion"]},
                        set_if_absent={"sharedAt": to_iso(shared_at)},
                        # Felt at the time read: an edit of the time meanwhile cancels, and the caller retries.
                        condition=Attr("timeOfEmotion").eq(item["timeOfEmotion"]),
                    )
                )
            else:
                operations.append(
                    TransactUpdate(
                        JOURNAL, key, remove=("sharedAt", SHARED_FELT_AT), condition=Attr("journalEntryId").exists()
                    )
                )
        if operations:
            try:
                self.db.transact_write(operations)
            except TransactionCancelled as exc:
                if exc.condition_failed:
                    raise Conflict("An entry changed while sharing; please try again.") from None
                raise
        return len(operations)

    def delete(self, client_id: str, entry_id: str) -> bool:
        """Delete an entry; False if there was none (a retry of a delete that landed is True)."""
        return self.db.delete_existing(JOURNAL, _key(client_id, entry_id))

    def list_shared_felt_between(
        self, client_id: str, *, start: datetime, end: datetime, limit: int = CHART_MAX_POINTS
    ) -> tuple[list[JournalEntry], bool]:
        """Shared entries felt in [start, end], oldest first, in one Query; and whether more exist.

        The sparse shared index sorts by the time felt, so "since the last
        session" is its key condition: private entries are never read.
        """
        limit = clamp_limit(limit, CHART_MAX_POINTS)
        result = self.db.query(
            JOURNAL,
            Key("clientId").eq(client_id) & Key(SHARED_FELT_AT).between(to_iso(start), to_iso(end)),
            index=SHARED,
            limit=limit + 1,
            forward=True,
            # Unsharing takes effect at once: a consistent read of the local index.
            consistent=True,
        )
        more = len(result.items) > limit or result.last_key is not None
        return [_from_item(i) for i in result.items[:limit]], more
