"""Everything the product holds about a person, as one ZIP of JSON and CSV files.

A client's archive: profile, journal (with each entry's sharing state),
relationships, sessions with their shared notes, questionnaire results, the
signed session records with their addenda and correction requests, messages,
and who accessed their data. Private session notes are the therapist's alone
and are never in it. A therapist's archive: their profile, the notes they
wrote, and every signed note with its addenda, signature lines and digest.

The archive is built while it is sent, a page of each listing at a time, so
memory stays flat however large a journal is. If the database fails half-way,
the exception is let through: the server drops the connection, and the browser
reports a failed download (a ZIP has no last line that could say "incomplete").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from portal.domain import (
    FORMER_CLIENT,
    AccountKind,
    AuditEvent,
    Client,
    JournalEntry,
    Mapping,
    Message,
    NotFound,
    Page,
    Relationship,
    Therapist,
    TherapySession,
)
from portal.dynamo.audit import AuditRepository
from portal.dynamo.clients import ClientRepository
from portal.dynamo.field_crypto import data_key_scope
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.messages import MessageRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.therapists import TherapistRepository
from portal.note_domain import Addendum, ClinicalNote, CorrectionRequest, Signature
from portal.services import clinical_notes, measures
from portal.services.csv_safe import SafeCsvWriter
from portal.services.zip_stream import zip_stream
from portal.timeutil import to_iso, utcnow

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Rows read per DynamoDB call; tests lower it to reach later pages with little data.
EXPORT_PAGE_SIZE = 100
AUDIT_ACTION = "account.data_exported"


@dataclass(frozen=True)
class DataExport:
    filename: str
    chunks: Iterator[bytes]


def _iso(value: datetime | None) -> str | None:
    return to_iso(value) if value else None


def _pages(read: Callable[[str | None], Page[T]]) -> Iterator[list[T]]:
    cursor: str | None = None
    while True:
        page = read(cursor)
        yield page.items
        cursor = page.next_cursor
        if cursor is None:
            return


def _json_document(value: Any) -> Iterator[bytes]:
    yield json.dumps(value, indent=2, ensure_ascii=False).encode() + b"\n"


def _json_array(rows: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    """A JSON array written a page at a time."""
    yield b"["
    first = True
    for page in rows:
        for row in page:
            yield (b"\n  " if first else b",\n  ") + json.dumps(row, ensure_ascii=False).encode()
            first = False
    yield b"\n]\n"


def _csv(header: list[str], rows: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    # The product's one CSV writer: people's text never runs as a spreadsheet formula.
    writer = SafeCsvWriter()
    # A BOM so spreadsheet programs read the text as UTF-8.
    yield "\ufeff".encode() + writer.row(header).encode()
    for page in rows:
        yield writer.dict_rows(header, page).encode()


# --- rows ----------------------------------------------------------------------------


def _journal_row(entry: JournalEntry) -> dict[str, Any]:
    return {
        "entryId": entry.entry_id,
        "timeOfEmotion": _iso(entry.time_of_emotion),
        "feeling": entry.feeling,
        "intensity": entry.intensity,
        "note": str(entry.note),
        "shared": entry.is_shared,
        "sharedAt": _iso(entry.shared_at),
        "createdAt": _iso(entry.created_at),
        "updatedAt": _iso(entry.updated_at),
    }


_JOURNAL_COLUMNS = list(_journal_row(JournalEntry("", "", utcnow(), "", 0)).keys())


def _mapping_row(mapping: Mapping, names: dict[str, str], record: Relationship | None) -> dict[str, Any]:
    return {
        "therapistId": mapping.therapist_id,
        "therapistName": names.get(mapping.therapist_id),
        "status": str(mapping.status),
        "updatedAt": _iso(mapping.updated_at),
        "activeSince": _iso(record.active_since) if record else None,
        # A blocked pair keeps its mapping; the record says when it ended.
        "endedAt": _iso(record.ended_at) if record else None,
    }


def _ended_row(record: Relationship) -> dict[str, Any]:
    """A relationship that has ended: its mapping is gone, the record says when it was."""
    return {
        "therapistId": record.therapist_id,
        "therapistName": record.therapist_name or None,
        "status": "ended",
        "updatedAt": _iso(record.ended_at),
        "activeSince": _iso(record.active_since),
        "endedAt": _iso(record.ended_at),
    }


def _client_session_row(session: TherapySession) -> dict[str, Any]:
    # No privateNotes: they are the therapist's alone.
    return {
        "sessionId": session.session_id,
        "therapistId": session.therapist_id,
        "title": str(session.title),
        "scheduledFor": _iso(session.scheduled_for),
        "durationMinutes": session.duration_minutes,
        "location": session.location,
        "status": str(session.status),
        "requestMessage": str(session.request_message),
        "rejectionReason": str(session.rejection_reason),
        "sharedNotes": str(session.shared_notes),
        "createdAt": _iso(session.created_at),
        "updatedAt": _iso(session.updated_at),
    }


def _therapist_session_row(session: TherapySession, names: dict[str, str]) -> dict[str, Any]:
    return {
        "sessionId": session.session_id,
        "clientId": session.client_id,
        # A client who deleted their account has no name left to show.
        "clientName": names.get(session.client_id, FORMER_CLIENT),
        "title": str(session.title),
        "scheduledFor": _iso(session.scheduled_for),
        "durationMinutes": session.duration_minutes,
        "location": session.location,
        "status": str(session.status),
        "requestMessage": str(session.request_message),
        "rejectionReason": str(session.rejection_reason),
        "privateNotes": str(session.private_notes),
        "sharedNotes": str(session.shared_notes),
        "updatedAt": _iso(session.updated_at),
    }


_THERAPIST_SESSION_COLUMNS = [
    "sessionId",
    "clientId",
    "clientName",
    "title",
    "scheduledFor",
    "durationMinutes",
    "location",
    "status",
    "requestMessage",
    "rejectionReason",
    "privateNotes",
    "sharedNotes",
    "updatedAt",
]


def _message_row(message: Message) -> dict[str, Any]:
    return {
        "therapistId": message.therapist_id,
        "messageId": message.message_id,
        "sentAt": _iso(message.created_at),
        "sender": str(message.sender),
        "content": str(message.content),
    }


_MESSAGE_COLUMNS = ["therapistId", "messageId", "sentAt", "sender", "content"]


def _audit_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "occurredAt": _iso(event.occurred_at),
        "action": event.action,
        "actorKind": str(event.actor_kind),
        "actorId": event.actor_id,
        "detail": json.dumps(event.detail, sort_keys=True) if event.detail else "",
    }


_AUDIT_COLUMNS = ["occurredAt", "action", "actorKind", "actorId", "detail"]


# The most items a questionnaire has (the PHQ-9); a GAD-7 leaves the last two cells empty.
_MAX_ITEMS = 9
_QUESTIONNAIRE_COLUMNS = [
    "measure",
    "loinc",
    "submitted_at",
    "total",
    "band",
    "difficulty",
    *(f"item_{n}" for n in range(1, _MAX_ITEMS + 1)),
]


def _questionnaire_csv_row(row: dict[str, Any]) -> dict[str, Any]:
    # One cell per answer: a spreadsheet sums or charts them without parsing a list.
    answers = row.get("answers") or []
    return {**row, **{f"item_{n}": answer for n, answer in enumerate(answers, start=1)}}


def _signature(signature: Signature) -> dict[str, Any]:
    return {
        "signedBy": signature.signer_name,
        "signerId": signature.signer_id,
        "signedAt": _iso(signature.signed_at),
        "signatureLine": f"Signed by {signature.signer_name or 'the therapist'} on {to_iso(signature.signed_at)} (UTC)",
        "digestSha256": signature.digest,
    }


def _note_row(note: ClinicalNote) -> dict[str, Any]:
    return {
        "kind": str(note.kind),
        "template": str(note.template),
        "sections": [{"section": name, "text": text} for name, text in note.sections],
        "signature": _signature(note.signature) if note.signature else None,
        # The stored digest no longer matches the stored content: not the record as signed.
        "altered": note.altered,
    }


def _addendum_row(addendum: Addendum) -> dict[str, Any]:
    return {
        "addendumId": addendum.addendum_id,
        "addsTo": str(addendum.kind),
        "author": addendum.author_name,
        "authorId": addendum.author_id,
        "reason": addendum.reason,
        "text": addendum.text,
        "correctionRequestId": addendum.request_id,
        "signature": _signature(addendum.signature),
        "altered": addendum.altered,
    }


def _correction_row(request: CorrectionRequest) -> dict[str, Any]:
    return {
        "requestId": request.request_id,
        "requestedAt": _iso(request.requested_at),
        "text": request.text,
        "status": str(request.status),
        "answerDueAt": _iso(request.due_at),
        "answeredAt": _iso(request.answered_at),
        "declineReason": request.decline_reason,
        "addendumId": request.addendum_id,
        "statementOfDisagreement": request.statement,
        "statementAt": _iso(request.statement_at),
    }


def _record_row(record: clinical_notes.ExportedNotes, client_name: str | None = None) -> dict[str, Any]:
    session = record.session
    row: dict[str, Any] = {
        "sessionId": session.session_id,
        "therapistId": session.therapist_id,
        "clientId": session.client_id,
        "scheduledFor": _iso(session.scheduled_for),
    }
    if client_name is not None:
        row["clientName"] = client_name
    return {
        **row,
        "notes": [_note_row(n) for n in record.notes],
        "addenda": [_addendum_row(a) for a in record.addenda],
        "correctionRequests": [_correction_row(c) for c in record.corrections],
    }


_SIGNED_NOTE_COLUMNS = [
    "sessionId",
    "clientId",
    "clientName",
    "scheduledFor",
    "record",
    "kind",
    "addendumId",
    "template",
    "reason",
    "text",
    "signedBy",
    "signerId",
    "signedAt",
    "digestSha256",
    "altered",
]


def _signed_note_csv_rows(row: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per signed note and per addendum of a session, in the order they were signed."""
    common = {k: row[k] for k in ("sessionId", "clientId", "clientName", "scheduledFor")}
    lines: list[dict[str, Any]] = []
    for note in row["notes"]:
        text = "\n\n".join(f"{s['section']}: {s['text']}" for s in note["sections"])
        signature = note["signature"] or {}
        lines.append(
            {
                **common,
                "record": "note",
                "kind": note["kind"],
                "template": note["template"],
                "text": text,
                "altered": note["altered"],
                **signature,
            }
        )
    for addendum in row["addenda"]:
        lines.append(
            {
                **common,
                "record": "addendum",
                "kind": addendum["addsTo"],
                "addendumId": addendum["addendumId"],
                "reason": addendum["reason"],
                "text": addendum["text"],
                "altered": addendum["altered"],
                **addendum["signature"],
            }
        )
    return lines


def _readme(kind: str, when: datetime) -> Iterator[bytes]:
    yield (
        f"Your data from the therapy portal ({kind} account), exported {to_iso(when)} (UTC).\n\n"
        "Each list is in a JSON file (for programs) and, where it is a table, a CSV file (for spreadsheets).\n"
        'Times are ISO-8601 in UTC. Text shown as "Removed at the client\'s request." belonged to a client\n'
        "who deleted their account.\n"
    ).encode()


# --- client ------------------------------------------------------------------------


def _client_profile(client: Client) -> dict[str, Any]:
    return {
        "clientId": client.client_id,
        "name": client.name,
        "email": client.email,
        "timeZone": client.time_zone,
        "emailVerified": client.email_verified,
        "twoFactorEnabled": bool(client.mfa_secret),
        "createdAt": _iso(client.created_at),
    }


def _client_files(client: Client, when: datetime) -> Iterator[tuple[str, Iterable[bytes]]]:
    client_id = client.client_id
    journal, mappings, sessions = JournalRepository(), MappingRepository(), SessionRepository()
    yield "README.txt", _readme("client", when)
    yield "profile.json", _json_document(_client_profile(client))

    def journal_pages() -> Iterator[list[dict[str, Any]]]:
        for page in _pages(lambda c: journal.list_recent(client_id, limit=EXPORT_PAGE_SIZE, cursor=c)):
            yield [_journal_row(e) for e in page]

    # Read once for each file rather than held in memory between them.
    yield "journal.json", _json_array(journal_pages())
    yield "journal.csv", _csv(_JOURNAL_COLUMNS, journal_pages())

    # The therapists this client has conversations with, gathered from the
    # relationships and sessions as they stream past (ids only). The relationship
    # records outlive the mappings, so a former therapist's messages are found too.
    partners: dict[str, None] = {}

    def relationship_pages() -> Iterator[list[dict[str, Any]]]:
        # A client has few records: held while the mappings stream past, then the
        # ended ones (a record without a mapping) follow.
        records = {
            r.therapist_id: r
            for page in _pages(
                lambda c: RelationshipRepository().list_for_client(client_id, limit=EXPORT_PAGE_SIZE, cursor=c)
            )
            for r in page
        }
        partners.update(dict.fromkeys(records))
        for page in _pages(lambda c: mappings.list_for_client(client_id, limit=EXPORT_PAGE_SIZE, cursor=c)):
            names = {
                t.therapist_id: t.name for t in TherapistRepository().get_many(m.therapist_id for m in page).values()
            }
            partners.update(dict.fromkeys(m.therapist_id for m in page))
            yield [_mapping_row(m, names, records.pop(m.therapist_id, None)) for m in page]
        ended = [_ended_row(r) for r in records.values() if r.ended_at is not None]
        if ended:
            yield ended

    yield "relationships.json", _json_array(relationship_pages())

    def session_pages() -> Iterator[list[dict[str, Any]]]:
        for page in _pages(lambda c: sessions.list_by_client(client_id, limit=EXPORT_PAGE_SIZE, cursor=c)):
            partners.update(dict.fromkeys(s.therapist_id for s in page))
            yield [_client_session_row(s) for s in page]

    yield "sessions.json", _json_array(session_pages())

    def questionnaire_rows() -> Iterator[list[dict[str, Any]]]:
        yield measures.measure_results_for_export(client_id)

    yield "questionnaires.json", _json_array(questionnaire_rows())
    yield (
        "questionnaires.csv",
        _csv(_QUESTIONNAIRE_COLUMNS, ([_questionnaire_csv_row(r) for r in page] for page in questionnaire_rows())),
    )

    def record_rows() -> Iterator[list[dict[str, Any]]]:
        # The signed shared notes, their addenda, the client's requests: never a progress note.
        yield [_record_row(r) for r in clinical_notes.client_notes_export(client_id=client_id)]

    yield "session_records.json", _json_array(record_rows())

    def message_pages() -> Iterator[list[dict[str, Any]]]:
        messages = MessageRepository()
        for therapist_id in partners:
            for page in _pages(
                lambda c, t=therapist_id: messages.list_conversation(client_id, t, limit=EXPORT_PAGE_SIZE, cursor=c)  # type: ignore[misc]
            ):
                yield [_message_row(m) for m in page]

    yield "messages.json", _json_array(message_pages())
    yield "messages.csv", _csv(_MESSAGE_COLUMNS, message_pages())

    def audit_pages() -> Iterator[list[dict[str, Any]]]:
        audit = AuditRepository()
        for page in _pages(lambda c: audit.list_for_subject(client_id, limit=EXPORT_PAGE_SIZE, cursor=c)):
            yield [_audit_row(e) for e in page]

    yield "access_history.csv", _csv(_AUDIT_COLUMNS, audit_pages())


# --- therapist ------------------------------------------------------------------


def _therapist_profile(therapist: Therapist) -> dict[str, Any]:
    return {
        "therapistId": therapist.therapist_id,
        "name": therapist.name,
        "email": therapist.email,
        "specialization": therapist.specialization,
        "timeZone": therapist.time_zone,
        "emailVerified": therapist.email_verified,
        "twoFactorEnabled": bool(therapist.mfa_secret),
        "createdAt": _iso(therapist.created_at),
    }


def _therapist_files(therapist: Therapist, when: datetime) -> Iterator[tuple[str, Iterable[bytes]]]:
    sessions = SessionRepository()

    def note_pages() -> Iterator[list[dict[str, Any]]]:
        for page in _pages(
            lambda c: sessions.list_by_therapist(therapist.therapist_id, limit=EXPORT_PAGE_SIZE, cursor=c)
        ):
            names = {c.client_id: c.name for c in ClientRepository().get_many(s.client_id for s in page).values()}
            yield [_therapist_session_row(s, names) for s in page]

    yield "README.txt", _readme("therapist", when)
    yield "profile.json", _json_document(_therapist_profile(therapist))
    yield "session_notes.json", _json_array(note_pages())
    yield "session_notes.csv", _csv(_THERAPIST_SESSION_COLUMNS, note_pages())

    signed: list[dict[str, Any]] = []

    def signed_rows() -> Iterator[list[dict[str, Any]]]:
        # Read once (the service gathers the whole practice) and kept for the CSV that follows.
        if not signed:
            records = clinical_notes.therapist_notes_export(therapist_id=therapist.therapist_id)
            clients = ClientRepository().get_many(dict.fromkeys(r.session.client_id for r in records))
            names = {c.client_id: c.name for c in clients.values()}
            signed.extend(_record_row(r, names.get(r.session.client_id, FORMER_CLIENT)) for r in records)
        yield signed

    yield "signed_notes.json", _json_array(signed_rows())
    yield (
        "signed_notes.csv",
        _csv(
            _SIGNED_NOTE_COLUMNS,
            ([line for row in page for line in _signed_note_csv_rows(row)] for page in signed_rows()),
        ),
    )


# --- entry point ----------------------------------------------------------------


def _guarded(
    files: Iterator[tuple[str, Iterable[bytes]]], *, kind: AccountKind, account_id: str, when: datetime
) -> Iterator[bytes]:
    # The request's key scope has ended by the time the body is sent: the
    # stream opens its own, so each key is still unwrapped once.
    with data_key_scope():
        try:
            yield from zip_stream(files, when=when)
        except Exception:
            # Ids only. Re-raised so the server aborts the response.
            logger.exception("data export of %s %s aborted", kind, account_id)
            raise
    logger.info("data export of %s %s sent", kind, account_id)


def account_data_export(*, kind: AccountKind, account_id: str) -> DataExport:
    """Read the profile now (a database failure here is a calm 503 page), then stream the rest."""
    when = utcnow()
    files: Iterator[tuple[str, Iterable[bytes]]]
    if kind is AccountKind.CLIENT:
        client = ClientRepository().get(account_id, consistent=True)
        if client is None:
            raise NotFound("No such account.")
        files = _client_files(client, when)
    elif kind is AccountKind.THERAPIST:
        therapist = TherapistRepository().get(account_id, consistent=True)
        if therapist is None:
            raise NotFound("No such account.")
        files = _therapist_files(therapist, when)
    else:
        raise NotFound("Staff accounts hold no personal records to export.")
    AuditRepository().record(subject_id=account_id, action=AUDIT_ACTION, actor_kind=kind, actor_id=account_id)
    return DataExport(
        filename=f"therapy-portal-{kind}-data-{when:%Y-%m-%d}.zip",
        chunks=_guarded(files, kind=kind, account_id=account_id, when=when),
    )
