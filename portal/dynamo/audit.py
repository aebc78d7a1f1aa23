"""The audit log: who did what to whose data or account.

Partitioned by the subject (the client whose journal was read, the account a
staff member deactivated). The sort key starts with the event's category, so
each list about one subject and one category is a single key condition and
never returns short pages as other kinds of events accumulate. Three indexes
serve the staff's audit browser, each one Query, newest first: a subject's
whole history (LSI), one actor's actions, one day's events.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import AccountKind, AuditCategory, AuditEvent, Page, audit_category_for
from portal.dynamo.base import Repository, clamp_limit, query_page
from portal.dynamo.day_keys import day_key, query_day_page
from portal.dynamo.gateway import Item, TransactPut, new_request_token
from portal.dynamo.schema import AUDIT_LOG
from portal.ids import new_id
from portal.timeutil import from_iso, to_iso, utcnow

_BY_TIME = "LSI_Audit_ByTime"
_BY_ACTOR = "GSI_Audit_ByActor"
_BY_DAY = "GSI_Audit_ByDay"


def actor_key(kind: AccountKind | str, actor_id: str) -> str:
    return f"{kind}:{actor_id}"


def _day(moment: datetime) -> str:
    return to_iso(moment)[:10]


def _to_item(event: AuditEvent) -> dict[str, Any]:
    occurred = f"{to_iso(event.occurred_at)}#{event.event_id}"
    return {
        "subjectId": event.subject_id,
        "categoryAt": f"{event.category}#{occurred}",
        "occurredAt": occurred,
        # A sharded day key (schema.py, DAY_SHARDS): one day's events over several partitions.
        "day": day_key(_day(event.occurred_at), event.event_id),
        "category": str(event.category),
        "action": event.action,
        "actorKind": str(event.actor_kind),
        "actorId": event.actor_id,
        "actorKey": actor_key(event.actor_kind, event.actor_id),
        # An empty map is dropped: absent reads back as {}.
        "detail": event.detail or None,
    }


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
        category=AuditCategory(item.get("category", AuditCategory.OTHER)),
    )


def new_audit_event(
    *,
    subject_id: str,
    action: str,
    actor_kind: AccountKind,
    actor_id: str,
    detail: dict[str, str] | None = None,
    category: AuditCategory | None = None,
) -> AuditEvent:
    """An event not written yet. ``detail`` holds ids and labels, never health data.

    The category defaults to the one the action's name is filed under
    (``portal.domain.audit_category_for``).
    """
    return AuditEvent(
        subject_id=subject_id,
        # The clock, not the ULID's time: ULIDs of one process only ever increase,
        # so after a clock step backwards they would date events in the future.
        occurred_at=utcnow(),
        event_id=new_id(),
        action=action,
        actor_kind=actor_kind,
        actor_id=actor_id,
        detail=detail or {},
        category=category or audit_category_for(action),
    )


def audit_put(event: AuditEvent) -> TransactPut:
    """The event as one operation of a transaction, so a change and its record land together."""
    return TransactPut(AUDIT_LOG, _to_item(event), Attr("categoryAt").not_exists())


class AuditRepository(Repository):
    def record(
        self,
        *,
        subject_id: str,
        action: str,
        actor_kind: AccountKind,
        actor_id: str,
        detail: dict[str, str] | None = None,
        category: AuditCategory | None = None,
    ) -> AuditEvent:
        """Append an event (see ``new_audit_event``)."""
        event = new_audit_event(
            subject_id=subject_id,
            action=action,
            actor_kind=actor_kind,
            actor_id=actor_id,
            detail=detail,
            category=category,
        )
        return self.write(event)

    def write(self, event: AuditEvent) -> AuditEvent:
        """Store an event made by ``new_audit_event``."""
        self.db.put(
            AUDIT_LOG, _to_item(event), condition=Attr("categoryAt").not_exists(), token=new_request_token()
        )
        return event

    def list_for_subject(
        self,
        subject_id: str,
        *,
        category: AuditCategory | None = None,
        action: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[AuditEvent]:
        """One subject's events, newest first: one Query.

        With ``category`` (or an ``action``, which names its category) it is one
        key condition on the table's sort key; without, the subject's whole
        history through the time index. Pages are full whatever else the
        subject collects.
        """
        if action is not None:
            category = audit_category_for(action)
        if category is None:
            return query_page(
                self.db,
                AUDIT_LOG,
                Key("subjectId").eq(subject_id),
                index=_BY_TIME,
                limit=limit,
                forward=False,
                scope=f"audit.subject:{subject_id}",
                cursor=cursor,
                convert=_from_item,
            )
        return query_page(
            self.db,
            AUDIT_LOG,
            Key("subjectId").eq(subject_id) & Key("categoryAt").begins_with(f"{category}#"),
            limit=limit,
            forward=False,
            scope=f"audit.subject:{subject_id}:{category}",
            cursor=cursor,
            convert=_from_item,
        )

    def list_by_actor(
        self,
        kind: AccountKind | str,
        actor_id: str,
        *,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[AuditEvent]:
        """What one person did, newest first: one Query of the actor index."""
        key = actor_key(kind, actor_id)
        return query_page(
            self.db,
            AUDIT_LOG,
            Key("actorKey").eq(key),
            index=_BY_ACTOR,
            limit=limit,
            forward=False,
            scope=f"audit.actor:{key}",
            cursor=cursor,
            convert=_from_item,
        )

    def list_by_day(
        self, day: date, *, limit: int = 20, cursor: str | None = None
    ) -> Page[AuditEvent]:
        """Everything recorded on one UTC day, newest first: one Query of each of the day's
        partitions in the day index (its shards and the bare day), a fixed number whatever the day held."""
        text = day.isoformat()
        return query_day_page(
            self.db,
            AUDIT_LOG,
            _BY_DAY,
            text,
            limit=clamp_limit(limit),
            scope=f"audit.day:{text}",
            cursor=cursor,
            convert=_from_item,
        )
