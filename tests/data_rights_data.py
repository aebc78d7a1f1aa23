"""A client with something of everything, for the export and erasure tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from portal.accounts.user import User
from portal.domain import AccountKind, MappingStatus, Sender
from portal.dynamo.audit import AuditRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.messages import MessageRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.services.journal import journal_entry_create, journal_entry_set_shared
from portal.timeutil import utcnow
from tests.accounts import make_account
from tests.factories import make_session

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
