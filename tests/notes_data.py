"""Held sessions (open or closed, in the past) between a care pair, for note tests."""

from __future__ import annotations

from datetime import timedelta

from portal.domain import SessionStatus, TherapySession
from portal.dynamo.sessions import SessionRepository
from portal.timeutil import utcnow
from tests.factories import make_session
from tests.sessions_data import Pair


def held(pair: Pair, *, days_ago: float = 1, status: SessionStatus = SessionStatus.CLOSED) -> TherapySession:
    """A session that took place ``days_ago`` (stored directly: the services book only future times)."""
    session = make_session(
        therapist_id=pair.therapist.account_id,
        client_id=pair.client.account_id,
        client_name=pair.client.name,
        therapist_name=pair.therapist.name,
        scheduled_for=(utcnow() - timedelta(days=days_ago)).replace(microsecond=0),
        status=status,
    )
    return SessionRepository().create(session)


SOAP = {"subjective": "Slept badly", "objective": "Tired", "assessment": "Low mood", "plan": "Walks"}
