"""The Measures table: assignments, results and safety alerts under the client's partition.

schema.py (MEASURES) says what each sort key prefix holds and why the two
sparse indexes exist. Answers, totals and acknowledgement notes are clinical:
each is encrypted under the client's key with the item's key as associated data
(portal/dynamo/field_crypto.py), so a raw copy of the table shows that a
questionnaire was filled in and when, never what it said or scored.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import AuditEvent, Conflict, NotFound, Page
from portal.domain_measures import MeasureAlert, MeasureAssignment, MeasureKind, MeasureResult, Schedule
from portal.dynamo.audit import audit_put
from portal.dynamo.base import Repository, clamp_limit, query_page
from portal.dynamo.field_crypto import client_key_owner, data_key_scope, decrypt_text, encrypt_text, field_context
from portal.dynamo.gateway import (
    Item,
    TransactionCancelled,
    TransactOp,
    TransactPut,
    TransactUpdate,
    busy_database,
)
from portal.dynamo.idempotency import claim_key, claimed_target, create_once
from portal.dynamo.schema import MEASURES
from portal.timeutil import from_iso, maybe_from_iso, to_iso

REMINDERS_DUE = "GSI_Measures_RemindersDue"
OPEN_ALERTS = "GSI_Measures_OpenAlerts"
# The one partition of the sparse reminders index (see schema.py for why one is enough).
REMINDER_PARTITION = "due"
SORT = "measureKey"


def assignment_key(client_id: str, measure: MeasureKind, therapist_id: str) -> dict[str, str]:
    return {"clientId": client_id, SORT: f"ASSIGN#{measure}#{therapist_id}"}


def result_key(client_id: str, measure: MeasureKind, result_id: str) -> dict[str, str]:
    # Result ids are ULIDs, made at submission: their order is the order in time.
    return {"clientId": client_id, SORT: f"RESULT#{measure}#{result_id}"}


def alert_key(client_id: str, result_id: str) -> dict[str, str]:
    return {"clientId": client_id, SORT: f"ALERT#{result_id}"}


# --- assignments -----------------------------------------------------------------


def _assignment_item(a: MeasureAssignment) -> dict[str, Any]:
    return {
        **assignment_key(a.client_id, a.measure, a.therapist_id),
        "therapistId": a.therapist_id,
        "measure": str(a.measure),
        "schedule": str(a.schedule),
        "anchorAt": to_iso(a.anchor_at),
        "timeZone": a.time_zone,
        "assignedAt": to_iso(a.assigned_at),
        "lastDoneAt": to_iso(a.last_done_at) if a.last_done_at else None,
        **reminder_attributes(a.remind_at, a.reminder_window),
    }


def reminder_attributes(remind_at: datetime | None, window: datetime | None) -> dict[str, str | None]:
    """The attributes that put an assignment in the reminders index (all None: out of it)."""
    if remind_at is None:
        return {"reminderKey": None, "remindAt": None, "reminderWindow": None}
    return {
        "reminderKey": REMINDER_PARTITION,
        "remindAt": to_iso(remind_at),
        "reminderWindow": to_iso(window) if window else None,
    }


def _assignment(item: Item) -> MeasureAssignment:
    return MeasureAssignment(
        client_id=item["clientId"],
        therapist_id=item["therapistId"],
        measure=MeasureKind(item["measure"]),
        schedule=Schedule(item["schedule"]),
        anchor_at=from_iso(item["anchorAt"]),
        time_zone=item["timeZone"],
        assigned_at=from_iso(item["assignedAt"]),
        last_done_at=maybe_from_iso(item.get("lastDoneAt")),
        remind_at=maybe_from_iso(item.get("remindAt")),
        reminder_window=maybe_from_iso(item.get("reminderWindow")),
    )


# --- results -----------------------------------------------------------------------


def _result_context(key: dict[str, str]) -> str:
    return field_context(MEASURES, key, "answers")


def _result_item(r: MeasureResult) -> dict[str, Any]:
    key = result_key(r.client_id, r.measure, r.result_id)
    # Answers, the difficulty and the total travel as one ciphertext: none is readable alone.
    payload = json.dumps({"answers": list(r.answers), "difficulty": r.difficulty, "total": r.total})
    return {
        **key,
        "measure": str(r.measure),
        "resultId": r.result_id,
        "submittedAt": to_iso(r.submitted_at),
        "therapistId": r.therapist_id,
        "answers": encrypt_text(client_key_owner(r.client_id), _result_context(key), payload),
    }


def _result(item: Item) -> MeasureResult:
    client_id = item["clientId"]
    key = {"clientId": client_id, SORT: item[SORT]}
    payload = json.loads(decrypt_text(client_key_owner(client_id), _result_context(key), item["answers"]))
    return MeasureResult(
        client_id=client_id,
        measure=MeasureKind(item["measure"]),
        result_id=item["resultId"],
        submitted_at=from_iso(item["submittedAt"]),
        therapist_id=item["therapistId"],
        answers=tuple(int(v) for v in payload["answers"]),
        total=int(payload["total"]),
        difficulty=None if payload.get("difficulty") is None else int(payload["difficulty"]),
    )


# --- alerts ------------------------------------------------------------------------------


def _alert_item(alert: MeasureAlert) -> dict[str, Any]:
    return {
        **alert_key(alert.client_id, alert.result_id),
        "resultId": alert.result_id,
        "therapistId": alert.therapist_id,
        "createdAt": to_iso(alert.created_at),
        # The sparse index of open alerts: removed by the acknowledgement.
        "openAlertTherapistId": alert.therapist_id,
        "alertAt": to_iso(alert.created_at),
        # In the due-notices index until its email is claimed.
        "reminderKey": REMINDER_PARTITION,
        "remindAt": to_iso(alert.created_at),
    }


def _alert(item: Item) -> MeasureAlert:
    # The note is never read here: staff and lists see that an alert was acknowledged, not what was done.
    return MeasureAlert(
        client_id=item["clientId"],
        result_id=item["resultId"],
        therapist_id=item["therapistId"],
        created_at=from_iso(item["createdAt"]),
        acknowledged_at=maybe_from_iso(item.get("acknowledgedAt")),
        acknowledged_by=item.get("acknowledgedBy"),
    )


_ALERT_ATTRIBUTES = ("clientId", SORT, "resultId", "therapistId", "createdAt", "acknowledgedAt", "acknowledgedBy")


class MeasureRepository(Repository):
    # --- assignments ---

    def put_assignment(self, assignment: MeasureAssignment) -> MeasureAssignment:
        """Assign (or assign again, replacing the previous schedule): PutItem."""
        self.db.put(MEASURES, _assignment_item(assignment))
        return assignment

    def delete_assignment(self, client_id: str, measure: MeasureKind, therapist_id: str) -> bool:
        """Stop a measure; False when it was not assigned."""
        return self.db.delete_existing(MEASURES, assignment_key(client_id, measure, therapist_id))

    def get_assignment(self, client_id: str, measure: MeasureKind, therapist_id: str) -> MeasureAssignment | None:
        item = self.db.get(MEASURES, assignment_key(client_id, measure, therapist_id), consistent=True)
        return _assignment(item) if item else None

    def list_assignments(self, client_id: str) -> list[MeasureAssignment]:
        """Every measure assigned to the client, by any therapist: one consistent Query."""
        result = self.db.query(
            MEASURES,
            Key("clientId").eq(client_id) & Key(SORT).begins_with("ASSIGN#"),
            limit=100,
            consistent=True,
        )
        return [_assignment(item) for item in result.items]

    # --- results ---

    def submit_once(
        self,
        result: MeasureResult,
        *,
        idempotency_key: str,
        assignment_changes: dict[str, Any],
        alert: MeasureAlert | None,
    ) -> tuple[MeasureResult, bool]:
        """Store a result, the assignment's new state and any alert in one transaction, once per form key.

        Refused (NotFound) when the assignment was stopped meanwhile: a stopped
        measure takes no more answers.
        """
        key = result_key(result.client_id, result.measure, result.result_id)
        operations: list[TransactOp] = [
            TransactPut(MEASURES, _result_item(result), Attr(SORT).not_exists()),
            TransactUpdate(
                MEASURES,
                assignment_key(result.client_id, result.measure, result.therapist_id),
                set_values=assignment_changes,
                condition=Attr(SORT).exists(),
            ),
        ]
        if alert is not None:
            operations.append(TransactPut(MEASURES, _alert_item(alert), Attr(SORT).not_exists()))
        try:
            return create_once(
                self.db,
                key=claim_key("measure", result.client_id, idempotency_key),
                target=key,
                operations=operations,
                created=result,
                load=self._load_result,
            )
        except TransactionCancelled as exc:
            if exc.busy:
                raise busy_database(exc) from exc
            # The claim passed, so the assignment's condition is what failed: stopped meanwhile.
            raise NotFound("This questionnaire was stopped by your therapist.") from None

    def submitted_with(self, client_id: str, idempotency_key: str) -> MeasureResult | None:
        """The result an earlier sending of this form stored, if any (a consistent read of its claim)."""
        target = claimed_target(self.db, claim_key("measure", client_id, idempotency_key))
        return self._load_result(target) if target else None

    def _load_result(self, key: dict[str, Any]) -> MeasureResult | None:
        item = self.db.get(MEASURES, key, consistent=True)
        return _result(item) if item else None

    def get_result(self, client_id: str, measure: MeasureKind, result_id: str) -> MeasureResult | None:
        item = self.db.get(MEASURES, result_key(client_id, measure, result_id), consistent=True)
        return _result(item) if item else None

    def list_results(self, client_id: str, measure: MeasureKind, *, limit: int = 100) -> list[MeasureResult]:
        """A client's latest ``limit`` results for one measure, oldest first: one consistent Query."""
        return self.recent_results(client_id, measure, limit=limit)[0]

    def recent_results(
        self, client_id: str, measure: MeasureKind, *, limit: int = 100
    ) -> tuple[list[MeasureResult], MeasureResult | None]:
        """The latest ``limit`` results, oldest first, and the very first result when it is not among them.

        One consistent Query, newest first; a second (of one item) only when
        more results exist than are shown, because change is measured from the first.
        """
        prefix = Key("clientId").eq(client_id) & Key(SORT).begins_with(f"RESULT#{measure}#")
        limit = clamp_limit(limit)
        result = self.db.query(MEASURES, prefix, limit=limit + 1, consistent=True, forward=False)
        with data_key_scope():
            shown = [_result(item) for item in reversed(result.items[:limit])]
            first: MeasureResult | None = None
            if len(result.items) > limit:
                oldest = self.db.query(MEASURES, prefix, limit=1, consistent=True, forward=True)
                first = _result(oldest.items[0]) if oldest.items else None
        return shown, first

    def page_results(self, client_id: str, *, limit: int = 100, cursor: str | None = None) -> Page[MeasureResult]:
        """Every result of the client, measure by measure and by time, a page at a time (the export)."""
        return query_page(
            self.db,
            MEASURES,
            Key("clientId").eq(client_id) & Key(SORT).begins_with("RESULT#"),
            limit=limit,
            scope=f"measures.results:{client_id}",
            cursor=cursor,
            convert=_result,
            consistent=True,
        )

    # --- reminders ---

    def reminders_due(self, now: datetime, *, limit: int = 100) -> list[MeasureAssignment]:
        """Assignments whose reminder is due (see ``notices_due``)."""
        return self.notices_due(now, limit=limit)[0]

    def notices_due(self, now: datetime, *, limit: int = 100) -> tuple[list[MeasureAssignment], list[MeasureAlert]]:
        """Assignments whose reminder is due, and alerts whose email is not sent yet: one Query of the sparse index.

        An alert enters the index with its result (in the same transaction) and
        leaves it when its email is claimed, so an email that failed is sent by
        the next run: the follow-up never depends on the request that raised it.
        """
        result = self.db.query(
            MEASURES,
            Key("reminderKey").eq(REMINDER_PARTITION) & Key("remindAt").lte(to_iso(now)),
            index=REMINDERS_DUE,
            limit=clamp_limit(limit),
        )
        assignments = [_assignment(i) for i in result.items if i[SORT].startswith("ASSIGN#")]
        alerts = [_alert(i) for i in result.items if i[SORT].startswith("ALERT#")]
        return assignments, alerts

    def claim_reminder(
        self, assignment: MeasureAssignment, *, next_remind_at: datetime | None, next_window: datetime | None
    ) -> bool:
        """Move the reminder on (or out of the index) if it is still the one read: only one run sends it."""
        if assignment.remind_at is None:
            return False
        try:
            self.db.update(
                MEASURES,
                assignment_key(assignment.client_id, assignment.measure, assignment.therapist_id),
                set_values=reminder_attributes(next_remind_at, next_window),
                condition=Attr("remindAt").eq(to_iso(assignment.remind_at)),
            )
        except Conflict:
            return False
        return True

    def set_reminder(self, assignment: MeasureAssignment, remind_at: datetime | None, window: datetime | None) -> bool:
        """Put the assignment's next reminder (False when it was stopped meanwhile)."""
        try:
            self.db.update(
                MEASURES,
                assignment_key(assignment.client_id, assignment.measure, assignment.therapist_id),
                set_values=reminder_attributes(remind_at, window),
                condition=Attr(SORT).exists(),
            )
        except Conflict:
            return False
        return True

    def unclaim_reminder(self, assignment: MeasureAssignment) -> None:
        """Put a reminder whose email failed back, so the next run tries again."""
        try:
            self.db.update(
                MEASURES,
                assignment_key(assignment.client_id, assignment.measure, assignment.therapist_id),
                set_values=reminder_attributes(assignment.remind_at, assignment.reminder_window),
                condition=Attr(SORT).exists(),
            )
        except Conflict:
            pass  # stopped meanwhile: nothing to remind of

    # --- alerts ---

    def list_alerts(self, client_id: str, *, limit: int = 50) -> list[MeasureAlert]:
        """The client's alerts (without notes), newest first: one consistent Query."""
        result = self.db.query(
            MEASURES,
            Key("clientId").eq(client_id) & Key(SORT).begins_with("ALERT#"),
            limit=clamp_limit(limit),
            consistent=True,
            forward=False,
            projection=_ALERT_ATTRIBUTES,
        )
        return [_alert(item) for item in result.items]

    def open_alerts_for_therapist(self, therapist_id: str, *, limit: int = 50) -> list[MeasureAlert]:
        """The therapist's unacknowledged alerts, oldest first: one Query of the sparse index."""
        result = self.db.query(
            MEASURES,
            Key("openAlertTherapistId").eq(therapist_id),
            index=OPEN_ALERTS,
            limit=clamp_limit(limit),
        )
        return [_alert(item) for item in result.items]

    def claim_alert_email(self, client_id: str, result_id: str, at: datetime) -> bool:
        """Mark the alert's email as sent, once (out of the due index): True for the one caller that may send it."""
        try:
            self.db.update(
                MEASURES,
                alert_key(client_id, result_id),
                set_values={"emailedAt": to_iso(at), "reminderKey": None, "remindAt": None},
                condition=Attr(SORT).exists() & Attr("emailedAt").not_exists(),
            )
        except Conflict:
            return False
        return True

    def unclaim_alert_email(self, client_id: str, result_id: str, created_at: datetime) -> None:
        """Back in the due index after a failed email: the next ``send_due_notices`` run sends it."""
        self.db.update(
            MEASURES,
            alert_key(client_id, result_id),
            set_values={"emailedAt": None, "reminderKey": REMINDER_PARTITION, "remindAt": to_iso(created_at)},
            condition=Attr(SORT).exists(),
        )

    def acknowledge_alert(
        self,
        *,
        client_id: str,
        result_id: str,
        therapist_id: str,
        at: datetime,
        note: str,
        audit: AuditEvent,
    ) -> MeasureAlert:
        """Acknowledge an open alert of this therapist with a note, and its audit event, in one transaction.

        NotFound when there is no such open alert of theirs (acknowledged already, or someone else's).
        """
        key = alert_key(client_id, result_id)
        context = field_context(MEASURES, key, "note")
        try:
            self.db.transact_write(
                [
                    TransactUpdate(
                        MEASURES,
                        key,
                        set_values={
                            "acknowledgedAt": to_iso(at),
                            "acknowledgedBy": therapist_id,
                            "note": encrypt_text(client_key_owner(client_id), context, note),
                            "openAlertTherapistId": None,
                            "alertAt": None,
                        },
                        condition=Attr("openAlertTherapistId").eq(therapist_id),
                    ),
                    audit_put(audit),
                ]
            )
        except TransactionCancelled as exc:
            if exc.busy:
                raise busy_database(exc) from exc
            raise NotFound("No such alert waiting for you.") from None
        item = self.db.get(MEASURES, key, consistent=True)
        if item is None:
            raise NotFound("No such alert.")
        return _alert(item)

    def alert_note(self, client_id: str, result_id: str) -> str:
        """The acknowledgement's note (for the therapist who wrote it)."""
        key = alert_key(client_id, result_id)
        item = self.db.get(MEASURES, key, consistent=True)
        if item is None or not item.get("note"):
            return ""
        return decrypt_text(client_key_owner(client_id), field_context(MEASURES, key, "note"), item["note"])

    # --- erasure ---

    def delete_all_for_client(self, client_id: str) -> int:
        """Delete every measure item of the client (assignments, results, alerts); safe to run again."""
        keys: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            page = self.db.query(
                MEASURES,
                Key("clientId").eq(client_id),
                limit=100,
                consistent=True,
                start_key=start,
                projection=("clientId", SORT),
            )
            keys.extend({"clientId": i["clientId"], SORT: i[SORT]} for i in page.items)
            if not page.last_key:
                break
            start = page.last_key
        self.db.batch_delete(MEASURES, keys)
        return len(keys)


def new_assignment_changes(
    *, last_done_at: datetime, remind_at: datetime | None, window: datetime | None
) -> dict[str, Any]:
    """What a submission changes on its assignment: when it was last done and the next reminder."""
    return {"lastDoneAt": to_iso(last_done_at), **reminder_attributes(remind_at, window)}
