"""Ending a care relationship cancels what the pair had booked ahead, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.domain import SessionStatus
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.services.sessions import session_create, session_request
from portal.timeutil import utcnow
from tests.messaging_data import end_relationship, make_active_pair

pytestmark = pytest.mark.usefixtures("dynamo")


def test_it_cancels_the_pairs_pending_and_approved_sessions_ahead_when_the_relationship_ends() -> None:
    client, therapist = make_active_pair()
    other_client, other_therapist = make_active_pair()
    soon = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    approved = session_create(
        user=therapist, client_id=client.account_id, title="Weekly", scheduled_for=soon, idempotency_key=new_id()
    )
    pending = session_request(
        user=client,
        therapist_id=therapist.account_id,
        title="Extra",
        scheduled_for=soon + timedelta(days=2),
        idempotency_key=new_id(),
    )
    unrelated = session_request(
        user=other_client,
        therapist_id=other_therapist.account_id,
        title="Someone else's",
        scheduled_for=soon,
        idempotency_key=new_id(),
    )

    end_relationship(client, therapist)

    sessions = SessionRepository()
    for booked in (approved, pending):
        stored = sessions.get(booked.session_id)
        assert stored is not None and stored.status is SessionStatus.CANCELLED
    other = sessions.get(unrelated.session_id)
    assert other is not None and other.status is SessionStatus.PENDING
