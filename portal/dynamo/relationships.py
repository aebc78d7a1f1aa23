"""The relationship record: what outlives a care relationship's mapping item.

Keyed exactly like ClientTherapistMapping. Ending a relationship deletes the
mapping item (the seed's Unmap) and only marks this record ended, so the last
message time, both read markers, the last email notice, the last session and
the therapist's last visit survive as part of the clinical record. Lists read
these at constant cost; nothing is counted from Messages or Session.

A therapist lists records newest activity first with one Query of
``GSI_Relationships_ByTherapist`` (``lastActivityAt`` is set when a pair first
becomes active, so pairs that only ever asked stay out of it); a client Queries
the table by ``clientId``.

Email notices of unread messages: a send marks the recipient's side due (two
attributes that put the record in that side's sparse notice index: the due
time is set only if absent, so the oldest unread message decides, while the
day partition always moves to the send's, so a notice left behind in an old
partition by a scheduler outage is found again with the next message);
``notices_due`` reads one day's partition of an index;
``claim_message_notice`` takes the right to send with a conditional write
that also takes the record out of the index; opening the thread or ending the
relationship (or erasing the client) takes it out too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import Conflict, Page, Relationship, Side
from portal.dynamo.base import Repository, clamp_limit, query_page
from portal.dynamo.day_keys import day_key, query_day
from portal.dynamo.gateway import Item, TransactUpdate, new_request_token
from portal.dynamo.schema import RELATIONSHIPS
from portal.timeutil import maybe_from_iso, to_iso

BY_THERAPIST = "GSI_Relationships_ByTherapist"
NOTICES_DUE = {Side.CLIENT: "GSI_Relationships_ClientNoticesDue", Side.THERAPIST: "GSI_Relationships_TherapistNoticesDue"}

# Attribute names per side, so callers never spell them.
_READ_AT = {Side.CLIENT: "clientReadAt", Side.THERAPIST: "therapistReadAt"}
# Kept by message sends (portal/dynamo/messages.py adds to the receiver's).
_UNREAD = {Side.CLIENT: "clientUnread", Side.THERAPIST: "therapistUnread"}
# The keys of each side's sparse notice index: present exactly while a notice is pending.
_NOTICE_DAY = {Side.CLIENT: "clientNoticeDay", Side.THERAPIST: "therapistNoticeDay"}
_NOTICE_DUE = {Side.CLIENT: "clientNoticeDueAt", Side.THERAPIST: "therapistNoticeDueAt"}
# When each side was last emailed about unread messages (the 15-minute rule).
_NOTICED_AT = {Side.CLIENT: "clientNoticedAt", Side.THERAPIST: "therapistNoticedAt"}


def notice_day(moment: datetime) -> str:
    """The UTC day of a notice due at ``moment``; its partition is a shard of it (``notice_partition``)."""
    return to_iso(moment)[:10]


def notice_partition(client_id: str, therapist_id: str, moment: datetime) -> str:
    """The partition of a notice index a pair's notice due at ``moment`` falls in: a sharded
    day key (schema.py, DAY_SHARDS), the shard from the pair, so each rewrite stays in it."""
    return day_key(notice_day(moment), f"{client_id}#{therapist_id}")


def _notice_keys(side: Side) -> tuple[str, str]:
    return (_NOTICE_DAY[side], _NOTICE_DUE[side])


def _notice_values(record: Relationship, side: Side, due: datetime) -> dict[str, str]:
    return {
        _NOTICE_DAY[side]: notice_partition(record.client_id, record.therapist_id, due),
        _NOTICE_DUE[side]: to_iso(due),
    }


def notice_pending_values(
    recipient: Side, due: datetime, *, client_id: str, therapist_id: str
) -> tuple[dict[str, str], dict[str, str]]:
    """For a send's record update: the recipient's notice falls due at ``due``.

    Returns ``(set_values, set_if_absent)``. The due time is set if absent
    only: a notice already pending for an older unread message keeps its
    time, so a steady stream of messages cannot put the notice off forever.
    The day partition is always replaced by this send's: a run reads only
    yesterday's and today's partitions, so a pending notice whose day is
    older (the scheduler was down for more than a day) would otherwise stay
    out of reach and block every later notice of the conversation. Its old
    due time then makes it due at once, which is right: its oldest message
    has been unread for longer than the delay.
    """
    return (
        {_NOTICE_DAY[recipient]: notice_partition(client_id, therapist_id, due)},
        {_NOTICE_DUE[recipient]: to_iso(due)},
    )


# The ids of the pair's sessions, a string set (see session_made_op).
SESSION_IDS = "sessionIds"


def _key(client_id: str, therapist_id: str) -> dict[str, str]:
    return {"clientId": client_id, "therapistId": therapist_id}


def _from_item(item: Item) -> Relationship:
    ended_by = item.get("endedBy")
    return Relationship(
        client_id=item["clientId"],
        therapist_id=item["therapistId"],
        client_name=item.get("clientName", ""),
        therapist_name=item.get("therapistName", ""),
        active_since=maybe_from_iso(item.get("activeSince")),
        ended_at=maybe_from_iso(item.get("endedAt")),
        ended_by=Side(ended_by) if ended_by else None,
        last_activity_at=maybe_from_iso(item.get("lastActivityAt")),
        last_message_at=maybe_from_iso(item.get("lastMessageAt")),
        client_read_at=maybe_from_iso(item.get("clientReadAt")),
        therapist_read_at=maybe_from_iso(item.get("therapistReadAt")),
        last_notice_at=maybe_from_iso(item.get("lastNoticeAt")),
        last_session_at=maybe_from_iso(item.get("lastSessionAt")),
        therapist_last_visit_at=maybe_from_iso(item.get("therapistLastVisitAt")),
        therapist_previous_visit_at=maybe_from_iso(item.get("therapistPreviousVisitAt")),
        client_unread=int(item.get("clientUnread", 0)),
        therapist_unread=int(item.get("therapistUnread", 0)),
        client_notice_due_at=maybe_from_iso(item.get("clientNoticeDueAt")),
        therapist_notice_due_at=maybe_from_iso(item.get("therapistNoticeDueAt")),
        client_noticed_at=maybe_from_iso(item.get("clientNoticedAt")),
        therapist_noticed_at=maybe_from_iso(item.get("therapistNoticedAt")),
        session_ids=frozenset(item.get(SESSION_IDS, ())),
    )


def relationship_from_item(item: Item) -> Relationship:
    """For repositories that read a record in the same call as other items (mappings.py)."""
    return _from_item(item)


def record_key(client_id: str, therapist_id: str) -> dict[str, str]:
    return _key(client_id, therapist_id)


def session_held_op(client_id: str, therapist_id: str, *, session_at: datetime, at: datetime) -> TransactUpdate:
    """The record's half of closing a session held at ``session_at`` (closed at ``at``).

    ``lastSessionAt`` only moves forward: the condition fails when the record
    already holds this session or a later one (an older session closed late),
    or when the pair has no record (data older than the records: an update
    would make a nameless one that lists as a conversation), and the caller
    then closes the session alone.
    """
    session_iso = to_iso(session_at)
    return TransactUpdate(
        RELATIONSHIPS,
        _key(client_id, therapist_id),
        set_values={"lastSessionAt": session_iso, "lastActivityAt": to_iso(at)},
        condition=Attr("clientId").exists()
        & (Attr("lastSessionAt").not_exists() | Attr("lastSessionAt").lt(session_iso)),
    )


def session_made_op(client_id: str, therapist_id: str, session_id: str) -> TransactUpdate:
    """The record's half of making a session: its id joins the record, while the relationship is active only.

    Session indexes are eventually consistent: right after a session is made
    (or changed) a Query of them may miss it or show it as it was. What must
    find every session of a pair (cancelling them when the relationship ends,
    an erasure replacing the client's name) reads this record consistently
    instead. The condition (a record that was activated and has not ended)
    makes a session write that comes after the end fail, so the list is
    complete once the end is written. Pairs active before records existed have
    none; their sessions are made without a mark (SessionRepository.create).
    """
    # A set of str is written as a DynamoDB string set (ADD unions it); the field's
    # annotation names the numeric use only.
    added = cast(dict[str, Any], {SESSION_IDS: {session_id}})
    return TransactUpdate(
        RELATIONSHIPS,
        _key(client_id, therapist_id),
        add=added,
        condition=Attr("activeSince").exists() & Attr("endedAt").not_exists(),
    )


def activation_op(
    client_id: str, therapist_id: str, *, at: datetime, client_name: str, therapist_name: str
) -> TransactUpdate:
    """The record's half of an accept: an upsert, so an earlier period's history stays."""
    return TransactUpdate(
        RELATIONSHIPS,
        _key(client_id, therapist_id),
        set_values={
            "clientName": client_name,
            "therapistName": therapist_name,
            "activeSince": to_iso(at),
            "lastActivityAt": to_iso(at),
            # None removes: a pair that works together again is no longer ended.
            "endedAt": None,
            "endedBy": None,
        },
    )


def ending_op(client_id: str, therapist_id: str, *, at: datetime, by: Side) -> TransactUpdate:
    """The record's half of an end (or a block of an active client).

    Pending message notices are dropped: after the end nobody is emailed about
    the conversation (the history stays readable in the portal).
    """
    return TransactUpdate(
        RELATIONSHIPS,
        _key(client_id, therapist_id),
        set_values={"endedAt": to_iso(at), "endedBy": str(by)},
        remove=(*_notice_keys(Side.CLIENT), *_notice_keys(Side.THERAPIST)),
    )


class RelationshipRepository(Repository):
    def get(self, client_id: str, therapist_id: str) -> Relationship | None:
        """Consistent: read markers and notice times decide what happens next."""
        item = self.db.get(RELATIONSHIPS, _key(client_id, therapist_id), consistent=True)
        return _from_item(item) if item else None

    def get_many(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Relationship]:
        """One BatchGetItem for a page of pairs (client id, therapist id)."""
        keys = [_key(c, t) for c, t in pairs]
        if not keys:
            return {}
        found = map(_from_item, self.db.batch_get(RELATIONSHIPS, keys))
        return {(r.client_id, r.therapist_id): r for r in found}

    def list_for_client(
        self, client_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Relationship]:
        """A client's records (they have few): one consistent Query of the table."""
        return query_page(
            self.db,
            RELATIONSHIPS,
            Key("clientId").eq(client_id),
            limit=limit,
            scope=f"relationships.client:{client_id}",
            cursor=cursor,
            convert=_from_item,
            consistent=True,
        )

    def list_for_therapist(
        self, therapist_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> Page[Relationship]:
        """Pairs that were ever active, newest activity first: one Query of the sparse GSI.

        The index copies only RELATIONSHIP_LIST_ATTRIBUTES (schema.py): the
        records returned carry the names, state, last message and the
        therapist's unread count; read markers, notice times, visits and
        session ids are left at their defaults (``get`` reads them).
        """
        return query_page(
            self.db,
            RELATIONSHIPS,
            Key("therapistId").eq(therapist_id),
            index=BY_THERAPIST,
            limit=limit,
            forward=False,
            scope=f"relationships.therapist:{therapist_id}",
            cursor=cursor,
            convert=_from_item,
        )

    def set_client_name(self, client_id: str, therapist_id: str, name: str) -> None:
        """Replace the client's name on one record (an erased client becomes "Former client")."""
        try:
            self.db.update(
                RELATIONSHIPS,
                _key(client_id, therapist_id),
                set_values={"clientName": name},
                condition=Attr("clientId").exists(),
            )
        except Conflict:
            pass

    def forget_session_ids(self, client_id: str, therapist_id: str, session_ids: Iterable[str]) -> None:
        """Take ids off the record once nothing needs them from here (their sessions are settled and indexed)."""
        ids = set(session_ids)
        if not ids:
            return
        try:
            self.db.update(
                RELATIONSHIPS,
                _key(client_id, therapist_id),
                delete_from_sets={SESSION_IDS: ids},
                condition=Attr("clientId").exists(),
            )
        except Conflict:
            pass

    def end_for_erasure(self, client_id: str, therapist_id: str, *, at: datetime) -> None:
        """Mark an erased client's record ended and drop both sides' pending notices.

        Idempotent, so an interrupted erasure can run it again: a record that
        ended earlier keeps its end time and who ended it (set if absent);
        never creates a record.
        """
        try:
            self.db.update(
                RELATIONSHIPS,
                _key(client_id, therapist_id),
                set_if_absent={"endedAt": to_iso(at), "endedBy": str(Side.CLIENT)},
                remove=(*_notice_keys(Side.CLIENT), *_notice_keys(Side.THERAPIST)),
                condition=Attr("clientId").exists(),
            )
        except Conflict:
            pass

    def set_therapist_name(self, client_id: str, therapist_id: str, name: str) -> None:
        """Copy a therapist's new name onto one record (never creates one)."""
        try:
            self.db.update(
                RELATIONSHIPS,
                _key(client_id, therapist_id),
                set_values={"therapistName": name},
                condition=Attr("clientId").exists(),
            )
        except Conflict:
            pass

    def claim_notice(
        self,
        client_id: str,
        therapist_id: str,
        *,
        at: datetime,
        min_interval: timedelta,
        client_name: str = "",
        therapist_name: str = "",
        kind: str = "",
    ) -> bool:
        """Take the right to send one email notice of ``kind`` for this pair now.

        True for exactly one caller per ``min_interval`` and kind: the conditional
        write decides, so two requests at once cannot both send, and a notice of
        one kind (a request) never holds back one of another (its acceptance).
        Creates the record when the pair has none yet (a first request).
        """
        cutoff = to_iso(at - min_interval)
        attribute = f"lastNoticeAt_{kind}" if kind else "lastNoticeAt"
        values: dict[str, Any] = {attribute: to_iso(at)}
        if client_name:
            values["clientName"] = client_name
        if therapist_name:
            values["therapistName"] = therapist_name
        try:
            # A request token: a claim that landed is ours on botocore's retry, not "sent recently".
            self.db.update(
                RELATIONSHIPS,
                _key(client_id, therapist_id),
                set_values=values,
                condition=Attr(attribute).not_exists() | Attr(attribute).lte(cutoff),
                token=new_request_token(),
            )
        except Conflict:
            return False
        return True

    def _move_forward(self, client_id: str, therapist_id: str, attribute: str, at: datetime, *, activity: bool) -> bool:
        """Set ``attribute`` to ``at`` unless it already holds a later time (never backwards)."""
        values = {attribute: to_iso(at)}
        condition = Attr(attribute).not_exists() | Attr(attribute).lt(to_iso(at))
        if activity:
            values["lastActivityAt"] = to_iso(at)
        try:
            self.db.update(RELATIONSHIPS, _key(client_id, therapist_id), set_values=values, condition=condition)
        except Conflict:
            return False
        return True

    def backfill_last_session(self, client_id: str, therapist_id: str, *, at: datetime) -> bool:
        """Move an existing record's lastSessionAt forward to ``at`` (history kept before closes wrote it).

        Never creates a record and leaves the activity order alone: a backfill is not activity.
        """
        iso = to_iso(at)
        try:
            self.db.update(
                RELATIONSHIPS,
                _key(client_id, therapist_id),
                set_values={"lastSessionAt": iso},
                condition=Attr("clientId").exists()
                & (Attr("lastSessionAt").not_exists() | Attr("lastSessionAt").lt(iso)),
            )
        except Conflict:
            return False
        return True

    def note_message(self, client_id: str, therapist_id: str, *, at: datetime) -> bool:
        """A message was sent: moves lastMessageAt and the activity order."""
        return self._move_forward(client_id, therapist_id, "lastMessageAt", at, activity=True)

    def note_session(self, client_id: str, therapist_id: str, *, at: datetime) -> bool:
        """A session took place (or was booked) at ``at``: moves lastSessionAt and the activity order."""
        return self._move_forward(client_id, therapist_id, "lastSessionAt", at, activity=True)

    def mark_read(self, client_id: str, therapist_id: str, *, side: Side, at: datetime) -> bool:
        """One side read the conversation up to ``at`` (a read marker only moves forward)."""
        return self._move_forward(client_id, therapist_id, _READ_AT[side], at, activity=False)

    def note_therapist_visit(
        self, client_id: str, therapist_id: str, *, at: datetime, last_visit: datetime | None
    ) -> bool:
        """A new visit of the therapist to the client's shared entries starts at ``at``.

        One of the writes a page view may make, once per visit: the visit that
        was the latest (``last_visit``, as the caller read it) becomes the
        previous one. Conditional on that read still holding and on ``at``
        being later, so the marker only moves forward and two tabs opening at
        once write one visit; never creates a record (an active pair has one).
        False when nothing was written.
        """
        if last_visit is not None and last_visit >= at:
            return False
        stored = Attr("therapistLastVisitAt")
        unchanged = stored.not_exists() if last_visit is None else stored.eq(to_iso(last_visit))
        try:
            self.db.update(
                RELATIONSHIPS,
                _key(client_id, therapist_id),
                set_values={
                    "therapistLastVisitAt": to_iso(at),
                    # None removes: a first visit has no previous one.
                    "therapistPreviousVisitAt": to_iso(last_visit) if last_visit else None,
                },
                condition=Attr("clientId").exists() & unchanged,
            )
        except Conflict:
            return False
        return True

    def mark_thread_read(self, client_id: str, therapist_id: str, *, side: Side, at: datetime, newest_seen: str) -> bool:
        """One side opened the thread and saw every message up to ``newest_seen`` (an ISO time).

        Moves the read marker forward and clears that side's unread counter, but
        only if no message arrived after the newest one shown (a send racing the
        opening keeps its count). False when nothing was written.
        """
        condition = (Attr(_READ_AT[side]).not_exists() | Attr(_READ_AT[side]).lt(to_iso(at))) & (
            Attr("lastMessageAt").not_exists() | Attr("lastMessageAt").lte(newest_seen)
        )
        try:
            self.db.update(
                RELATIONSHIPS,
                _key(client_id, therapist_id),
                set_values={_READ_AT[side]: to_iso(at), _UNREAD[side]: 0},
                # Nothing unread: no email notice is due for this side any more.
                remove=_notice_keys(side),
                condition=Attr("clientId").exists() & condition,
            )
        except Conflict:
            return False
        return True

    # --- email notices of unread messages -------------------------------------------

    def notices_due(self, side: Side, day: str, *, now: datetime, limit: int = 100) -> list[Relationship]:
        """Records in one day's partitions of ``side``'s notice index (every shard: a fixed
        number of Queries) whose notice is due by ``now``.

        The index is eventually consistent: what it returns is a candidate, and
        ``claim_message_notice`` decides on the item itself.
        """
        items = query_day(
            self.db,
            RELATIONSHIPS,
            NOTICES_DUE[side],
            day,
            sort_condition=lambda due: due.lte(to_iso(now)),
            limit=clamp_limit(limit),
        )
        return [_from_item(item) for item in items]

    def claim_message_notice(
        self, record: Relationship, side: Side, *, at: datetime, min_interval: timedelta
    ) -> bool:
        """Take the right to email ``side`` about unread messages now, and take the record out of the index.

        True for one caller: the write holds only while the notice is still due
        (nothing read since), the side still has unread messages, the pair has
        not ended and that side was not emailed within ``min_interval``.
        """
        noticed = Attr(_NOTICED_AT[side]).not_exists() | Attr(_NOTICED_AT[side]).lte(to_iso(at - min_interval))
        condition = (
            Attr(_NOTICE_DUE[side]).lte(to_iso(at))
            & Attr(_UNREAD[side]).gt(0)
            & Attr("endedAt").not_exists()
            & noticed
        )
        try:
            # A request token: a claim that landed is ours on botocore's retry (else the notice is lost).
            self.db.update(
                RELATIONSHIPS,
                _key(record.client_id, record.therapist_id),
                set_values={_NOTICED_AT[side]: to_iso(at)},
                remove=_notice_keys(side),
                condition=condition,
                token=new_request_token(),
            )
        except Conflict:
            return False
        return True

    def release_message_notice(self, record: Relationship, side: Side, *, claimed_at: datetime) -> None:
        """Undo a claim whose email could not be sent, so the next run tries again.

        The notice becomes due again (at its old time, unless a newer message
        set one meanwhile) only while that side still has unread messages.
        """
        key = _key(record.client_id, record.therapist_id)
        previous = record.noticed_at(side)
        restored = {_NOTICED_AT[side]: to_iso(previous) if previous else None}
        ours = Attr(_NOTICED_AT[side]).eq(to_iso(claimed_at))
        due = record.notice_due_at(side) or claimed_at
        try:
            self.db.update(
                RELATIONSHIPS,
                key,
                set_values=restored,
                set_if_absent=_notice_values(record, side, due),
                condition=ours & Attr(_UNREAD[side]).gt(0) & Attr("endedAt").not_exists(),
            )
            return
        except Conflict:
            pass
        try:
            # Read (or ended) meanwhile: no notice is due, only the claim's time goes.
            self.db.update(RELATIONSHIPS, key, set_values=restored, condition=ours)
        except Conflict:
            pass

    def defer_message_notice(self, record: Relationship, side: Side, *, until: datetime) -> bool:
        """Move a due notice to ``until`` (the 15-minute rule), unless the record moved on since it was read."""
        seen = record.notice_due_at(side)
        if seen is None:
            return False
        try:
            self.db.update(
                RELATIONSHIPS,
                _key(record.client_id, record.therapist_id),
                set_values=_notice_values(record, side, until),
                condition=Attr(_NOTICE_DUE[side]).eq(to_iso(seen)),
            )
        except Conflict:
            return False
        return True

    def drop_message_notice(self, record: Relationship, side: Side) -> bool:
        """Take a notice nobody should get out of the index (the pair ended, the account is gone)."""
        seen = record.notice_due_at(side)
        if seen is None:
            return False
        try:
            self.db.update(
                RELATIONSHIPS,
                _key(record.client_id, record.therapist_id),
                remove=_notice_keys(side),
                condition=Attr(_NOTICE_DUE[side]).eq(to_iso(seen)),
            )
        except Conflict:
            return False
        return True
