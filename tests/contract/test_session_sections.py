"""The session lists' sections (GSI_Session_TherapistSection, GSI_Session_ClientSection): every page full,
none twice, none missing, and cursors that stay valid as the clock moves; on moto and on the local engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from portal.domain import AccountKind, InvalidCursor, SessionStatus
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.timeutil import utcnow
from tests.factories import make_session
from tests.sessions_lists_data import PER_SECTION, seed_mixed_sessions

PAGE = 20


def _pages(owner: str, owner_id: str, section: str, *, newest_first: bool = False) -> list[list[str]]:
    repo = SessionRepository()
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        # Each page with its own clock, an hour later than the one before: the cursor still holds.
        page = repo.list_section(
            owner,  # type: ignore[arg-type]
            owner_id,
            section,  # type: ignore[arg-type]
            after=utcnow() - timedelta(hours=1) + timedelta(hours=len(pages)) if section == "upcoming" else None,
            newest_first=newest_first,
            limit=PAGE,
            cursor=cursor,
        )
        pages.append([s.session_id for s in page.items])
        if not page.next_cursor:
            return pages
        cursor = page.next_cursor


@pytest.mark.parametrize("owner", ["therapist", "client"])
def test_it_pages_each_section_of_45_in_mixed_states_in_three_full_pages(dynamo: DynamoGateway, owner: str) -> None:
    therapist_id, client_id = new_id(), new_id()
    expected = seed_mixed_sessions(therapist_id, client_id)
    owner_id = therapist_id if owner == "therapist" else client_id

    for section, newest_first, ids in (
        ("upcoming", False, expected.upcoming),
        ("requests", False, expected.requests),
        ("history", True, expected.history),
    ):
        pages = _pages(owner, owner_id, section, newest_first=newest_first)
        assert [len(p) for p in pages] == [PAGE, PAGE, PER_SECTION - 2 * PAGE], section
        assert [i for p in pages for i in p] == ids, section


def test_it_shows_a_request_behind_21_approved_sessions_on_the_first_page(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    therapist_id, client_id = new_id(), new_id()
    start = utcnow() + timedelta(days=1)
    for n in range(21):
        repo.create(
            make_session(
                therapist_id=therapist_id, client_id=client_id, scheduled_for=start + timedelta(hours=n),
                status=SessionStatus.APPROVED,
            )
        )
    waiting = make_session(therapist_id=therapist_id, client_id=client_id, scheduled_for=start + timedelta(days=2))
    repo.create(waiting)

    page = repo.list_section("therapist", therapist_id, "requests", limit=PAGE)

    assert [s.session_id for s in page.items] == [waiting.session_id]
    assert page.next_cursor is None


def test_it_moves_a_session_between_sections_with_the_write_that_changes_its_status(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    session = make_session(status=SessionStatus.APPROVED)
    repo.create(session)
    cancelled = repo.update(
        replace(session, status=SessionStatus.CANCELLED, cancelled_by=AccountKind.CLIENT, late_cancellation=True),
        expected_version=session.version,
    )

    assert repo.list_section("therapist", session.therapist_id, "upcoming").items == []
    history = repo.list_section("client", session.client_id, "history").items
    assert [s.session_id for s in history] == [session.session_id]
    assert history[0].late_cancellation is True and cancelled.late_cancellation is True


def test_it_refuses_a_cursor_of_another_section_or_person(dynamo: DynamoGateway) -> None:
    therapist_id, client_id = new_id(), new_id()
    seed_mixed_sessions(therapist_id, client_id)
    repo = SessionRepository()
    cursor = repo.list_section("therapist", therapist_id, "requests", limit=PAGE).next_cursor
    assert cursor

    with pytest.raises(InvalidCursor):
        repo.list_section("therapist", therapist_id, "history", limit=PAGE, cursor=cursor)
    with pytest.raises(InvalidCursor):
        repo.list_section("therapist", new_id(), "requests", limit=PAGE, cursor=cursor)
    with pytest.raises(InvalidCursor):
        repo.list_section("client", client_id, "requests", limit=PAGE, cursor=cursor)


def test_it_checks_overlap_against_every_approved_session_in_the_window(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    therapist_id = new_id()
    at = utcnow().replace(microsecond=0) + timedelta(days=3)
    # 130 approved sessions starting in the 45 minutes before ``at``, all overlapping it: more than a page.
    for n in range(130):
        repo.create(
            make_session(
                therapist_id=therapist_id, scheduled_for=at - timedelta(minutes=n % 45), status=SessionStatus.APPROVED
            )
        )
    with count_dynamodb_calls() as calls:
        found = repo.list_around(therapist_id, at, at + timedelta(minutes=50))
    assert len(found) == 130
    # A hundred at a time: the read grows with the sessions in the window, never stops at one page.
    assert calls.by_operation()["Query"] == 2


def test_it_gives_stored_sessions_their_section_keys_once(dynamo: DynamoGateway) -> None:
    repo = SessionRepository()
    session = make_session(status=SessionStatus.CLOSED)
    repo.create(session)
    # As stored before the section indexes: without their keys.
    from portal.dynamo import schema

    dynamo.client.update_item(
        TableName=dynamo.table_name(schema.SESSIONS),
        Key={"sessionId": {"S": session.session_id}},
        UpdateExpression="REMOVE therapistSection, clientSection",
    )
    assert repo.list_section("client", session.client_id, "history").items == []

    assert repo.backfill_sections() == 1
    assert repo.backfill_sections() == 0
    assert [s.session_id for s in repo.list_section("client", session.client_id, "history").items] == [session.session_id]
