"""The ClinicalNotes table: a session's notes, addenda and correction requests.

Every write that touches a note item is conditional on the version it was
based on and on the note not being signed (``attribute_not_exists(signedAt)``),
so a signed note is refused by DynamoDB itself, whatever path the write took.
Addenda are put once (``attribute_not_exists``) already signed and never
updated. The clinical text is encrypted here, in ``_to_item`` and
``_from_item`` alone; the digest of a signed item is recomputed on every read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from portal.domain import AuditEvent, Conflict
from portal.dynamo.audit import audit_put
from portal.dynamo.base import Repository, clamp_limit
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
    TransactConditionCheck,
    TransactionCancelled,
    TransactPut,
    TransactUpdate,
    new_request_token,
)
from portal.dynamo.schema import CLINICAL_NOTES
from portal.note_domain import (
    Addendum,
    ClinicalNote,
    CorrectionRequest,
    CorrectionStatus,
    NoteKind,
    NoteSigned,
    NoteTemplate,
    SessionNotes,
    Signature,
    addendum_digest,
    note_digest,
)
from portal.timeutil import from_iso, maybe_from_iso, to_iso

_CORRECTIONS_DUE = "GSI_ClinicalNotes_CorrectionsDue"
# More than a session ever collects; one Query reads them all (1 MB is the only other bound).
_SESSION_ITEMS = 500
# What a listing of notes to sign needs: never the text.
_STATE_ATTRIBUTES = ("sessionId", "noteKey", "signedAt", "savedAt", "version")


def note_key(kind: NoteKind) -> str:
    return f"NOTE#{kind}"


def addendum_key(kind: NoteKind, addendum_id: str) -> str:
    return f"ADDENDUM#{kind}#{addendum_id}"


def correction_key(request_id: str) -> str:
    return f"CORRECTION#{request_id}"


def unsigned_write_condition(expected_version: int) -> ConditionBase:
    """The condition of every write to an existing note: the version read, and not signed."""
    return Attr("version").eq(expected_version) & Attr("signedAt").not_exists()


def _seal(owner: str, key: dict[str, str], field: str, text: str) -> str | None:
    return encrypt_optional(owner, field_context(CLINICAL_NOTES, key, field), text)


def _open(owner: str, item: Item, field: str) -> str:
    key = {"sessionId": item["sessionId"], "noteKey": item["noteKey"]}
    return decrypt_optional(owner, field_context(CLINICAL_NOTES, key, field), item.get(field))


def _record(item: Item) -> str:
    return record_key_owner(item["therapistId"], item["clientId"])


def _signature(item: Item) -> Signature | None:
    if "signedAt" not in item:
        return None
    return Signature(
        signer_id=item["signedBy"],
        signer_name=item.get("signerName", ""),
        signed_at=from_iso(item["signedAt"]),
        digest=item.get("digest", ""),
    )


# --- notes ---------------------------------------------------------------------------


def _sections_value(note: ClinicalNote) -> str | None:
    key = {"sessionId": note.session_id, "noteKey": note_key(note.kind)}
    owner = record_key_owner(note.therapist_id, note.client_id)
    return _seal(owner, key, "sections", json.dumps([[n, t] for n, t in note.sections], ensure_ascii=False))


def _note_values(note: ClinicalNote, *, at: datetime) -> dict[str, Any]:
    return {
        "therapistId": note.therapist_id,
        "clientId": note.client_id,
        "template": str(note.template),
        "sections": _sections_value(note),
        "savedAt": to_iso(at),
    }


def _note_from_item(item: Item) -> ClinicalNote:
    kind = NoteKind(item["noteKey"].split("#", 1)[1])
    raw = _open(_record(item), item, "sections")
    sections = tuple((str(n), str(t)) for n, t in json.loads(raw)) if raw else ()
    note = ClinicalNote(
        session_id=item["sessionId"],
        therapist_id=item["therapistId"],
        client_id=item["clientId"],
        kind=kind,
        template=NoteTemplate(item["template"]),
        sections=sections,
        version=int(Decimal(item.get("version", 1))),
        saved_at=maybe_from_iso(item.get("savedAt")),
        signature=_signature(item),
    )
    if note.signature is not None:
        expected = note_digest(
            session_id=note.session_id,
            kind=note.kind,
            template=note.template,
            sections=note.sections,
            signer_id=note.signature.signer_id,
            signed_at=note.signature.signed_at,
        )
        note = replace(note, altered=expected != note.signature.digest)
    return note


# --- addenda -------------------------------------------------------------------------


def _addendum_item(addendum: Addendum) -> dict[str, Any]:
    key = {"sessionId": addendum.session_id, "noteKey": addendum_key(addendum.kind, addendum.addendum_id)}
    owner = record_key_owner(addendum.therapist_id, addendum.client_id)
    return {
        **key,
        "therapistId": addendum.therapist_id,
        "clientId": addendum.client_id,
        "authorId": addendum.author_id,
        "authorName": addendum.author_name or None,
        "reason": _seal(owner, key, "reason", addendum.reason),
        "text": _seal(owner, key, "text", addendum.text),
        "requestId": addendum.request_id,
        "signedBy": addendum.signature.signer_id,
        "signerName": addendum.signature.signer_name or None,
        "signedAt": to_iso(addendum.signature.signed_at),
        "digest": addendum.signature.digest,
    }


def _addendum_from_item(item: Item) -> Addendum:
    _prefix, kind, addendum_id = item["noteKey"].split("#", 2)
    signature = _signature(item)
    assert signature is not None, "addenda are stored signed"
    addendum = Addendum(
        session_id=item["sessionId"],
        therapist_id=item["therapistId"],
        client_id=item["clientId"],
        kind=NoteKind(kind),
        addendum_id=addendum_id,
        author_id=item["authorId"],
        author_name=item.get("authorName", ""),
        reason=_open(_record(item), item, "reason"),
        text=_open(_record(item), item, "text"),
        signature=signature,
        request_id=item.get("requestId"),
    )
    expected = addendum_digest(
        session_id=addendum.session_id,
        kind=addendum.kind,
        addendum_id=addendum.addendum_id,
        author_id=addendum.author_id,
        reason=addendum.reason,
        text=addendum.text,
        request_id=addendum.request_id,
        signed_at=signature.signed_at,
    )
    return replace(addendum, altered=expected != signature.digest)


# --- correction requests ------------------------------------------------------------------


def _correction_item(request: CorrectionRequest) -> dict[str, Any]:
    key = {"sessionId": request.session_id, "noteKey": correction_key(request.request_id)}
    is_open = request.status is CorrectionStatus.OPEN
    return {
        **key,
        "therapistId": request.therapist_id,
        "clientId": request.client_id,
        # The client wrote it: the client's key.
        "text": _seal(client_key_owner(request.client_id), key, "text", request.text),
        "requestedAt": to_iso(request.requested_at),
        "status": str(request.status),
        "version": request.version,
        "openCorrectionTherapistId": request.therapist_id if is_open else None,
        "correctionDueAt": to_iso(request.due_at) if is_open else None,
    }


def _correction_from_item(item: Item) -> CorrectionRequest:
    client = client_key_owner(item["clientId"])
    return CorrectionRequest(
        session_id=item["sessionId"],
        therapist_id=item["therapistId"],
        client_id=item["clientId"],
        request_id=item["noteKey"].split("#", 1)[1],
        text=_open(client, item, "text"),
        requested_at=from_iso(item["requestedAt"]),
        status=CorrectionStatus(item["status"]),
        version=int(Decimal(item.get("version", 1))),
        answered_at=maybe_from_iso(item.get("answeredAt")),
        decline_reason=_open(_record(item), item, "declineReason"),
        addendum_id=item.get("addendumId"),
        statement=_open(client, item, "statement"),
        statement_at=maybe_from_iso(item.get("statementAt")),
    )


def _key_owners(items: Sequence[Item]) -> list[str]:
    owners: list[str] = []
    for item in items:
        owners.append(_record(item))
        if item["noteKey"].startswith("CORRECTION#"):
            owners.append(client_key_owner(item["clientId"]))
    return owners


def _from_items(session_id: str, items: Sequence[Item]) -> SessionNotes:
    notes: dict[NoteKind, ClinicalNote] = {}
    addenda: list[Addendum] = []
    corrections: list[CorrectionRequest] = []
    with data_key_scope() as ring:
        ring.prefetch(_key_owners(items))
        for item in items:
            prefix = item["noteKey"].split("#", 1)[0]
            if prefix == "NOTE":
                note = _note_from_item(item)
                notes[note.kind] = note
            elif prefix == "ADDENDUM":
                addenda.append(_addendum_from_item(item))
            elif prefix == "CORRECTION":
                corrections.append(_correction_from_item(item))
    # The sort key orders each kind by its ULID: the order they were written.
    return SessionNotes(session_id=session_id, notes=notes, addenda=tuple(addenda), corrections=tuple(corrections))


class ClinicalNoteRepository(Repository):
    def for_session(self, session_id: str) -> SessionNotes:
        """Everything stored under a session: one consistent Query."""
        result = self.db.query(CLINICAL_NOTES, Key("sessionId").eq(session_id), limit=_SESSION_ITEMS, consistent=True)
        return _from_items(session_id, result.items)

    def get_note(self, session_id: str, kind: NoteKind) -> ClinicalNote | None:
        item = self.db.get(CLINICAL_NOTES, {"sessionId": session_id, "noteKey": note_key(kind)}, consistent=True)
        if item is None:
            return None
        with data_key_scope() as ring:
            ring.prefetch([_record(item)])
            return _note_from_item(item)

    def save_draft(self, note: ClinicalNote, *, expected_version: int, at: datetime) -> ClinicalNote:
        """Autosave: one conditional write. Conflict when another tab saved first; NoteSigned once signed.

        ``expected_version`` 0 creates the note (never over an existing one).
        """
        key = {"sessionId": note.session_id, "noteKey": note_key(note.kind)}
        values = {**_note_values(note, at=at), "version": expected_version + 1}
        try:
            if expected_version == 0:
                self.db.put(
                    CLINICAL_NOTES,
                    {**key, **values},
                    condition=Attr("noteKey").not_exists(),
                    # A retry of an autosave that landed is that save, not "another tab".
                    token=new_request_token(),
                )
            else:
                self.db.update(
                    CLINICAL_NOTES,
                    key,
                    set_values=values,
                    condition=unsigned_write_condition(expected_version),
                    token=new_request_token(),
                )
        except Conflict:
            self._refused(note)
        return replace(note, version=expected_version + 1, saved_at=at, signature=None)

    def sign(
        self,
        note: ClinicalNote,
        *,
        expected_version: int,
        signer_id: str,
        signer_name: str,
        at: datetime,
        audit: AuditEvent,
    ) -> ClinicalNote:
        """Save the note's last text and sign it, with its audit event, in one transaction."""
        digest = note_digest(
            session_id=note.session_id,
            kind=note.kind,
            template=note.template,
            sections=note.sections,
            signer_id=signer_id,
            signed_at=at,
        )
        key = {"sessionId": note.session_id, "noteKey": note_key(note.kind)}
        values = {
            **_note_values(note, at=at),
            "version": expected_version + 1,
            "signedBy": signer_id,
            "signerName": signer_name or None,
            "signedAt": to_iso(at),
            "digest": digest,
        }
        write: TransactPut | TransactUpdate
        if expected_version == 0:
            write = TransactPut(CLINICAL_NOTES, {**key, **values}, Attr("noteKey").not_exists())
        else:
            write = TransactUpdate(
                CLINICAL_NOTES, key, set_values=values, condition=unsigned_write_condition(expected_version)
            )
        try:
            self.db.transact_write([write, audit_put(audit)])
        except TransactionCancelled as exc:
            if not exc.condition_failed:
                raise
            self._refused(note)
        signature = Signature(signer_id=signer_id, signer_name=signer_name, signed_at=at, digest=digest)
        return replace(note, version=expected_version + 1, saved_at=at, signature=signature)

    def _refused(self, note: ClinicalNote) -> None:
        current = self.get_note(note.session_id, note.kind)
        if current is not None and current.signed:
            raise NoteSigned() from None
        raise Conflict("This note was saved elsewhere (another tab or device) since you opened it.") from None

    def add_addendum(
        self,
        addendum: Addendum,
        *,
        audit: AuditEvent,
        answers: CorrectionRequest | None = None,
        answered_at: datetime | None = None,
    ) -> Addendum:
        """Store a signed addendum with its audit event; when it ``answers`` a correction request,
        that request is accepted in the same transaction (only if still open)."""
        operations: list[TransactPut | TransactUpdate | TransactConditionCheck] = [
            TransactPut(CLINICAL_NOTES, _addendum_item(addendum), Attr("noteKey").not_exists()),
            # The note it adds to must be signed: an addendum never stands beside a draft.
            TransactConditionCheck(
                CLINICAL_NOTES,
                {"sessionId": addendum.session_id, "noteKey": note_key(addendum.kind)},
                Attr("signedAt").exists(),
            ),
            audit_put(audit),
        ]
        if answers is not None:
            operations.append(
                TransactUpdate(
                    CLINICAL_NOTES,
                    {"sessionId": answers.session_id, "noteKey": correction_key(answers.request_id)},
                    set_values={
                        "status": str(CorrectionStatus.ACCEPTED),
                        "answeredAt": to_iso(answered_at or addendum.created_at),
                        "addendumId": addendum.addendum_id,
                        "version": answers.version + 1,
                    },
                    remove=("openCorrectionTherapistId", "correctionDueAt"),
                    condition=Attr("status").eq(str(CorrectionStatus.OPEN)) & Attr("version").eq(answers.version),
                )
            )
        try:
            self.db.transact_write(operations)
        except TransactionCancelled as exc:
            if not exc.condition_failed:
                raise
            if exc.reasons[1:2] == ["ConditionalCheckFailed"]:
                raise Conflict("Only a signed note takes an addendum.") from None
            raise Conflict("This request was answered elsewhere since you opened it.") from None
        return addendum

    # --- correction requests ---------------------------------------------------------

    def create_correction(self, request: CorrectionRequest, *, audit: AuditEvent) -> CorrectionRequest:
        item = _correction_item(request)
        try:
            self.db.transact_write([TransactPut(CLINICAL_NOTES, item, Attr("noteKey").not_exists()), audit_put(audit)])
        except TransactionCancelled as exc:
            if not exc.condition_failed:
                raise
            raise Conflict("This request was already sent.") from None
        return request

    def decline_correction(
        self, request: CorrectionRequest, *, reason: str, at: datetime, audit: AuditEvent
    ) -> CorrectionRequest:
        key = {"sessionId": request.session_id, "noteKey": correction_key(request.request_id)}
        owner = record_key_owner(request.therapist_id, request.client_id)
        try:
            self.db.transact_write(
                [
                    TransactUpdate(
                        CLINICAL_NOTES,
                        key,
                        set_values={
                            "status": str(CorrectionStatus.DECLINED),
                            "answeredAt": to_iso(at),
                            "declineReason": _seal(owner, key, "declineReason", reason),
                            "version": request.version + 1,
                        },
                        remove=("openCorrectionTherapistId", "correctionDueAt"),
                        condition=Attr("status").eq(str(CorrectionStatus.OPEN)) & Attr("version").eq(request.version),
                    ),
                    audit_put(audit),
                ]
            )
        except TransactionCancelled as exc:
            if not exc.condition_failed:
                raise
            raise Conflict("This request was answered elsewhere since you opened it.") from None
        return replace(
            request,
            status=CorrectionStatus.DECLINED,
            answered_at=at,
            decline_reason=reason,
            version=request.version + 1,
        )

    def add_statement(
        self, request: CorrectionRequest, *, statement: str, at: datetime, audit: AuditEvent
    ) -> CorrectionRequest:
        """The client's statement of disagreement with a declined request: once, kept for good."""
        key = {"sessionId": request.session_id, "noteKey": correction_key(request.request_id)}
        try:
            self.db.transact_write(
                [
                    TransactUpdate(
                        CLINICAL_NOTES,
                        key,
                        set_values={
                            "statement": _seal(client_key_owner(request.client_id), key, "statement", statement),
                            "statementAt": to_iso(at),
                            "version": request.version + 1,
                        },
                        condition=Attr("status").eq(str(CorrectionStatus.DECLINED)) & Attr("statement").not_exists(),
                    ),
                    audit_put(audit),
                ]
            )
        except TransactionCancelled as exc:
            if not exc.condition_failed:
                raise
            raise Conflict("A statement is already kept with this request.") from None
        return replace(request, statement=statement, statement_at=at, version=request.version + 1)

    def corrections_due(self, therapist_id: str, *, limit: int = 20) -> list[CorrectionRequest]:
        """A therapist's open correction requests, soonest due first: one Query of the sparse index
        (the keys only: the requests' text is clinical), then one BatchGetItem of the requests."""
        result = self.db.query(
            CLINICAL_NOTES,
            Key("openCorrectionTherapistId").eq(therapist_id),
            index=_CORRECTIONS_DUE,
            limit=clamp_limit(limit),
        )
        if not result.items:
            return []
        keys = [{"sessionId": i["sessionId"], "noteKey": i["noteKey"]} for i in result.items]
        found = {(i["sessionId"], i["noteKey"]): i for i in self.db.batch_get(CLINICAL_NOTES, keys)}
        # In the index's order; a request answered since the Query is no longer due.
        items = [
            item
            for key in keys
            if (item := found.get((key["sessionId"], key["noteKey"]))) is not None
            and item.get("openCorrectionTherapistId") == therapist_id
        ]
        with data_key_scope() as ring:
            ring.prefetch(client_key_owner(item["clientId"]) for item in items)
            return [_correction_from_item(item) for item in items]

    def signed_states(self, session_ids: Sequence[str], kind: NoteKind) -> dict[str, bool]:
        """Whether each session's note of ``kind`` is signed: one BatchGetItem, no text read."""
        if not session_ids:
            return {}
        items = self.db.batch_get(
            CLINICAL_NOTES,
            [{"sessionId": sid, "noteKey": note_key(kind)} for sid in dict.fromkeys(session_ids)],
            consistent=True,
            attributes=_STATE_ATTRIBUTES,
        )
        signed = {item["sessionId"]: "signedAt" in item for item in items}
        return {sid: signed.get(sid, False) for sid in session_ids}
