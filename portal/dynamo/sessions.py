"""The Session table (therapy sessions, not web sessions).

Updates are optimistic: each carries the version it was read at, and the write
is conditional on that version still being current, so a stale edit becomes a
Conflict instead of silently overwriting someone else's change. The same
condition holds the status rules, so no race can slip an illegal move through.

Every attribute is mapped in ``_to_item``/``_from_item`` alone. The clinical
fields (title, request message, rejection reason, private and shared notes)
are encrypted there, under the keys schema.py explains.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, NoReturn

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from portal.domain import (
    MAX_SESSION_MINUTES,
    REMINDER_LEAD,
    AccountKind,
    Conflict,
    NotFound,
    Page,
    SessionSchedule,
    SessionStatus,
    TherapySession,
    check_session_transition,
    is_erased,
    statuses_allowed_before,
)
from portal.dynamo.base import Repository, clamp_limit, kept_page, to_page
from portal.dynamo.day_keys import day_key, query_day
from portal.dynamo.field_crypto import (
    client_key_owner,
    data_key_scope,
    decrypt_optional,
    encrypt_optional,
    field_context,
    record_key_owner,
)
from portal.dynamo.gateway import (
    Item,
    QueryResult,
    TransactionCancelled,
    TransactOp,
    TransactPut,
    TransactUpdate,
    busy_database,
    new_request_token,
)
from portal.dynamo.idempotency import claim_key, claimed_target, create_once, load_item
from portal.dynamo.pagination import decode_cursor
from portal.dynamo.relationships import RelationshipRepository, session_held_op, session_made_op
from portal.dynamo.repository import within_limit
from portal.dynamo.schema import SESSIONS
from portal.timeutil import from_iso, maybe_from_iso, to_iso, utcnow

_BY_THERAPIST = "GSI_Session_ByTherapist"
_BY_CLIENT = "GSI_Session_ByClient"
_THERAPIST_SECTIONS = "GSI_Session_TherapistSection"
_CLIENT_SECTIONS = "GSI_Session_ClientSection"
_REMINDERS_DUE = "GSI_Session_RemindersDue"

# Who was reminded: written by the reminder command only, never by an edit
# made from a page that was read before the reminder went out.
_REMINDER_MARKS = ("clientRemindedAt", "therapistRemindedAt")
# The sparse index's keys: present exactly while a reminder is still to send.
_REMINDER_KEYS = ("reminderDay", "remindAt")
_NEVER_REWRITTEN = ("sessionId", "createdAt")

ReminderSide = Literal["client", "therapist"]
# The sections of a person's session lists, each its own partition of a section index.
Section = Literal["upcoming", "requests", "history"]
ListOwner = Literal["client", "therapist"]

_SECTION_OF: dict[SessionStatus, Section] = {
    SessionStatus.PENDING: "requests",
    SessionStatus.APPROVED: "upcoming",
    SessionStatus.OPEN: "upcoming",
    SessionStatus.CLOSED: "history",
    SessionStatus.REJECTED: "history",
    SessionStatus.CANCELLED: "history",
}


def session_section(status: SessionStatus) -> Section:
    """Which list section a session in ``status`` is in."""
    return _SECTION_OF[status]


# A list's bounds ride in its cursor: the next page keeps the bounds its first
# page drew from that request's clock, so the cursor's scope names only the list.
_CURSOR_AFTER = "~after"
_CURSOR_BEFORE = "~before"
# Pages of the overlap check and of the end of a relationship: every page is read.
_READ_ALL_PAGE = 100

_CONFLICT_ATTEMPTS = 5
# What the idempotency claims of session forms are scoped by (portal/dynamo/idempotency.py).
_CLAIM_SCOPE = "session"


# Whose key encrypts each clinical field (reasons in schema.py): what the client
# wrote or what names their concern goes with the client; what the therapist
# wrote is the therapist's record and survives the client's erasure.
_CLIENT_FIELDS = ("title", "requestMessage")
_RECORD_FIELDS = ("privateNotes", "sharedNotes", "rejectionReason")


def _owner(field: str, therapist_id: str, client_id: str) -> str:
    if field in _CLIENT_FIELDS:
        return client_key_owner(client_id)
    return record_key_owner(therapist_id, client_id)


def _seal(session: TherapySession, field: str, text: str) -> str | None:
    return encrypt_optional(
        _owner(field, session.therapist_id, session.client_id),
        field_context(SESSIONS, {"sessionId": session.session_id}, field),
        text,
    )


def _open(item: Item, field: str) -> str:
    return decrypt_optional(
        _owner(field, item["therapistId"], item["clientId"]),
        field_context(SESSIONS, {"sessionId": item["sessionId"]}, field),
        item.get(field),
    )


def _key_owners(item: Item) -> list[str]:
    """The keys a listed item's encrypted fields need, for one batched key read a page."""
    return [
        _owner(field, item["therapistId"], item["clientId"])
        for field in _CLIENT_FIELDS + _RECORD_FIELDS
        if item.get(field)
    ]


def reminder_day(moment: datetime) -> str:
    """The UTC day a reminder due at ``moment`` falls in; its partition is a shard of it."""
    return to_iso(moment)[:10]


def reminder_partition(session_id: str, remind_at: datetime) -> str:
    """The partition of the reminders index: a sharded day key (schema.py, DAY_SHARDS), the
    shard from the session, so a reminder set again (a failed send undone) lands where it was."""
    return day_key(reminder_day(remind_at), session_id)


def _clinical_values(session: TherapySession) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for field, text in (
        ("title", session.title),
        ("requestMessage", session.request_message),
        ("privateNotes", session.private_notes),
        ("sharedNotes", session.shared_notes),
        ("rejectionReason", session.rejection_reason),
    ):
        # Text erased with a former client's key is left as stored (unreadable),
        # so the therapist can still save their own notes on that session.
        if not is_erased(text):
            values[field] = _seal(session, field, text)
    return values


def _to_item(session: TherapySession) -> dict[str, Any]:
    remind_at = session.scheduled_for - REMINDER_LEAD
    pending = session.reminders_pending
    return {
        "sessionId": session.session_id,
        "therapistId": session.therapist_id,
        "clientId": session.client_id,
        **_clinical_values(session),
        "scheduledFor": to_iso(session.scheduled_for),
        "durationMinutes": session.duration_minutes,
        "location": session.location or None,
        "status": str(session.status),
        "requestedBy": str(session.requested_by),
        "cancelledBy": str(session.cancelled_by) if session.cancelled_by else None,
        "clientName": session.client_name or None,
        "therapistName": session.therapist_name or None,
        "version": session.version,
        "createdAt": to_iso(session.created_at or utcnow()),
        "updatedAt": to_iso(session.updated_at) if session.updated_at else None,
        "clientRemindedAt": to_iso(session.client_reminded_at) if session.client_reminded_at else None,
        "therapistRemindedAt": (
            to_iso(session.therapist_reminded_at) if session.therapist_reminded_at else None
        ),
        "reminderDay": reminder_partition(session.session_id, remind_at) if pending else None,
        "remindAt": to_iso(remind_at) if pending else None,
        "previousSessionAt": to_iso(session.previous_session_at) if session.previous_session_at else None,
        "therapistSection": f"{session.therapist_id}#{session_section(session.status)}",
        "clientSection": f"{session.client_id}#{session_section(session.status)}",
        "cancelledAt": to_iso(session.cancelled_at) if session.cancelled_at else None,
        "lateCancellation": True if session.late_cancellation else None,
        "proposedFor": to_iso(session.proposed_for) if session.proposed_for else None,
    }


def _from_item(item: Item) -> TherapySession:
    with data_key_scope() as ring:
        # Title and notes use two owners' keys: one batched read, not two.
        ring.prefetch(_key_owners(item))
        return _session_from_item(item)


def _session_from_item(item: Item, *, clinical: bool = True) -> TherapySession:
    """``clinical=False`` leaves the clinical text out (and reads no key): for work
    that needs only the time, the status and the ids, such as reminders."""

    def text(field: str) -> str:
        return _open(item, field) if clinical else ""

    cancelled_by = item.get("cancelledBy")
    return TherapySession(
        session_id=item["sessionId"],
        therapist_id=item["therapistId"],
        client_id=item["clientId"],
        title=text("title"),
        scheduled_for=from_iso(item["scheduledFor"]),
        status=SessionStatus(item["status"]),
        private_notes=text("privateNotes"),
        shared_notes=text("sharedNotes"),
        version=int(Decimal(item.get("version", 1))),
        created_at=maybe_from_iso(item.get("createdAt")),
        updated_at=maybe_from_iso(item.get("updatedAt")),
        duration_minutes=int(Decimal(item.get("durationMinutes", 50))),
        location=item.get("location", ""),
        request_message=text("requestMessage"),
        rejection_reason=text("rejectionReason"),
        requested_by=AccountKind(item.get("requestedBy", "client")),
        cancelled_by=AccountKind(cancelled_by) if cancelled_by else None,
        client_name=item.get("clientName", ""),
        therapist_name=item.get("therapistName", ""),
        client_reminded_at=maybe_from_iso(item.get("clientRemindedAt")),
        therapist_reminded_at=maybe_from_iso(item.get("therapistRemindedAt")),
        previous_session_at=maybe_from_iso(item.get("previousSessionAt")),
        cancelled_at=maybe_from_iso(item.get("cancelledAt")),
        late_cancellation=bool(item.get("lateCancellation", False)),
        proposed_for=maybe_from_iso(item.get("proposedFor")),
    )


def _status_filter(statuses: Collection[SessionStatus] | None) -> ConditionBase | None:
    if not statuses:
        return None
    return Attr("status").is_in(sorted(str(s) for s in statuses))

# Everything staff may see of a session; titles and notes are never fetched.
_SCHEDULE_ATTRIBUTES = ("sessionId", "therapistId", "clientId", "scheduledFor", "status")


def _schedule_from_item(item: Item) -> SessionSchedule:
    return SessionSchedule(
        session_id=item["sessionId"],
        therapist_id=item["therapistId"],
        client_id=item["clientId"],
        scheduled_for=from_iso(item["scheduledFor"]),
        status=SessionStatus(item["status"]),
    )


def _update_values(session: TherapySession, expected_version: int, *, reset_reminders: bool) -> dict[str, Any]:
    """What an update of ``session`` writes (see ``SessionRepository.update``)."""
    values = _to_item(session)
    for name in _NEVER_REWRITTEN:
        values.pop(name)
    if not reset_reminders:
        for name in _REMINDER_MARKS:
            values.pop(name)
        if session.status is SessionStatus.APPROVED:
            # Still approved: whether a reminder is due is the reminder command's business.
            for name in _REMINDER_KEYS:
                values.pop(name)
    values["version"] = expected_version + 1
    values["updatedAt"] = to_iso(utcnow())
    return values


def _update_condition(session: TherapySession, expected_version: int) -> ConditionBase:
    """The version the change was based on, and a status the new one may follow."""
    allowed_before = sorted(str(s) for s in statuses_allowed_before(session.status))
    return (
        Attr("sessionId").exists()
        & Attr("version").eq(expected_version)
        & Attr("status").is_in(allowed_before)
    )


class SessionRepository(Repository):
    def create(self, session: TherapySession, *, idempotency_key: str | None = None) -> TherapySession:
        """Create Session: PutItem (never over an existing id).

        With ``idempotency_key`` (from the form that was submitted) the key is
        claimed in the same transaction as the session (portal/dynamo/idempotency.py),
        so a double submit or a retry stores one session and gets that one back.
        The claim is scoped to whoever asked for the session (the client for a
        request, the therapist for a booking): one person's key never reaches
        another's session.
        """
        if idempotency_key is None:
            self.db.put(
                SESSIONS, _to_item(session), condition=Attr("sessionId").not_exists(), token=new_request_token()
            )
            return session
        owner = session.client_id if session.requested_by is AccountKind.CLIENT else session.therapist_id
        put = TransactPut(SESSIONS, _to_item(session), Attr("sessionId").not_exists())
        # The session's id joins the pair's relationship record in the same transaction, which
        # holds only while the relationship is active (relationships.session_made_op).
        marked: list[TransactOp] = [put, session_made_op(session.client_id, session.therapist_id, session.session_id)]
        try:
            stored, _created = create_once(
                self.db,
                key=claim_key(_CLAIM_SCOPE, owner, idempotency_key),
                target={"sessionId": session.session_id},
                operations=marked,
                created=session,
                load=load_item(self.db, SESSIONS, _from_item),
            )
        except TransactionCancelled as exc:
            # Reasons follow the operations: the key's claim, the session, the record.
            if len(exc.reasons) < 3 or exc.reasons[2] != "ConditionalCheckFailed":
                raise
            record = RelationshipRepository().get(session.client_id, session.therapist_id)
            if record is not None and (record.ended_at is not None or record.active_since is not None):
                raise Conflict("You no longer work together: the session was not made.") from None
            # A pair active since before relationship records existed has none to mark.
            stored, _created = create_once(
                self.db,
                key=claim_key(_CLAIM_SCOPE, owner, idempotency_key),
                target={"sessionId": session.session_id},
                operations=[put],
                created=session,
                load=load_item(self.db, SESSIONS, _from_item),
            )
        return stored

    def created_with(self, owner_id: str, idempotency_key: str) -> TherapySession | None:
        """The session ``owner_id`` already created with this form key, if any (consistent reads).

        For a repeat submit that would otherwise be refused before reaching the
        create (its own twin now overlaps it): the answer is the first one.
        """
        target = claimed_target(self.db, claim_key(_CLAIM_SCOPE, owner_id, idempotency_key))
        return self.get(target["sessionId"]) if target and "sessionId" in target else None

    def get(self, session_id: str) -> TherapySession | None:
        item = self.db.get(SESSIONS, {"sessionId": session_id}, consistent=True)
        return _from_item(item) if item else None

    def get_many(self, session_ids: Iterable[str]) -> list[TherapySession]:
        """The sessions as they are now (consistent BatchGetItem, 100 a call); ids without a session are left out."""
        keys = [{"sessionId": session_id} for session_id in dict.fromkeys(session_ids)]
        if not keys:
            return []
        with data_key_scope():
            return [_from_item(item) for item in self.db.batch_get(SESSIONS, keys, consistent=True)]

    def update(
        self, session: TherapySession, *, expected_version: int, reset_reminders: bool = False
    ) -> TherapySession:
        """Update Session: UpdateItem conditional on ``expected_version``.

        The status may only move along the allowed transitions (checked in the
        same condition). Who was reminded is left as stored unless
        ``reset_reminders`` (a new time, or a newly approved session), so an edit
        made from a page read before a reminder went out never sends it twice.
        Raises Conflict when someone else updated it since, IllegalTransition for
        a move the status rules forbid, NotFound when it is gone.
        """
        try:
            item = self.db.update(
                SESSIONS,
                {"sessionId": session.session_id},
                set_values=_update_values(session, expected_version, reset_reminders=reset_reminders),
                condition=_update_condition(session, expected_version),
                # A retry of this very update after it landed is success, not
                # "changed by someone else" (its version moved because of us).
                token=new_request_token(),
            )
        except Conflict:
            self._refused(session, expected_version)
        return _from_item(item)

    def _refused(self, session: TherapySession, expected_version: int) -> NoReturn:
        """Why an update's condition failed: gone, an illegal move, or someone else's change."""
        current = self.get(session.session_id)
        if current is None:
            raise NotFound("No such session.") from None
        if current.version == expected_version:
            check_session_transition(current.status, session.status)
        raise Conflict("This session was changed by someone else since you opened it.") from None

    def close(self, session: TherapySession, *, expected_version: int) -> TherapySession:
        """Close a session and move the pair's ``lastSessionAt`` to its time, in one transaction.

        Both land or neither does, so a closed session never leaves "since last
        session" reading an older time (a retried call is the same transaction:
        botocore resends its ClientRequestToken). When the record already holds
        a later session (an older one closed late), only the session is closed:
        the record's time never moves backwards.
        ``session`` carries the closed status and ``previous_session_at``.
        """
        if session.status is not SessionStatus.CLOSED:
            raise ValueError("close() writes a closed session")
        now = utcnow()
        operations = [
            TransactUpdate(
                SESSIONS,
                {"sessionId": session.session_id},
                set_values={**_update_values(session, expected_version, reset_reminders=False), "updatedAt": to_iso(now)},
                condition=_update_condition(session, expected_version),
            ),
            session_held_op(session.client_id, session.therapist_id, session_at=session.scheduled_for, at=now),
        ]
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                self.db.transact_write(operations)
            except TransactionCancelled as exc:
                reasons = exc.reasons + ["None"] * (2 - len(exc.reasons))
                if reasons[0] == "ConditionalCheckFailed":
                    self._refused(session, expected_version)
                if reasons[1] == "ConditionalCheckFailed":
                    # The record is already at this session or past it: close the session alone.
                    return self.update(session, expected_version=expected_version)
                if not exc.busy:
                    raise
                # A concurrent write to the record (a message sent) cancels with
                # TransactionConflict; trying again settles it. Still busy: the 503 page.
                if attempt == _CONFLICT_ATTEMPTS - 1:
                    raise busy_database(exc) from exc
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
                continue
            return replace(session, version=expected_version + 1, updated_at=now)
        raise AssertionError("unreachable: the last attempt returns or raises")

    # --- listings -------------------------------------------------------------------

    def _list(
        self,
        attribute: str,
        owner_id: str,
        index: str,
        *,
        after: datetime | None,
        before: datetime | None,
        newest_first: bool,
        statuses: Collection[SessionStatus] | None,
        limit: int,
        cursor: str | None,
        clinical: bool = True,
    ) -> Page[TherapySession]:
        wanted = ",".join(sorted(str(s) for s in statuses or ()))
        # What the list is, never the request's clock: the bounds ride in the cursor.
        scope = f"sessions.{index}:{owner_id}:{newest_first}:{wanted}"
        start_key = decode_cursor(cursor, scope)
        if start_key is not None:
            # The next page keeps its first page's bounds (computed from that request's clock).
            after = maybe_from_iso(start_key.pop(_CURSOR_AFTER, None))
            before = maybe_from_iso(start_key.pop(_CURSOR_BEFORE, None))
        condition: ConditionBase = Key(attribute).eq(owner_id)
        if after and before:
            condition = condition & Key("scheduledFor").between(to_iso(after), to_iso(before))
        elif after:
            condition = condition & Key("scheduledFor").gte(to_iso(after))
        elif before:
            condition = condition & Key("scheduledFor").lt(to_iso(before))
        limit = clamp_limit(limit)
        result = self.db.query(
            SESSIONS,
            condition,
            index=index,
            # One more than the page: a cursor only when more follow (see within_limit).
            limit=limit + 1,
            forward=not newest_first,
            # Pages may come out short when a filter drops items; one Query each all the same.
            # The section lists (list_section) need no filter.
            filter_condition=_status_filter(statuses),
            start_key=start_key,
        )
        kept = within_limit(result, table=SESSIONS, index=index, limit=limit)
        if kept.last_key is not None:
            bounds = {_CURSOR_AFTER: after and to_iso(after), _CURSOR_BEFORE: before and to_iso(before)}
            kept = QueryResult(items=kept.items, last_key={**kept.last_key, **bounds})
        if not clinical:
            # Times, statuses and ids only (an overlap check): the index has them all.
            return to_page(kept, lambda item: _session_from_item(item, clinical=False), scope)
        return to_page(self._whole(kept), _from_item, scope, key_owners=_key_owners)

    def _whole(self, result: QueryResult) -> QueryResult:
        """The page's sessions themselves, in the index's order: one BatchGetItem.

        The list indexes copy no clinical text (schema.py, SESSION_LIST_ATTRIBUTES),
        and lists show titles; a session deleted since the Query is left out.
        """
        if not result.items:
            return result
        found = {
            item["sessionId"]: item
            for item in self.db.batch_get(SESSIONS, [{"sessionId": i["sessionId"]} for i in result.items])
        }
        items = [found[i["sessionId"]] for i in result.items if i["sessionId"] in found]
        return QueryResult(items=items, last_key=result.last_key)

    def with_titles(
        self, pages: Sequence[Page[TherapySession]], *, shared_notes: bool = False, reasons: bool = False
    ) -> list[Page[TherapySession]]:
        """Pages listed with ``clinical=False`` given their titles (and, for the client's list,
        their shared notes; with ``reasons``, the reason a request was declined, which a
        history shows): one BatchGetItem for every page together, reading nothing else
        clinical, and one batched read of the keys those need."""
        ids = list(dict.fromkeys(s.session_id for page in pages for s in page.items))
        if not ids:
            return list(pages)
        fields: tuple[str, ...] = ("title", "sharedNotes") if shared_notes else ("title",)
        if reasons:
            fields = (*fields, "rejectionReason")
        items = self.db.batch_get(
            SESSIONS, [{"sessionId": i} for i in ids], attributes=("sessionId", "therapistId", "clientId", *fields)
        )
        texts: dict[str, dict[str, str]] = {}
        with data_key_scope() as ring:
            ring.prefetch(
                [_owner(f, item["therapistId"], item["clientId"]) for item in items for f in fields if item.get(f)]
            )
            for item in items:
                texts[item["sessionId"]] = {f: _open(item, f) for f in fields}

        def titled(session: TherapySession) -> TherapySession:
            text = texts.get(session.session_id, {})
            return replace(
                session,
                title=text.get("title", ""),
                shared_notes=text.get("sharedNotes", ""),
                rejection_reason=text.get("rejectionReason", ""),
            )

        return [Page([titled(s) for s in page.items], page.next_cursor) for page in pages]

    def list_section(
        self,
        owner: ListOwner,
        owner_id: str,
        section: Section,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        newest_first: bool = False,
        limit: int = 25,
        cursor: str | None = None,
        clinical: bool = True,
    ) -> Page[TherapySession]:
        """One section of a person's sessions (upcoming, requests or history), by time: one Query a page.

        The section is the partition of a section index, so every page is full
        unless the section ends, whatever states the other sessions are in.
        ``after`` is inclusive, ``before`` exclusive; a cursor keeps the bounds of
        the first page, so it stays valid as the clock moves (for a day).
        ``clinical=False`` reads the index alone (no titles): pages then get their
        text from ``with_titles``, one BatchGetItem for all of a list's sections.
        """
        attribute, index = (
            ("therapistSection", _THERAPIST_SECTIONS) if owner == "therapist" else ("clientSection", _CLIENT_SECTIONS)
        )
        return self._list(
            attribute,
            f"{owner_id}#{section}",
            index,
            after=after,
            before=before,
            newest_first=newest_first,
            statuses=None,
            limit=limit,
            cursor=cursor,
            clinical=clinical,
        )

    def _section_between(
        self, owner: ListOwner, owner_id: str, section: Section, *, after: datetime, before: datetime | None = None
    ) -> list[TherapySession]:
        """Every session of a section in a time range, however many: a Query a hundred at a time.

        Without their clinical text (titles, notes): for decisions on times and statuses.
        """
        attribute, index = (
            ("therapistSection", _THERAPIST_SECTIONS) if owner == "therapist" else ("clientSection", _CLIENT_SECTIONS)
        )
        condition: ConditionBase = Key(attribute).eq(f"{owner_id}#{section}")
        if before is not None:
            condition = condition & Key("scheduledFor").between(to_iso(after), to_iso(before))
        else:
            condition = condition & Key("scheduledFor").gte(to_iso(after))
        items: list[Item] = []
        start_key: dict[str, Any] | None = None
        while True:
            result = self.db.query(SESSIONS, condition, index=index, limit=_READ_ALL_PAGE, start_key=start_key)
            items.extend(result.items)
            if not result.last_key:
                break
            start_key = result.last_key
        # Times, statuses and ids decide here (an overlap, what to cancel): no clinical text, no data key.
        return [_session_from_item(item, clinical=False) for item in items]

    def client_sessions_ahead(self, client_id: str, *, after: datetime) -> list[TherapySession]:
        """The client's pending and approved or open sessions from ``after`` on, all of them."""
        return self._section_between("client", client_id, "requests", after=after) + self._section_between(
            "client", client_id, "upcoming", after=after
        )

    def list_by_therapist(
        self,
        therapist_id: str,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        newest_first: bool = False,
        statuses: Collection[SessionStatus] | None = None,
        limit: int = 25,
        cursor: str | None = None,
        clinical: bool = True,
    ) -> Page[TherapySession]:
        """List Sessions by Therapist (GSI_Session_ByTherapist), in scheduled order.

        ``after`` is inclusive, ``before`` exclusive.
        """
        return self._list(
            "therapistId",
            therapist_id,
            _BY_THERAPIST,
            after=after,
            before=before,
            newest_first=newest_first,
            statuses=statuses,
            limit=limit,
            cursor=cursor,
            clinical=clinical,
        )

    def set_client_name(self, session_id: str, name: str) -> None:
        """Replace the client's name copied onto a session (an erased client becomes "Former client").

        The version stays: the therapist's notes and status are untouched, so an
        edit they have open still saves.
        """
        try:
            self.db.update(
                SESSIONS,
                {"sessionId": session_id},
                set_values={"clientName": name},
                condition=Attr("sessionId").exists(),
            )
        except Conflict:
            pass

    def set_previous_session_at(self, session_id: str, at: datetime) -> bool:
        """Record, once, when the session before this closed one was held (for sessions closed before
        ``close`` kept it). The version stays: nothing a person edits changes."""
        try:
            self.db.update(
                SESSIONS,
                {"sessionId": session_id},
                set_values={"previousSessionAt": to_iso(at)},
                condition=Attr("status").eq(str(SessionStatus.CLOSED)) & Attr("previousSessionAt").not_exists(),
            )
        except Conflict:
            return False
        return True

    def list_by_client(
        self,
        client_id: str,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        newest_first: bool = False,
        statuses: Collection[SessionStatus] | None = None,
        limit: int = 25,
        cursor: str | None = None,
        clinical: bool = True,
    ) -> Page[TherapySession]:
        """A client's sessions (GSI_Session_ByClient), in scheduled order."""
        return self._list(
            "clientId",
            client_id,
            _BY_CLIENT,
            after=after,
            before=before,
            newest_first=newest_first,
            statuses=statuses,
            limit=limit,
            cursor=cursor,
            clinical=clinical,
        )

    def list_around(
        self,
        therapist_id: str,
        start: datetime,
        end: datetime,
        *,
        statuses: Collection[SessionStatus] = (SessionStatus.APPROVED, SessionStatus.OPEN),
    ) -> list[TherapySession]:
        """The therapist's approved and open sessions that overlap [start, end), every one of them.

        A session overlapping the span starts before ``end`` and at most the
        longest session length before ``start``: that window of the therapist's
        upcoming section is the key condition, read to its end (however many).
        """
        around = self._section_between(
            "therapist", therapist_id, "upcoming", after=start - timedelta(minutes=MAX_SESSION_MINUTES), before=end
        )
        return [s for s in around if s.status in statuses and s.scheduled_for < end and s.ends_at > start]

    def backfill_sections(self) -> int:
        """Give sessions stored before the section indexes their section keys (maintenance: a paged Scan).

        Each write is conditional on the status read, so a session changed
        meanwhile keeps the keys its own write gave it. Safe to run twice.
        """
        written = 0
        start_key: dict[str, Any] | None = None
        while True:
            result = self.db.scan(
                SESSIONS,
                limit=_READ_ALL_PAGE,
                start_key=start_key,
                projection=("sessionId", "therapistId", "clientId", "status", "therapistSection", "clientSection"),
            )
            for item in result.items:
                section = session_section(SessionStatus(item["status"]))
                wanted = {
                    "therapistSection": f"{item['therapistId']}#{section}",
                    "clientSection": f"{item['clientId']}#{section}",
                }
                if all(item.get(name) == value for name, value in wanted.items()):
                    continue
                try:
                    self.db.update(
                        SESSIONS,
                        {"sessionId": item["sessionId"]},
                        set_values=wanted,
                        condition=Attr("status").eq(item["status"]),
                    )
                except Conflict:
                    continue
                written += 1
            if not result.last_key:
                return written
            start_key = result.last_key

    # --- reminders --------------------------------------------------------------------

    def reminders_due(self, day: str, *, now: datetime, limit: int = 100) -> list[TherapySession]:
        """Sessions in one day's partitions of the sparse reminders index (every shard: a fixed
        number of Queries) whose reminder is due.

        Without their clinical text: a reminder says only when.
        """
        items = query_day(
            self.db,
            SESSIONS,
            _REMINDERS_DUE,
            day,
            sort_condition=lambda remind_at: remind_at.lte(to_iso(now)),
            limit=clamp_limit(limit),
        )
        return [_session_from_item(item, clinical=False) for item in items]

    def drop_reminder(self, session: TherapySession) -> bool:
        """Take a session whose reminder can no longer be sent (it has begun, or an account
        is gone) out of the reminders index at once, so it never sits at the head of a
        day's partition again. Only while the reminder read is still the one pending:
        a session moved meanwhile keeps its new reminder."""
        remind_at = session.scheduled_for - REMINDER_LEAD
        try:
            self.db.update(
                SESSIONS,
                {"sessionId": session.session_id},
                remove=_REMINDER_KEYS,
                condition=Attr("remindAt").eq(to_iso(remind_at))
                & Attr("scheduledFor").eq(to_iso(session.scheduled_for)),
            )
        except Conflict:
            return False
        return True

    def mark_reminded(self, session: TherapySession, side: ReminderSide) -> bool:
        """Record that ``side`` was reminded, once: False when it already was (or things moved on).

        Conditional on the session still being approved at the time that was
        read, so a reminder never goes out for a cancelled or moved session.
        When both sides are then reminded the session leaves the sparse index.
        """
        mark = f"{side}RemindedAt"
        other = "therapistRemindedAt" if side == "client" else "clientRemindedAt"
        try:
            item = self.db.update(
                SESSIONS,
                {"sessionId": session.session_id},
                set_values={mark: to_iso(utcnow())},
                condition=Attr(mark).not_exists()
                & Attr("status").eq(str(SessionStatus.APPROVED))
                & Attr("scheduledFor").eq(to_iso(session.scheduled_for)),
                # A mark that landed is ours on botocore's retry: the reminder still goes out.
                token=new_request_token(),
            )
        except Conflict:
            return False
        if other in item:
            try:
                self.db.update(
                    SESSIONS,
                    {"sessionId": session.session_id},
                    remove=_REMINDER_KEYS,
                    condition=Attr(mark).exists() & Attr(other).exists(),
                )
            except Conflict:
                pass  # rescheduled meanwhile: the new time's reminder stands
        return True

    def unmark_reminded(self, session: TherapySession, side: ReminderSide) -> None:
        """Undo a mark whose email could not be sent, so the next run tries again."""
        remind_at = session.scheduled_for - REMINDER_LEAD
        try:
            self.db.update(
                SESSIONS,
                {"sessionId": session.session_id},
                set_values={
                    f"{side}RemindedAt": None,
                    "reminderDay": reminder_partition(session.session_id, remind_at),
                    "remindAt": to_iso(remind_at),
                },
                condition=Attr("scheduledFor").eq(to_iso(session.scheduled_for))
                & Attr("status").eq(str(SessionStatus.APPROVED)),
            )
        except Conflict:
            pass

    def list_schedules_by_therapist(
        self, therapist_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> Page[SessionSchedule]:
        """One therapist's sessions for staff, newest first: one Query of the therapist index,
        which holds no title or note (the seed's "List All Sessions" by a specific index:
        the web servers may not Scan this table)."""
        scope = f"sessions.schedules.therapist:{therapist_id}"
        result = self.db.query(
            SESSIONS,
            Key("therapistId").eq(therapist_id),
            index=_BY_THERAPIST,
            limit=clamp_limit(limit),
            forward=False,
            start_key=decode_cursor(cursor, scope),
            projection=_SCHEDULE_ATTRIBUTES,
        )
        return to_page(result, _schedule_from_item, scope)

    def list_all_schedules(
        self, *, limit: int = 25, cursor: str | None = None
    ) -> Page[SessionSchedule]:
        """Every session for maintenance commands (backfill_session_history): a paged Scan that
        reads no title or note at all. Only the maintenance role may Scan this table."""
        scope, limit = "sessions.all.schedules", clamp_limit(limit)
        result = self.db.scan(
            SESSIONS,
            limit=limit + 1,
            start_key=decode_cursor(cursor, scope),
            projection=_SCHEDULE_ATTRIBUTES,
        )
        return kept_page(result, table=SESSIONS, index=None, limit=limit, convert=_schedule_from_item, scope=scope)


# --- for transactions that other repositories write with a session (time claims: booking.py) ---


def session_put_op(session: TherapySession) -> TransactPut:
    """The creation of ``session`` as one operation of a transaction (never over an existing id)."""
    return TransactPut(SESSIONS, _to_item(session), Attr("sessionId").not_exists())


def session_update_op(
    session: TherapySession, *, expected_version: int, reset_reminders: bool = False
) -> TransactUpdate:
    """``SessionRepository.update`` as one operation of a transaction (same values, same condition)."""
    return TransactUpdate(
        SESSIONS,
        {"sessionId": session.session_id},
        set_values=_update_values(session, expected_version, reset_reminders=reset_reminders),
        condition=_update_condition(session, expected_version),
    )


def session_from_item(item: Item) -> TherapySession:
    return _from_item(item)


def session_claim_owner(session: TherapySession) -> str:
    """Whose idempotency keys a session's creation is scoped by (as ``SessionRepository.create`` does)."""
    return session.client_id if session.requested_by is AccountKind.CLIENT else session.therapist_id


def session_claim_key(owner_id: str, idempotency_key: str) -> str:
    return claim_key(_CLAIM_SCOPE, owner_id, idempotency_key)
