"""A client's cancel and an agreed move keep the booking claims right: the cancelled time is free to book
again, and a moved session holds its new time (and no longer its old one)."""

from __future__ import annotations

from datetime import timedelta

from portal.domain import SessionStatus
from portal.dynamo import schema
from portal.dynamo.booking import BookingRepository
from portal.dynamo.connection import get_gateway
from portal.ids import new_id
from portal.services import sessions as service
from tests.factories import make_session
from tests.sessions_data import Pair, care_pair, in_days


def _claimed_times(therapist_id: str) -> list[str]:
    gateway = get_gateway()
    response = gateway.client.query(
        TableName=gateway.table_name(schema.BOOKINGS),
        KeyConditionExpression="therapistId = :t AND begins_with(bookingKey, :c)",
        ExpressionAttributeValues={":t": {"S": therapist_id}, ":c": {"S": "claim#"}},
        ConsistentRead=True,
    )
    return sorted(item["bookingKey"]["S"] for item in response["Items"])


def _booked_online(pair: Pair, days: float):
    session = make_session(
        therapist_id=pair.therapist.account_id,
        client_id=pair.client.account_id,
        scheduled_for=in_days(days),
        status=SessionStatus.APPROVED,
    )
    stored, created = BookingRepository().create_claimed(session, idempotency_key=new_id())
    assert created
    return stored


def test_a_client_cancel_frees_the_time_for_another_booking(dynamo):
    pair = care_pair()
    session = _booked_online(pair, 5)
    assert len(_claimed_times(pair.therapist.account_id)) == 1

    service.session_cancel_by_client(user=pair.client, session_id=session.session_id)

    assert _claimed_times(pair.therapist.account_id) == []
    again = make_session(therapist_id=pair.therapist.account_id, scheduled_for=session.scheduled_for)
    assert BookingRepository().create_claimed(again, idempotency_key=new_id())[1]


def test_an_agreed_move_holds_the_new_time_and_frees_the_old(dynamo):
    pair = care_pair()
    session = _booked_online(pair, 5)
    before = _claimed_times(pair.therapist.account_id)
    asked = service.session_move_request(
        user=pair.client, session_id=session.session_id, scheduled_for=session.scheduled_for + timedelta(days=1)
    )
    assert _claimed_times(pair.therapist.account_id) == before  # asking moves nothing

    moved = service.session_move_answer(user=pair.therapist, session_id=asked.session_id, approve=True)

    after = _claimed_times(pair.therapist.account_id)
    assert moved.scheduled_for == session.scheduled_for + timedelta(days=1)
    assert len(after) == 1 and after != before
    old_time = make_session(therapist_id=pair.therapist.account_id, scheduled_for=session.scheduled_for)
    assert BookingRepository().create_claimed(old_time, idempotency_key=new_id())[1]
