"""The audit log: who did what to whose data, partitioned by the data's owner.

Partitioning by subject (for example the client whose journal was read) lets
the owner see their own access history with one Query.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import AccountKind, AuditEvent, Page
from portal.dynamo.base import Repository, clamp_limit, to_page
from portal.dynamo.gateway import Item, new_request_token
from portal.dynamo.pagination import decode_cursor
from portal.dynamo.schema import AUDIT_LOG
from portal.ids import new_ulid
from portal.timeutil import from_iso, to_iso


def _from_item(item: Item) -> AuditEvent:
    when, event_id = item["occurredAt"].split("#", 1)
    return AuditEvent(
        subject_id=item["subjectId"],
        occurred_at=from_iso(when),
        event_id=event_id,
        action=item["action"],
        actor_kind=AccountKind(item["actorKind"]),
        actor_id=item["actorId"],
        detail=dict(item.get("detail", {})),
    )


class AuditRepository(Repository):
    def record(
        self,
        *,
        subject_id: str,
        action: str,
        actor_kind: AccountKind,
        actor_id: str,
        detail: dict[str, str] | None = None,
    ) -> AuditEvent:
        """Append an event. ``detail`` holds ids and labels, never health data."""
        ulid = new_ulid()
        event = AuditEvent(
            subject_id=subject_id,
            occurred_at=ulid.datetime,
            event_id=str(ulid),
            action=action,
            actor_kind=actor_kind,
            actor_id=actor_id,
            detail=detail or {},
        )
        item: dict[str, Any] = {
            "subjectId": subject_id,
            "occurredAt": f"{to_iso(event.occurred_at)}#{event.event_id}",
            "action": action,
            "actorKind": str(actor_kind),
            "actorId": actor_id,
            "detail": event.detail or None,
        }
        self.db.put(AUDIT_LOG, item, condition=Attr("occurredAt").not_exists(), token=new_request_token())
        return event

    def list_for_subject(
        self,
        subject_id: str,
        *,
        action: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[AuditEvent]:
        """Newest first. Filtering by action may return short pages; the cursor still advances."""
        scope = f"audit:{subject_id}:{action}"
        result = self.db.query(
            AUDIT_LOG,
            Key("subjectId").eq(subject_id),
            limit=clamp_limit(limit),
            forward=False,
            filter_condition=Attr("action").eq(action) if action else None,
            start_key=decode_cursor(cursor, scope),
        )
        return to_page(result, _from_item, scope)
