"""A client and a therapist who work together, and sessions between them, for session tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from portal.accounts.user import User
from portal.domain import AccountKind, MappingStatus, SessionStatus, TherapySession
from portal.dynamo.connection import get_gateway
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import activation_op
from portal.ids import new_id
from portal.services import sessions as service
from portal.timeutil import utcnow
from tests.accounts import make_account


@dataclass(frozen=True)
class Pair:
    client: User
    therapist: User


def care_pair(*, status: MappingStatus = MappingStatus.ACTIVE) -> Pair:
    client = make_account(AccountKind.CLIENT, name="Casey Client")
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara")
    MappingRepository().put(client.account_id, therapist.account_id, status)
    if status is MappingStatus.ACTIVE:
        # An active pair has its relationship record, as an accepted request leaves it.
        get_gateway().transact_write(
            [
                activation_op(
                    client.account_id, therapist.account_id, at=utcnow(), client_name=client.name, therapist_name=therapist.name
                )
            ]
        )
    return Pair(client, therapist)


def end_care(pair: Pair) -> None:
    MappingRepository().delete(pair.client.account_id, pair.therapist.account_id)


def in_days(days: float, hour: int = 10) -> datetime:
    moment = utcnow() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def requested(pair: Pair, *, when: datetime | None = None, title: str = "Sleep again", message: str = "") -> TherapySession:
    return service.session_request(
        user=pair.client,
        therapist_id=pair.therapist.account_id,
        title=title,
        scheduled_for=when or in_days(3),
        message=message,
        idempotency_key=new_id(),
    )


def booked(pair: Pair, *, when: datetime | None = None, minutes: int = 50, title: str = "Weekly") -> TherapySession:
    return service.session_create(
        user=pair.therapist,
        client_id=pair.client.account_id,
        title=title,
        scheduled_for=when or in_days(3),
        duration_minutes=minutes,
        location="Room 4",
        idempotency_key=new_id(),
        confirm_overlap=True,
    )


def moved_to(pair: Pair, session: TherapySession, status: SessionStatus) -> TherapySession:
    """Walk an approved session forward to ``status`` through the services."""
    if status in (SessionStatus.OPEN, SessionStatus.CLOSED):
        session = service.session_open(user=pair.therapist, session_id=session.session_id)
    if status is SessionStatus.CLOSED:
        session = service.session_close(user=pair.therapist, session_id=session.session_id)
    return session
