"""What must find every session of a pair reads the relationship record consistently, not the lagging index.

Proven with ``stale_reads`` (tests/doubles/stale_reads.py): every eventually
consistent read, and so every Query of a session index, answers with each item
as it was before its latest write (nothing at all right after it was made),
which AWS DynamoDB may do and the local engines never do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

import portal.dynamo.sessions as session_store
from portal.domain import FORMER_CLIENT, AccountKind, Conflict, SessionStatus
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.schema import RELATIONSHIPS, SESSIONS
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.services import sessions as service
from portal.services.account_erasure import client_account_erase
from portal.services.sessions import session_approve, session_create, session_request
from portal.timeutil import utcnow
from tests.accounts import PASSWORD
from tests.factories import make_session
from tests.messaging_data import end_relationship, make_active_pair


def _soon(days: int = 3, hours: int = 0):  # type: ignore[no-untyped-def]
    return utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=days, hours=hours)


def _status(session_id: str) -> SessionStatus:
    stored = SessionRepository().get(session_id)
    assert stored is not None
    return stored.status


def test_ending_cancels_sessions_made_and_approved_a_moment_ago(stale_reads, monkeypatch) -> None:
    # A notice's claim is a write of its own on the session, after which this double's index,
    # one write behind, would show the change itself: without notices the index lags the change.
    monkeypatch.setattr(service, "session_notice", lambda *args, **kwargs: False)
    client, therapist = make_active_pair()
    booked = session_create(
        user=therapist, client_id=client.account_id, title="Weekly", scheduled_for=_soon(), idempotency_key=new_id()
    )
    asked = session_request(
        user=client, therapist_id=therapist.account_id, title="Extra", scheduled_for=_soon(4), idempotency_key=new_id()
    )
    approved = session_request(
        user=client, therapist_id=therapist.account_id, title="Later", scheduled_for=_soon(5), idempotency_key=new_id()
    )
    session_approve(user=therapist, session_id=approved.session_id, location="Room 2")
    # The index really lags: it lists none of the three as they are.
    listed = SessionRepository().list_by_client(client.account_id, after=utcnow(), limit=100).items
    assert {(s.session_id, s.status) for s in listed} <= {(approved.session_id, SessionStatus.PENDING)}

    end_relationship(client, therapist)

    assert [_status(s.session_id) for s in (booked, asked, approved)] == [SessionStatus.CANCELLED] * 3
    assert stale_reads.stale_answers > 0


def test_a_session_written_after_the_end_is_refused(dynamo) -> None:
    client, therapist = make_active_pair()
    end_relationship(client, therapist)
    # A request that checked the relationship a moment before it ended, and writes now.
    late = make_session(client_id=client.account_id, therapist_id=therapist.account_id, scheduled_for=_soon())

    with pytest.raises(Conflict, match="no longer work together"):
        SessionRepository().create(late, idempotency_key=new_id())

    assert SessionRepository().get(late.session_id) is None


def test_an_approval_that_lands_after_the_cancel_fails_on_its_version(dynamo) -> None:
    client, therapist = make_active_pair()
    asked = session_request(
        user=client, therapist_id=therapist.account_id, title="Extra", scheduled_for=_soon(), idempotency_key=new_id()
    )
    end_relationship(client, therapist)

    # The approval read the session (and the active relationship) before the end.
    with pytest.raises(Conflict):
        SessionRepository().update(replace(asked, status=SessionStatus.APPROVED), expected_version=asked.version)
    assert _status(asked.session_id) is SessionStatus.CANCELLED


def test_ending_cancels_every_session_the_index_lists_past_a_page(dynamo, monkeypatch) -> None:
    # Sessions from before the record kept their ids: only the index finds them, 25 over three pages.
    monkeypatch.setattr(session_store, "_READ_ALL_PAGE", 10)
    client, therapist = make_active_pair()
    repository = SessionRepository()
    made = [
        repository.create(
            make_session(client_id=client.account_id, therapist_id=therapist.account_id, scheduled_for=_soon(1, n))
        )
        for n in range(25)
    ]

    cancelled = service.sessions_cancel_for_ended_relationship(
        client_id=client.account_id, therapist_id=therapist.account_id, ended_by=AccountKind.CLIENT
    )

    assert cancelled == 25
    assert {_status(s.session_id) for s in made} == {SessionStatus.CANCELLED}


def test_a_pair_active_from_before_relationship_records_still_books(dynamo) -> None:
    client, therapist = make_active_pair()
    dynamo.delete(RELATIONSHIPS, {"clientId": client.account_id, "therapistId": therapist.account_id})

    booked = session_create(
        user=therapist, client_id=client.account_id, title="Weekly", scheduled_for=_soon(), idempotency_key=new_id()
    )

    assert _status(booked.session_id) is SessionStatus.APPROVED


def test_marks_of_sessions_made_long_ago_leave_the_record_at_the_end(dynamo) -> None:
    client, therapist = make_active_pair()
    old = session_create(
        user=therapist, client_id=client.account_id, title="Weekly", scheduled_for=_soon(), idempotency_key=new_id()
    )
    new = session_create(
        user=therapist, client_id=client.account_id, title="Next", scheduled_for=_soon(2), idempotency_key=new_id()
    )
    dynamo.update(
        SESSIONS,
        {"sessionId": old.session_id},
        set_values={"createdAt": (utcnow() - timedelta(days=2)).isoformat().replace("+00:00", "Z")},
    )
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.session_ids == {old.session_id, new.session_id}

    end_relationship(client, therapist)

    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.session_ids == {new.session_id}
    assert _status(old.session_id) is SessionStatus.CANCELLED and _status(new.session_id) is SessionStatus.CANCELLED


def test_erasure_takes_the_name_off_a_session_made_a_moment_ago(stale_reads) -> None:
    client, therapist = make_active_pair()
    asked = session_request(
        user=client, therapist_id=therapist.account_id, title="Extra", scheduled_for=_soon(), idempotency_key=new_id()
    )
    stored = SessionRepository().get(asked.session_id)
    assert stored is not None and stored.client_name == "Casey Client"

    job = client_account_erase(client_id=client.account_id, password=PASSWORD)

    assert job.finished
    stored = SessionRepository().get(asked.session_id)
    assert stored is not None and stored.client_name == FORMER_CLIENT
