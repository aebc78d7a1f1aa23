"""No index copies a secret or clinical text: checked for every index of schema.py against the items the product writes.

The product writes one of everything (accounts with two-factor and recovery
codes, a logged-in web session, journal entries with notes, a requested, a
rejected and a noted session, messages, audit events), then each table's items
are read raw and each index's copy of each item is worked out from schema.py's
projection. The Journal's local indexes alone may carry a note (encrypted,
within the client's own partition).
"""

from __future__ import annotations

from typing import Any

import pyotp
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.account_store import AccountStore
from portal.dynamo.audit import new_audit_event
from portal.dynamo.clinical_notes import ClinicalNoteRepository
from portal.dynamo.connection import get_gateway
from portal.dynamo.measures import MeasureRepository
from portal.dynamo.schema import (
    ALL_TABLES,
    CLINICAL_ATTRIBUTES,
    JOURNAL,
    SECRET_ATTRIBUTES,
    Index,
    Table,
)
from portal.ids import new_id
from portal.services import sessions as session_service
from portal.services.journal import journal_entry_create, journal_entry_set_shared
from portal.services.messaging import message_send
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.contract.test_clinical_notes import _correction, _event, _note, _signed
from tests.contract.test_measures import _assignment, _result, _submit
from tests.messaging_data import make_active_pair
from tests.sessions_data import Pair, booked, in_days, requested

_JOURNAL_LOCAL = {index.name for index in JOURNAL.local_indexes}


def _projected_names(table: Table, index: Index, item: dict[str, Any]) -> set[str]:
    if any(part.attribute not in item for part in index.keys):
        return set()
    if index.projection == "ALL":
        return set(item)
    keep = {part.attribute for part in table.keys + index.keys} | set(index.include)
    return set(item) & keep


def _raw_items(table: Table) -> list[dict[str, Any]]:
    gateway = get_gateway()
    return gateway.client.scan(TableName=gateway.table_name(table))["Items"]


def _write_one_of_everything() -> None:
    client, therapist = make_active_pair()
    AccountStore().replace_recovery_hashes(AccountKind.THERAPIST, therapist.account_id, {"hash-of-a-code"})
    mfa_client = make_account(AccountKind.CLIENT, mfa_secret=pyotp.random_base32())
    AccountStore().replace_recovery_hashes(AccountKind.CLIENT, mfa_client.account_id, {"hash-of-a-code"})
    make_account(AccountKind.STAFF)
    entry = journal_entry_create(
        client_id=client.account_id, time_of_emotion=utcnow(), feeling="calm", intensity=3, note="a private note"
    )
    journal_entry_set_shared(user=client, entry_id=entry.entry_id, shared=True)
    pair = Pair(client, therapist)
    asked = requested(pair, when=in_days(4), message="I would like to talk about sleep")
    session_service.session_reject(user=therapist, session_id=asked.session_id, reason="Away that week")
    session = booked(pair, when=in_days(2), title="Weekly")
    session_service.session_notes_save(
        user=therapist,
        session_id=session.session_id,
        version=session.version,
        private_notes="private clinical notes",
        shared_notes="shared notes",
    )
    message_send(user=client, other_id=therapist.account_id, content="hello", idempotency_key=new_id())
    _write_notes_and_measures()
    http = HttpClient()
    log_in(http, therapist)
    assert http.get(f"/therapist/clients/{client.account_id}/journal/").status_code == 200


def _write_notes_and_measures() -> None:
    # A signed note with an open correction request (in the corrections index), and a PHQ-9
    # alert acknowledged with a note before its email went out (still in the reminders index).
    notes = ClinicalNoteRepository()
    note = _note()
    _signed(notes, note)
    notes.create_correction(_correction(note), audit=_event(note, "session.correction.requested"))  # type: ignore[arg-type]
    measures = MeasureRepository()
    assignment = measures.put_assignment(_assignment(new_id(), new_id()))
    measures.put_assignment(_assignment(assignment.client_id, new_id()))
    result = _result(assignment, (0,) * 8 + (2,))
    _submit(measures, result, alert=True)
    measures.acknowledge_alert(
        client_id=assignment.client_id,
        result_id=result.result_id,
        therapist_id=assignment.therapist_id,
        at=result.submitted_at,
        note="Called the client",
        audit=new_audit_event(
            subject_id=assignment.client_id,
            action="care.measure_alert.acknowledged",
            actor_kind=AccountKind.THERAPIST,
            actor_id=assignment.therapist_id,
        ),
    )


def test_no_index_copies_a_secret_or_clinical_text(dynamo):
    _write_one_of_everything()
    seen: set[str] = set()
    problems: list[str] = []
    for table in ALL_TABLES:
        items = _raw_items(table)
        for item in items:
            seen |= set(item) & (SECRET_ATTRIBUTES | CLINICAL_ATTRIBUTES)
        for index in table.global_indexes + table.local_indexes:
            forbidden = SECRET_ATTRIBUTES | (set() if index.name in _JOURNAL_LOCAL else CLINICAL_ATTRIBUTES)
            for item in items:
                copied = _projected_names(table, index, item) & forbidden
                if copied:
                    problems.append(f"{table.name}/{index.name} copies {sorted(copied)}")
    # The data above really holds every kind of secret and clinical text the check looks for.
    assert seen >= {"passwordHash", "mfaSecret", "mfaRecoveryHashes", "sessionData", "note", "title"}
    assert seen >= {"requestMessage", "rejectionReason", "privateNotes", "sharedNotes", "content"}
    assert seen >= {"sections", "text", "answers"}
    assert not sorted(set(problems)), sorted(set(problems))


def test_every_index_declares_a_projection_without_secrets():
    # Independent of any data: an INCLUDE never names a secret or clinical attribute, and
    # ALL is used only where the table holds none (or, for clinical text, the Journal's own LSIs).
    all_allowed = {"ClientTherapistMapping", "AuditLog", "AccountErasures", "Relationships", "Journal"}
    for table in ALL_TABLES:
        for index in table.global_indexes + table.local_indexes:
            assert not set(index.include) & (SECRET_ATTRIBUTES | CLINICAL_ATTRIBUTES), index.name
            if index.projection == "ALL":
                assert table.name in all_allowed, f"{table.name}/{index.name} projects ALL"
