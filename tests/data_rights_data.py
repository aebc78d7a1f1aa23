"""A client with something of everything, for the export and erasure tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from portal.accounts.user import User
from portal.domain import AccountKind, MappingStatus, Sender
from portal.domain_measures import MeasureKind, Schedule
from portal.dynamo.audit import AuditRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.messages import MessageRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.note_domain import NoteKind
from portal.services import clinical_notes as notes
from portal.services import measures
from portal.services.journal import journal_entry_create, journal_entry_set_shared
from portal.timeutil import utcnow
from tests.accounts import make_account
from tests.factories import make_session
from tests.notes_data import SOAP, held
from tests.sessions_data import Pair

CLIENT_MARKER = "client-wrote-heron-4410"
PRIVATE_MARKER = "private-note-osprey-9921"
SHARED_MARKER = "shared-note-kestrel-2207"
THERAPIST_MARKER = "therapist-wrote-plover-6385"


@dataclass
class ClientWorld:
    client: User
    therapist: User
    entry_ids: list[str]
    session_id: str


def client_world(*, entries: int = 3) -> ClientWorld:
    client = make_account(AccountKind.CLIENT, name="Casey Client")
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara")
    client_id, therapist_id = client.account_id, therapist.account_id
    MappingRepository().put(client_id, therapist_id, MappingStatus.ACTIVE)
    entry_ids = []
    for i in range(entries):
        entry = journal_entry_create(
            client_id=client_id,
            time_of_emotion=utcnow() - timedelta(hours=i + 1),
            feeling="calm",
            intensity=4,
            note=f"{CLIENT_MARKER} entry {i}",
        )
        entry_ids.append(entry.entry_id)
    journal_entry_set_shared(user=client, entry_id=entry_ids[0], shared=True)
    session = SessionRepository().create(
        make_session(
            client_id=client_id,
            therapist_id=therapist_id,
            title=f"{CLIENT_MARKER} title",
            private_notes=f"{PRIVATE_MARKER}",
            shared_notes=f"{SHARED_MARKER}",
        )
    )
    messages = MessageRepository()
    messages.send(
        client_id=client_id, therapist_id=therapist_id, sender=Sender.CLIENT,
        content=f"{CLIENT_MARKER} message", idempotency_key=new_id(),
    )
    messages.send(
        client_id=client_id, therapist_id=therapist_id, sender=Sender.THERAPIST,
        content=f"{THERAPIST_MARKER} reply", idempotency_key=new_id(),
    )
    AuditRepository().record(
        subject_id=client_id, action="journal.shared_read", actor_kind=AccountKind.THERAPIST,
        actor_id=therapist_id, detail={"entries": "1"},
    )
    return ClientWorld(client, therapist, entry_ids, session.session_id)


SIGNED_SHARED_MARKER = "signed-shared-wren-5318"
CORRECTION_MARKER = "client-asks-finch-7702"
STATEMENT_MARKER = "client-disagrees-linnet-4046"


def signed_record(world: ClientWorld) -> str:
    """A held session with a signed progress note (private) and a signed shared note, an addendum to
    each, and the client's correction request, declined, with their statement of disagreement.
    The session's id."""
    session_id = held(Pair(world.client, world.therapist), days_ago=2).session_id
    therapist = world.therapist
    private = {**SOAP, "plan": f"{PRIVATE_MARKER} plan"}
    notes.note_sign(
        user=therapist, session_id=session_id, kind=NoteKind.PROGRESS, template="soap", sections=private, version=0
    )
    notes.note_sign(
        user=therapist,
        session_id=session_id,
        kind=NoteKind.SHARED,
        template="simple",
        sections={"note": SIGNED_SHARED_MARKER},
        version=0,
    )
    notes.addendum_add(
        user=therapist, session_id=session_id, kind=NoteKind.PROGRESS, text=f"{PRIVATE_MARKER} later", reason="r"
    )
    notes.addendum_add(
        user=therapist, session_id=session_id, kind=NoteKind.SHARED, text="Shared addition", reason="Clarity"
    )
    request = notes.correction_request(user=world.client, session_id=session_id, text=CORRECTION_MARKER)
    notes.correction_decline(
        user=therapist, session_id=session_id, request_id=request.request_id, reason="Accurate as written"
    )
    notes.correction_statement(
        user=world.client, session_id=session_id, request_id=request.request_id, statement=STATEMENT_MARKER
    )
    return session_id


def questionnaires_answered(world: ClientWorld) -> None:
    """A PHQ-9 (total 9, mild) and a GAD-7 (total 14, moderate) answered for the world's therapist."""
    for kind, answers in ((MeasureKind.PHQ9, [1] * 9), (MeasureKind.GAD7, [2] * 7)):
        measures.measure_assign(
            user=world.therapist, client_id=world.client.account_id, measure=kind, schedule=Schedule.ONCE
        )
        measures.measure_submit(
            client_id=world.client.account_id,
            measure=kind,
            therapist_id=world.therapist.account_id,
            answers=answers,
            difficulty=1 if kind is MeasureKind.PHQ9 else None,
            idempotency_key=f"export-{kind}-abcdefghijk",
        )
