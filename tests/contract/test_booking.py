"""BookingRepository: availability, claims of booked times (one session per time however many ask), series, waitlist."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from portal.availability import Availability, HoursRange, TimeTaken
from portal.domain import Conflict, SessionStatus
from portal.dynamo import schema
from portal.dynamo.booking import BookingRepository, Series, WaitRequest, claim_sort_key
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from tests.contract.test_concurrency import _all_at_once, _count, _make_moto_atomic
from tests.factories import make_session

START = (datetime.now(UTC) + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
REQUESTS = 20


def _claims(dynamo: DynamoGateway, therapist_id: str) -> list[dict[str, object]]:
    response = dynamo.client.query(
        TableName=dynamo.table_name(schema.BOOKINGS),
        KeyConditionExpression="therapistId = :t AND begins_with(bookingKey, :c)",
        ExpressionAttributeValues={":t": {"S": therapist_id}, ":c": {"S": "claim#"}},
        ConsistentRead=True,
    )
    return response["Items"]


def test_it_saves_availability_once_per_version(dynamo: DynamoGateway) -> None:
    repo = BookingRepository()
    therapist_id = new_id()
    assert repo.availability(therapist_id) is None
    hours = Availability(
        therapist_id=therapist_id,
        zone="America/New_York",
        weekly_hours={
            0: (HoursRange(time(9), time(12)), HoursRange(time(13), time(17))),
            4: (HoursRange(time(8), time(10)),),
        },
        session_minutes=45,
        gap_minutes=15,
        horizon_weeks=4,
        notice_hours=12,
        dates_off=frozenset({date(2026, 12, 25), date(2026, 12, 31)}),
        online_requests=False,
        instant_booking=True,
    )

    saved = repo.save_availability(hours, expected_version=0)

    assert saved.version == 1
    assert repo.availability(therapist_id, consistent=True) == saved
    with pytest.raises(Conflict):
        repo.save_availability(replace(hours, gap_minutes=0), expected_version=0)
    again = repo.save_availability(replace(saved, gap_minutes=0), expected_version=1)
    assert repo.availability(therapist_id, consistent=True) == again
    assert again.gap_minutes == 0 and again.version == 2


def test_it_stores_a_session_with_the_claim_of_its_time_and_refuses_a_second(dynamo: DynamoGateway) -> None:
    repo = BookingRepository()
    first = make_session(scheduled_for=START)
    stored, created = repo.create_claimed(first, idempotency_key=new_id())
    assert created and stored == first
    [claim] = _claims(dynamo, first.therapist_id)
    assert claim["sessionId"] == {"S": first.session_id}
    expires = int(claim["expiresAt"]["N"])  # type: ignore[index]
    assert expires == int((first.ends_at + timedelta(days=1)).timestamp())

    other = make_session(therapist_id=first.therapist_id, scheduled_for=START)
    with pytest.raises(TimeTaken):
        repo.create_claimed(other, idempotency_key=new_id())
    assert SessionRepository().get(other.session_id) is None
    # Another therapist's same time is theirs to book.
    repo.create_claimed(make_session(scheduled_for=START), idempotency_key=new_id())


def test_a_repeated_form_gets_the_first_session_back(dynamo: DynamoGateway) -> None:
    repo = BookingRepository()
    key = new_id()
    first = make_session(scheduled_for=START)
    repo.create_claimed(first, idempotency_key=key)
    twin = replace(first, session_id=new_id())
    stored, created = repo.create_claimed(twin, idempotency_key=key)
    assert (stored.session_id, created) == (first.session_id, False)
    assert SessionRepository().get(twin.session_id) is None


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.REJECTED])
def test_declining_or_cancelling_releases_the_time_in_the_same_write(
    dynamo: DynamoGateway, status: SessionStatus
) -> None:
    repo = BookingRepository()
    first = make_session(scheduled_for=START)
    repo.create_claimed(first, idempotency_key=new_id())

    ended = repo.update_releasing(replace(first, status=status), expected_version=1)

    assert ended.version == 2
    assert SessionRepository().get(first.session_id).status is status  # type: ignore[union-attr]
    assert _claims(dynamo, first.therapist_id) == []
    second = make_session(therapist_id=first.therapist_id, scheduled_for=START)
    assert repo.create_claimed(second, idempotency_key=new_id())[1]


def test_a_stale_release_changes_nothing(dynamo: DynamoGateway) -> None:
    repo = BookingRepository()
    first = make_session(scheduled_for=START)
    repo.create_claimed(first, idempotency_key=new_id())
    with pytest.raises(Conflict):
        repo.update_releasing(replace(first, status=SessionStatus.CANCELLED), expected_version=7)
    assert len(_claims(dynamo, first.therapist_id)) == 1
    assert SessionRepository().get(first.session_id).status is SessionStatus.PENDING  # type: ignore[union-attr]


def test_releasing_a_session_that_never_claimed_leaves_anothers_claim(dynamo: DynamoGateway) -> None:
    repo = BookingRepository()
    booked = make_session(scheduled_for=START)
    repo.create_claimed(booked, idempotency_key=new_id())
    typed = SessionRepository().create(make_session(therapist_id=booked.therapist_id, scheduled_for=START))
    repo.update_releasing(replace(typed, status=SessionStatus.CANCELLED), expected_version=1)
    [claim] = _claims(dynamo, booked.therapist_id)
    assert claim["sessionId"] == {"S": booked.session_id}


@pytest.mark.parametrize(
    "change",
    [
        {"scheduled_for": START + timedelta(days=1)},  # a reschedule
        {"status": SessionStatus.CANCELLED},  # the end of a relationship cancels without knowing of claims
    ],
)
def test_a_claim_whose_session_no_longer_holds_the_time_is_taken_over(
    dynamo: DynamoGateway, change: dict[str, object]
) -> None:
    repo = BookingRepository()
    first = make_session(scheduled_for=START)
    repo.create_claimed(first, idempotency_key=new_id())
    SessionRepository().update(replace(first, **change), expected_version=1)  # type: ignore[arg-type]

    second = make_session(therapist_id=first.therapist_id, scheduled_for=START)
    stored, created = repo.create_claimed(second, idempotency_key=new_id())

    assert created
    [claim] = _claims(dynamo, first.therapist_id)
    assert claim["sessionId"] == {"S": second.session_id}
    assert claim["bookingKey"] == {"S": claim_sort_key(START)}


@pytest.fixture
def engine(request: pytest.FixtureRequest, dynamo: DynamoGateway, monkeypatch: pytest.MonkeyPatch) -> DynamoGateway:
    if request.node.callspec.params["dynamo"] == "moto":
        _make_moto_atomic(monkeypatch)
    return dynamo


def test_20_concurrent_requests_for_one_time_make_exactly_one_session(engine: DynamoGateway) -> None:
    repo = BookingRepository()
    therapist_id = new_id()
    sessions = [make_session(therapist_id=therapist_id, scheduled_for=START) for _ in range(REQUESTS)]

    def book(n: int) -> str:
        try:
            repo.create_claimed(sessions[n], idempotency_key=new_id())
        except TimeTaken:
            return "taken"
        return "booked"

    outcomes = _all_at_once(REQUESTS, book)

    assert sorted(outcomes) == ["booked"] + ["taken"] * (REQUESTS - 1)
    winner = sessions[outcomes.index("booked")]
    assert _count(engine, schema.SESSIONS) == 1
    assert SessionRepository().get(winner.session_id) == winner
    [claim] = _claims(engine, therapist_id)
    assert claim["sessionId"] == {"S": winner.session_id}


def test_it_keeps_a_series_and_a_waitlist(dynamo: DynamoGateway) -> None:
    repo = BookingRepository()
    therapist_id, client_id = new_id(), new_id()
    occurrences = ((START, "s1"), (START + timedelta(weeks=1), "s2"))
    repo.save_series(Series("x1", therapist_id, client_id, occurrences))
    assert repo.series(therapist_id, "x1") == Series("x1", therapist_id, client_id, occurrences)
    assert repo.series(therapist_id, "nope") is None

    wish = WaitRequest(therapist_id, client_id, date(2026, 6, 1), date(2026, 6, 14))
    repo.wait(wish)
    repo.wait(replace(wish, last_day=date(2026, 6, 21)))  # renewed, not doubled
    assert repo.waiting(therapist_id) == [replace(wish, last_day=date(2026, 6, 21))]
    assert repo.stop_waiting(therapist_id, client_id) is True
    assert repo.stop_waiting(therapist_id, client_id) is False
    assert repo.waiting(therapist_id) == []


def test_20_concurrent_requests_over_http_make_one_session_and_19_see_the_time_taken(engine: DynamoGateway) -> None:
    from django.test import Client as HttpClient

    from portal.domain import AccountKind, MappingStatus
    from portal.dynamo.mappings import MappingRepository
    from tests.accounts import log_in, make_account

    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara")
    hours = {d: (HoursRange(time(0), time(23, 59)),) for d in range(7)}
    BookingRepository().save_availability(
        Availability(therapist_id=therapist.account_id, zone="UTC", weekly_hours=hours, notice_hours=0),
        expected_version=0,
    )
    browsers = []
    for n in range(REQUESTS):
        client = make_account(AccountKind.CLIENT, name=f"Client {n}")
        MappingRepository().put(client.account_id, therapist.account_id, MappingStatus.ACTIVE, therapist_name="Dr Tara")
        http = HttpClient()
        log_in(http, client)
        browsers.append(http)
    start = START.replace(hour=10)
    key = start.strftime("%Y-%m-%dT%H:%MZ")

    def ask(n: int) -> int:
        response = browsers[n].post(
            f"/booking/{therapist.account_id}/request/", {"start": key, "message": "", "idempotency_key": new_id()}
        )
        return response.status_code

    statuses = _all_at_once(REQUESTS, ask)

    assert sorted(statuses) == [302] + [409] * (REQUESTS - 1)
    sessions = SessionRepository().list_by_therapist(therapist.account_id, limit=50).items
    assert len(sessions) == 1 and sessions[0].scheduled_for == start
    [claim] = _claims(engine, therapist.account_id)
    assert claim["sessionId"] == {"S": sessions[0].session_id}


def test_moving_a_session_moves_its_claim_in_the_same_write(dynamo: DynamoGateway) -> None:
    repo = BookingRepository()
    first = make_session(scheduled_for=START, status=SessionStatus.APPROVED)
    repo.create_claimed(first, idempotency_key=new_id())
    later = START + timedelta(hours=2)

    moved = repo.update_moving(replace(first, scheduled_for=later), previous_start=START, expected_version=1)

    assert moved.version == 2
    [claim] = _claims(dynamo, first.therapist_id)
    assert claim["bookingKey"] == {"S": claim_sort_key(later)}
    # Onto a time another session holds: refused, nothing changes.
    other = make_session(therapist_id=first.therapist_id, scheduled_for=START)
    repo.create_claimed(other, idempotency_key=new_id())
    with pytest.raises(TimeTaken):
        repo.update_moving(replace(moved, scheduled_for=START), previous_start=later, expected_version=2)
    assert SessionRepository().get(first.session_id).scheduled_for == later  # type: ignore[union-attr]
    assert len(_claims(dynamo, first.therapist_id)) == 2


def test_moving_a_session_typed_in_by_hand_claims_its_new_time(dynamo: DynamoGateway) -> None:
    repo = BookingRepository()
    typed = SessionRepository().create(make_session(scheduled_for=START))
    booked = make_session(therapist_id=typed.therapist_id, scheduled_for=START)
    repo.create_claimed(booked, idempotency_key=new_id())  # the same start: typed in sessions never claimed
    later = START + timedelta(hours=3)
    repo.update_moving(replace(typed, scheduled_for=later), previous_start=START, expected_version=1)
    claims = {c["bookingKey"]["S"]: c["sessionId"]["S"] for c in _claims(dynamo, typed.therapist_id)}  # type: ignore[index]
    assert claims == {claim_sort_key(START): booked.session_id, claim_sort_key(later): typed.session_id}
