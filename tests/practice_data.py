"""A small practice with something of everything, for page sweeps in the browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from portal.accounts.user import User
from portal.domain import AccountKind
from portal.domain_measures import MeasureKind, Schedule
from portal.dynamo.journal import JournalRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.ids import new_id
from portal.note_domain import NoteKind
from portal.services import clinical_notes, measures
from portal.services.journal import journal_entry_create, shared_entries_for_therapist
from portal.services.messaging import message_send
from portal.services.relationships import relationship_request
from portal.timeutil import utcnow
from tests.accounts import make_account
from tests.notes_data import SOAP, held
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
    # Set by make_practice(care_records=True): questionnaires and a held session's notes.
    records: CareRecords | None = None


@dataclass(frozen=True)
class CareRecords:
    # A PHQ-9 answered (item 9 above zero: an alert waits) and a GAD-7 open to fill in.
    answered_result_id: str
    held_session_id: str


def _care_records(pair: Pair) -> CareRecords:
    """Questionnaires (one answered with an alert, one open) and a held session whose shared note
    is signed, whose progress note is a draft, and whose record the client asked to correct."""
    client_id, therapist = pair.client.account_id, pair.therapist
    measures.measure_assign(user=therapist, client_id=client_id, measure=MeasureKind.PHQ9, schedule=Schedule.EVERY_WEEK)
    measures.measure_assign(user=therapist, client_id=client_id, measure=MeasureKind.GAD7, schedule=Schedule.ONCE)
    answered = measures.measure_submit(
        client_id=client_id,
        measure=MeasureKind.PHQ9,
        therapist_id=therapist.account_id,
        answers=[2, 1, 1, 2, 0, 1, 1, 0, 1],
        difficulty=1,
        idempotency_key=new_id(),
    )
    session_id = held(pair, days_ago=1).session_id
    clinical_notes.note_save_draft(
        user=therapist, session_id=session_id, kind=NoteKind.PROGRESS, template="soap", sections=SOAP, version=0
    )
    clinical_notes.note_sign(
        user=therapist,
        session_id=session_id,
        kind=NoteKind.SHARED,
        template="simple",
        sections={"note": "We practised a breathing exercise."},
        version=0,
    )
    clinical_notes.addendum_add(
        user=therapist, session_id=session_id, kind=NoteKind.SHARED, text="Also: a sleep diary.", reason="Left out"
    )
    clinical_notes.correction_request(user=pair.client, session_id=session_id, text="It was two exercises.")
    return CareRecords(answered.result.result_id, session_id)


def make_practice(*, care_records: bool = False) -> Practice:
    """Shared entries (some new since the last visit), a session asked for and one booked,
    messages both ways, a pending request from another client, an access history; with
    ``care_records``, questionnaires and a held session's notes too."""
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
        client,
        therapist,
        other,
        staff,
        entries[0].entry_id,
        pending.session_id,
        weekly.session_id,
        _care_records(pair) if care_records else None,
    )
