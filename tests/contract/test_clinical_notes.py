"""ClinicalNoteRepository: a session's notes in their own items, drafts under optimistic locking,
signing refused by DynamoDB's own condition afterwards, the digest catching an altered item,
addenda in order, and correction requests with their sparse "due" index."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from boto3.dynamodb.conditions import Attr

from portal.domain import AccountKind, Conflict
from portal.dynamo import schema
from portal.dynamo.audit import AuditRepository, new_audit_event
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.clinical_notes import (
    ClinicalNoteRepository,
    correction_key,
    note_key,
    unsigned_write_condition,
)
from portal.dynamo.field_crypto import encrypt_text, field_context, record_key_owner
from portal.dynamo.gateway import DynamoGateway
from portal.ids import new_id
from portal.note_domain import (
    Addendum,
    ClinicalNote,
    CorrectionRequest,
    CorrectionStatus,
    NoteKind,
    NoteSigned,
    NoteTemplate,
    Signature,
    addendum_digest,
)
from portal.timeutil import to_iso

AT = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
MARKER = "okapi-marker-5521"


def _note(**overrides: object) -> ClinicalNote:
    values: dict[str, object] = {
        "session_id": new_id(),
        "therapist_id": new_id(),
        "client_id": new_id(),
        "kind": NoteKind.PROGRESS,
        "template": NoteTemplate.SOAP,
        "sections": (("subjective", f"Slept badly {MARKER}"), ("objective", ""), ("assessment", ""), ("plan", "")),
    }
    values.update(overrides)
    return ClinicalNote(**values)  # type: ignore[arg-type]


def _event(note: ClinicalNote, action: str = "session.note.signed") -> object:
    return new_audit_event(
        subject_id=note.client_id,
        action=action,
        actor_kind=AccountKind.THERAPIST,
        actor_id=note.therapist_id,
        detail={"session": note.session_id},
    )


def _signed(repo: ClinicalNoteRepository, note: ClinicalNote) -> ClinicalNote:
    draft = repo.save_draft(note, expected_version=0, at=AT)
    return repo.sign(
        draft,
        expected_version=draft.version,
        signer_id=note.therapist_id,
        signer_name="Dr Ada",
        at=AT,
        audit=_event(note),  # type: ignore[arg-type]
    )


def _addendum(note: ClinicalNote, text: str, *, at: datetime, request_id: str | None = None) -> Addendum:
    addendum_id = new_id()
    digest = addendum_digest(
        session_id=note.session_id,
        kind=note.kind,
        addendum_id=addendum_id,
        author_id=note.therapist_id,
        reason="Date was wrong",
        text=text,
        request_id=request_id,
        signed_at=at,
    )
    return Addendum(
        session_id=note.session_id,
        therapist_id=note.therapist_id,
        client_id=note.client_id,
        kind=note.kind,
        addendum_id=addendum_id,
        author_id=note.therapist_id,
        author_name="Dr Ada",
        reason="Date was wrong",
        text=text,
        signature=Signature(note.therapist_id, "Dr Ada", at, digest),
        request_id=request_id,
    )


def _raw(dynamo: DynamoGateway, session_id: str, key: str) -> dict[str, object]:
    return dynamo.client.get_item(
        TableName=dynamo.table_name(schema.CLINICAL_NOTES),
        Key={"sessionId": {"S": session_id}, "noteKey": {"S": key}},
        ConsistentRead=True,
    )["Item"]


def test_it_saves_a_draft_encrypted_and_reads_a_session_in_one_query(dynamo: DynamoGateway) -> None:
    repo = ClinicalNoteRepository()
    note = _note()

    saved = repo.save_draft(note, expected_version=0, at=AT)

    assert saved.version == 1
    stored = repo.for_session(note.session_id).note(NoteKind.PROGRESS)
    assert stored is not None
    assert (stored.sections, stored.template, stored.signed, stored.saved_at) == (
        note.sections,
        NoteTemplate.SOAP,
        False,
        AT,
    )
    raw = _raw(dynamo, note.session_id, note_key(NoteKind.PROGRESS))
    assert MARKER not in json.dumps(raw)
    # Nothing of it is in the Session table: the agenda's indexes copy none of it.
    assert dynamo.client.scan(TableName=dynamo.table_name(schema.SESSIONS))["Count"] == 0


def test_it_keeps_two_tabs_from_overwriting_each_other(dynamo: DynamoGateway) -> None:
    repo = ClinicalNoteRepository()
    note = _note()
    first = repo.save_draft(note, expected_version=0, at=AT)
    tab_a = repo.save_draft(
        _note(**{**note.__dict__, "sections": (("subjective", "tab A"),)}), expected_version=first.version, at=AT
    )

    with pytest.raises(Conflict) as refused:
        repo.save_draft(
            _note(**{**note.__dict__, "sections": (("subjective", "tab B"),)}), expected_version=first.version, at=AT
        )

    assert not isinstance(refused.value, NoteSigned)
    with pytest.raises(Conflict):
        repo.save_draft(note, expected_version=0, at=AT)  # never a second first draft
    stored = repo.get_note(note.session_id, NoteKind.PROGRESS)
    assert stored is not None and stored.sections == (("subjective", "tab A"),) and stored.version == tab_a.version


def test_it_signs_with_a_readable_digest_and_an_audit_event(dynamo: DynamoGateway) -> None:
    repo = ClinicalNoteRepository()
    note = _note()

    signed = _signed(repo, note)

    stored = repo.get_note(note.session_id, NoteKind.PROGRESS)
    assert stored is not None and stored.signature is not None
    assert stored.signature == signed.signature
    assert (stored.signature.signer_id, stored.signature.signed_at, stored.altered) == (note.therapist_id, AT, False)
    raw = _raw(dynamo, note.session_id, note_key(NoteKind.PROGRESS))
    assert raw["digest"] == {"S": signed.signature.digest} and len(signed.signature.digest) == 64
    events = AuditRepository().list_for_subject(note.client_id, action="session.note.signed").items
    assert [e.detail for e in events] == [{"session": note.session_id}]


def test_it_refuses_every_write_to_a_signed_note_in_dynamodb_itself(dynamo: DynamoGateway) -> None:
    repo = ClinicalNoteRepository()
    note = _note()
    signed = _signed(repo, note)

    # The repository's own paths, with the current version (no check in Python could refuse them).
    with pytest.raises(NoteSigned):
        repo.save_draft(note, expected_version=signed.version, at=AT)
    with pytest.raises(NoteSigned):
        repo.sign(
            note,
            expected_version=signed.version,
            signer_id=note.therapist_id,
            signer_name="",
            at=AT,
            audit=_event(note),
        )  # type: ignore[arg-type]
    # A raw UpdateItem carrying the write condition, at the current version: DynamoDB refuses it.
    with pytest.raises(Conflict):
        dynamo.update(
            schema.CLINICAL_NOTES,
            {"sessionId": note.session_id, "noteKey": note_key(NoteKind.PROGRESS)},
            set_values={"template": "dap"},
            condition=unsigned_write_condition(signed.version),
        )
    stored = repo.get_note(note.session_id, NoteKind.PROGRESS)
    assert stored is not None and stored.sections == note.sections and stored.template is NoteTemplate.SOAP


def test_the_digest_detects_a_stored_item_altered_directly(dynamo: DynamoGateway) -> None:
    repo = ClinicalNoteRepository()
    note = _note()
    _signed(repo, note)
    key = {"sessionId": note.session_id, "noteKey": note_key(NoteKind.PROGRESS)}
    # Someone with the table and the key rewrites the text, well encrypted, behind the application.
    forged = encrypt_text(
        record_key_owner(note.therapist_id, note.client_id),
        field_context(schema.CLINICAL_NOTES, key, "sections"),
        json.dumps([["subjective", "Nothing to report"]]),
    )
    dynamo.update(schema.CLINICAL_NOTES, key, set_values={"sections": forged})

    stored = repo.get_note(note.session_id, NoteKind.PROGRESS)

    assert stored is not None and stored.altered


def test_the_digest_detects_a_changed_signing_time(dynamo: DynamoGateway) -> None:
    repo = ClinicalNoteRepository()
    note = _note()
    _signed(repo, note)
    key = {"sessionId": note.session_id, "noteKey": note_key(NoteKind.PROGRESS)}

    dynamo.update(schema.CLINICAL_NOTES, key, set_values={"signedAt": to_iso(AT - timedelta(days=1))})

    stored = repo.get_note(note.session_id, NoteKind.PROGRESS)
    assert stored is not None and stored.altered


def test_addenda_come_in_order_need_a_signed_note_and_never_change(dynamo: DynamoGateway) -> None:
    repo = ClinicalNoteRepository()
    note = _note()
    draft = repo.save_draft(note, expected_version=0, at=AT)
    with pytest.raises(Conflict):
        repo.add_addendum(_addendum(draft, "too early", at=AT), audit=_event(note, "session.note.addendum"))  # type: ignore[arg-type]
    repo.sign(
        draft, expected_version=draft.version, signer_id=note.therapist_id, signer_name="", at=AT, audit=_event(note)
    )  # type: ignore[arg-type]

    first = repo.add_addendum(
        _addendum(note, "first", at=AT + timedelta(hours=1)), audit=_event(note, "session.note.addendum")
    )  # type: ignore[arg-type]
    second = repo.add_addendum(
        _addendum(note, "second", at=AT + timedelta(hours=2)), audit=_event(note, "session.note.addendum")
    )  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        repo.add_addendum(first, audit=_event(note, "session.note.addendum"))  # type: ignore[arg-type]

    stored = repo.for_session(note.session_id)
    assert [a.text for a in stored.addenda_of(NoteKind.PROGRESS)] == ["first", "second"]
    assert [a.addendum_id for a in stored.addenda] == [first.addendum_id, second.addendum_id]
    assert not any(a.altered for a in stored.addenda)
    # A raw write to an addendum under the unsigned-write condition is refused too.
    with pytest.raises(Conflict):
        dynamo.update(
            schema.CLINICAL_NOTES,
            {"sessionId": note.session_id, "noteKey": f"ADDENDUM#progress#{first.addendum_id}"},
            set_values={"reason": "changed"},
            condition=Attr("signedAt").not_exists(),
        )


def _correction(note: ClinicalNote, at: datetime = AT) -> CorrectionRequest:
    return CorrectionRequest(
        session_id=note.session_id,
        therapist_id=note.therapist_id,
        client_id=note.client_id,
        request_id=new_id(),
        text=f"I never said that {MARKER}",
        requested_at=at,
    )


def test_a_correction_is_due_60_days_later_until_accepted_by_an_addendum(dynamo: DynamoGateway) -> None:
    repo = ClinicalNoteRepository()
    note = _note(kind=NoteKind.SHARED, template=NoteTemplate.SIMPLE, sections=(("note", "Shared text"),))
    _signed(repo, note)
    request = repo.create_correction(_correction(note), audit=_event(note, "session.correction.requested"))  # type: ignore[arg-type]

    due = repo.corrections_due(note.therapist_id)

    assert [(c.request_id, c.due_at) for c in due] == [(request.request_id, AT + timedelta(days=60))]
    assert MARKER not in json.dumps(_raw(dynamo, note.session_id, correction_key(request.request_id)))
    addendum = _addendum(note, "Corrected", at=AT + timedelta(days=1), request_id=request.request_id)
    repo.add_addendum(addendum, audit=_event(note, "session.note.addendum"), answers=request)  # type: ignore[arg-type]

    assert repo.corrections_due(note.therapist_id) == []
    stored = repo.for_session(note.session_id)
    assert [(c.status, c.addendum_id) for c in stored.corrections] == [
        (CorrectionStatus.ACCEPTED, addendum.addendum_id)
    ]
    assert stored.addenda[0].request_id == request.request_id
    # Answered once: accepting it again is refused.
    with pytest.raises(Conflict):
        repo.add_addendum(
            _addendum(note, "again", at=AT, request_id=request.request_id),
            audit=_event(note, "session.note.addendum"),  # type: ignore[arg-type]
            answers=request,
        )


def test_a_declined_correction_keeps_one_statement_of_disagreement(dynamo: DynamoGateway) -> None:
    repo = ClinicalNoteRepository()
    note = _note(kind=NoteKind.SHARED)
    request = repo.create_correction(_correction(note), audit=_event(note, "session.correction.requested"))  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        repo.add_statement(request, statement="too early", at=AT, audit=_event(note))  # type: ignore[arg-type]

    declined = repo.decline_correction(request, reason="The note is accurate", at=AT, audit=_event(note))  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        repo.decline_correction(request, reason="again", at=AT, audit=_event(note))  # type: ignore[arg-type]
    repo.add_statement(declined, statement="I disagree", at=AT, audit=_event(note))  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        repo.add_statement(declined, statement="Changed my mind", at=AT, audit=_event(note))  # type: ignore[arg-type]

    (stored,) = repo.for_session(note.session_id).corrections
    assert (stored.status, stored.decline_reason, stored.statement) == (
        CorrectionStatus.DECLINED,
        "The note is accurate",
        "I disagree",
    )
    assert repo.corrections_due(note.therapist_id) == []


def test_it_tells_which_sessions_have_a_signed_note_in_one_call(dynamo: DynamoGateway) -> None:
    repo = ClinicalNoteRepository()
    signed, draft = _note(), _note()
    _signed(repo, signed)
    repo.save_draft(draft, expected_version=0, at=AT)
    nothing = new_id()

    with count_dynamodb_calls() as calls:
        states = repo.signed_states([signed.session_id, draft.session_id, nothing], NoteKind.PROGRESS)

    assert states == {signed.session_id: True, draft.session_id: False, nothing: False}
    assert calls.total == 1
