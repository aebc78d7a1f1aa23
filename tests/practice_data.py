"""A small practice with something of everything, for page sweeps in the browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from portal.accounts.user import User
from portal.domain import AccountKind
from portal.dynamo.journal import JournalRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.ids import new_id
from portal.services.journal import journal_entry_create, shared_entries_for_therapist
from portal.services.messaging import message_send
from portal.services.relationships import relationship_request
from portal.timeutil import utcnow
from tests.accounts import make_account
from tests.relationships import PORTAL_URL, connect
from tests.sessions_data import Pair, booked, requested


@dataclass
class Practice:
    client: User
    therapist: User
    other_therapist: User
    staff: User
    entry_id: str
    pending_session_id: str
    booked_session_id: str


def make_practice() -> Practice:
    """Shared entries (some new since the last visit), a session asked for and one booked,
    messages both ways, a pending request from another client, an access history."""
    client = make_account(AccountKind.CLIENT, name="Pat Client")
    therapist = make_account(AccountKind.THERAPIST, name="Dr. Alex Chen")
    other = make_account(AccountKind.THERAPIST, name="Dr. Omar Haddad")
    staff = make_account(AccountKind.STAFF, name="Sam Staff")
    connect(client, therapist)
    # Someone else waiting for Dr. Chen's answer.
    asking = make_account(AccountKind.CLIENT, name="Quinn Asking")
    relationship_request(user=asking, therapist_id=therapist.account_id, portal_url=PORTAL_URL)

    now = utcnow()
    entries = [
        journal_entry_create(
            client_id=client.account_id,
            time_of_emotion=now - timedelta(minutes=30 + i * 90),
            feeling=feeling,
            intensity=3 + i % 7,
            note=f"note {i}" if i % 2 else "",
        )
        for i, feeling in enumerate(["calm", "happy", "tired", "numb", "sad", "anxious", "grateful", "angry"] * 3)
    ]
    journal = JournalRepository()
    for number, entry in enumerate(entries[::3]):
        journal.set_shared(client.account_id, entry.entry_id, now - timedelta(hours=8 - number))
    # The therapist read some of them (the client's access history) and last visited before the latest shares.
    shared_entries_for_therapist(user=therapist, client_id=client.account_id)
    RelationshipRepository().note_therapist_visit(
        client.account_id, therapist.account_id, at=now - timedelta(hours=3), last_visit=None
    )

    pair = Pair(client, therapist)
    pending = requested(pair, title="Sleep again")
    weekly = booked(pair, title="Weekly")
    message_send(user=client, other_id=therapist.account_id, content="See you on Tuesday", idempotency_key=new_id())
    message_send(user=therapist, other_id=client.account_id, content="See you then", idempotency_key=new_id())
    return Practice(
        client, therapist, other, staff, entries[0].entry_id, pending.session_id, weekly.session_id
    )
