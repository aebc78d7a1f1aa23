"""The Session table (therapy sessions, not web sessions).

Updates are optimistic: each carries the version it was read at, and the write
is conditional on that version still being current, so a stale edit becomes a
Conflict instead of silently overwriting someone else's change.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import (
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
from portal.dynamo.base import Repository, query_page, scan_page
from portal.dynamo.field_crypto import (
    client_key_owner,
    data_key_scope,
    decrypt_optional,
    encrypt_optional,
    field_context,
    record_key_owner,
)
from portal.dynamo.gateway import Item, new_request_token
from portal.dynamo.schema import SESSIONS
from portal.timeutil import from_iso, maybe_from_iso, to_iso, utcnow

_BY_THERAPIST = "GSI_Session_ByTherapist"
_BY_CLIENT = "GSI_Session_ByClient"


# Whose key encrypts each clinical field (reasons in schema.py): the title names
# the client's concern and goes with the client; the notes are the therapist's
# record and survive the client's erasure.
_CLIENT_FIELDS = ("title",)
_RECORD_FIELDS = ("privateNotes", "sharedNotes")


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


def _clinical_values(session: TherapySession) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for field, text in (
        ("title", session.title),
        ("privateNotes", session.private_notes),
        ("sharedNotes", session.shared_notes),
    ):
        # Text erased with a former client's key is left as stored (unreadable),
        # so the therapist can still save their own notes on that session.
        if not is_erased(text):
            values[field] = _seal(session, field, text)
    return values


def _to_item(session: TherapySession) -> dict[str, Any]:
    return {
        "sessionId": session.session_id,
        "therapistId": session.therapist_id,
        "clientId": session.client_id,
        **_clinical_values(session),
        "scheduledFor": to_iso(session.scheduled_for),
        "status": str(session.status),
        "version": session.version,
        "createdAt": to_iso(session.created_at or utcnow()),
        "updatedAt": to_iso(session.updated_at) if session.updated_at else None,
    }


def _from_item(item: Item) -> TherapySession:
    with data_key_scope() as ring:
        # Title and notes use two owners' keys: one batched read, not two.
        ring.prefetch(_key_owners(item))
        return _session_from_item(item)


def _session_from_item(item: Item) -> TherapySession:
    return TherapySession(
        session_id=item["sessionId"],
        therapist_id=item["therapistId"],
        client_id=item["clientId"],
        title=_open(item, "title"),
        scheduled_for=from_iso(item["scheduledFor"]),
        status=SessionStatus(item["status"]),
        private_notes=_open(item, "privateNotes"),
        shared_notes=_open(item, "sharedNotes"),
        version=int(Decimal(item.get("version", 1))),
        created_at=maybe_from_iso(item.get("createdAt")),
        updated_at=maybe_from_iso(item.get("updatedAt")),
    )


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


class SessionRepository(Repository):
    def create(self, session: TherapySession) -> TherapySession:
        """Create Session: PutItem (never over an existing id)."""
        self.db.put(
            SESSIONS, _to_item(session), condition=Attr("sessionId").not_exists(), token=new_request_token()
        )
        return session

    def get(self, session_id: str) -> TherapySession | None:
        item = self.db.get(SESSIONS, {"sessionId": session_id}, consistent=True)
        return _from_item(item) if item else None

    def update(self, session: TherapySession, *, expected_version: int) -> TherapySession:
        """Update Session: UpdateItem conditional on ``expected_version``.

        The status may only move along the allowed transitions (checked in the
        same condition, so no race can slip an illegal move through). Raises
        Conflict when someone else updated it since, IllegalTransition for a
        move the status rules forbid, NotFound when it is gone.
        """
        allowed_before = sorted(str(s) for s in statuses_allowed_before(session.status))
        try:
            item = self.db.update(
                SESSIONS,
                {"sessionId": session.session_id},
                set_values={
                    **_clinical_values(session),
                    "scheduledFor": to_iso(session.scheduled_for),
                    "status": str(session.status),
                    "version": expected_version + 1,
                    "updatedAt": to_iso(utcnow()),
                },
                condition=Attr("sessionId").exists()
                & Attr("version").eq(expected_version)
                & Attr("status").is_in(allowed_before),
                # A retry of this very update after it landed is success, not
                # "changed by someone else" (its version moved because of us).
                token=new_request_token(),
            )
        except Conflict:
            current = self.get(session.session_id)
            if current is None:
                raise NotFound("No such session.") from None
            if current.version == expected_version:
                check_session_transition(current.status, session.status)
            raise Conflict(
                "This session was changed by someone else since you opened it."
            ) from None
        return _from_item(item)

    def list_by_therapist(
        self, therapist_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> Page[TherapySession]:
        """List Sessions by Therapist (GSI_Session_ByTherapist), in scheduled order."""
        return query_page(
            self.db,
            SESSIONS,
            Key("therapistId").eq(therapist_id),
            limit=limit,
            index=_BY_THERAPIST,
            scope=f"sessions.therapist:{therapist_id}",
            cursor=cursor,
            convert=_from_item,
            key_owners=_key_owners,
        )

    def list_by_client(
        self, client_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> Page[TherapySession]:
        return query_page(
            self.db,
            SESSIONS,
            Key("clientId").eq(client_id),
            limit=limit,
            index=_BY_CLIENT,
            scope=f"sessions.client:{client_id}",
            cursor=cursor,
            convert=_from_item,
            key_owners=_key_owners,
        )

    def list_all(self, *, limit: int = 25, cursor: str | None = None) -> Page[TherapySession]:
        """List All Sessions: a paged Scan, for staff."""
        return scan_page(
            self.db,
            SESSIONS,
            limit=limit,
            scope="sessions.all",
            cursor=cursor,
            convert=_from_item,
            key_owners=_key_owners,
        )

    def list_all_schedules(
        self, *, limit: int = 25, cursor: str | None = None
    ) -> Page[SessionSchedule]:
        """List All Sessions for staff: a paged Scan that reads no title or note at all."""
        return scan_page(
            self.db,
            SESSIONS,
            limit=limit,
            scope="sessions.all.schedules",
            cursor=cursor,
            convert=_schedule_from_item,
            projection=_SCHEDULE_ATTRIBUTES,
        )
