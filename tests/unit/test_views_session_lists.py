"""Both people's session lists with 45 sessions in each section (mixed states): page 1, 2 and 3 by the
"More" links, with and without htmx; nothing vanishes (declined, cancelled, closed early); the client's
cancel inside and outside the therapist's window; cancelling, closing and declining ask first."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind, SessionStatus
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.therapists import TherapistRepository
from portal.services import sessions as service
from portal.timeutil import utcnow
from tests.accounts import log_in
from tests.factories import make_session
from tests.sessions_data import Pair, booked, care_pair, in_days, moved_to, requested
from tests.sessions_lists_data import PER_SECTION, seed_mixed_sessions

SESSION_LINK = re.compile(r'href="/(?:therapist|client)/sessions/([0-9A-Z]{26})/"')


@pytest.fixture
def pair(dynamo) -> Pair:
    return care_pair()


def _as(user) -> HttpClient:
    http = HttpClient()
    log_in(http, user)
    return http


def _section(body: str, name: str) -> str:
    start = body.index(f'id="{name}-list"')
    return body[start : body.index("</ol>", start)]


def _more(text: str, name: str) -> str | None:
    found = re.search(rf'id="{name}-more" class="load-more"><a class="button secondary" href="\?{name}=([^"]+)"', text)
    return found.group(1).replace("&amp;", "&") if found else None


def _walk(http: HttpClient, url: str, name: str, *, htmx: bool) -> list[list[str]]:
    """The ids of each page of one section, following its "More" link to the end."""
    body = http.get(url).content.decode()
    text = _section(body, name)
    pages = [SESSION_LINK.findall(text)]
    cursor = _more(text, name)
    while cursor:
        headers = {"HX-Request": "true"} if htmx else {}
        response = http.get(f"{url}?{name}={cursor}", headers=headers)
        assert response.status_code == 200, response.content[:300]
        text = response.content.decode() if htmx else _section(response.content.decode(), name)
        pages.append(SESSION_LINK.findall(text))
        cursor = _more(text, name)
    return pages


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize(
    ("side", "url", "sections"),
    [
        ("therapist", "/therapist/sessions/", (("agenda", "upcoming"), ("requests", "requests"), ("past", "history"))),
        ("client", "/client/sessions/", (("upcoming", "upcoming"), ("pending", "requests"), ("past", "history"))),
    ],
)
def test_it_pages_every_list_of_45_mixed_sessions_in_three_pages(pair, side, url, sections, htmx):
    expected = seed_mixed_sessions(pair.therapist.account_id, pair.client.account_id)
    http = _as(pair.therapist if side == "therapist" else pair.client)
    for name, section in sections:
        pages = _walk(http, url, name, htmx=htmx)
        size = service.PAGE_SIZE
        assert [len(p) for p in pages] == [size, size, PER_SECTION - 2 * size], name
        assert [i for p in pages for i in p] == getattr(expected, section), name


def test_it_keeps_a_more_link_working_after_the_clock_moved(pair, monkeypatch):
    seed_mixed_sessions(pair.therapist.account_id, pair.client.account_id)
    http = _as(pair.client)
    cursor = _more(_section(http.get("/client/sessions/").content.decode(), "upcoming"), "upcoming")
    assert cursor
    later = utcnow() + timedelta(minutes=7)
    monkeypatch.setattr(service, "utcnow", lambda: later)

    response = http.get(f"/client/sessions/?upcoming={cursor}", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "no longer valid" not in response.content.decode()
    assert len(SESSION_LINK.findall(response.content.decode())) == service.PAGE_SIZE


def test_it_keeps_declined_cancelled_and_early_closed_sessions_in_both_histories(pair):
    declined = requested(pair, when=in_days(6))
    service.session_reject(user=pair.therapist, session_id=declined.session_id, reason="Away that week")
    by_therapist = booked(pair, when=in_days(7))
    service.session_cancel(user=pair.therapist, session_id=by_therapist.session_id)
    by_client = booked(pair, when=in_days(8))
    service.session_cancel_by_client(user=pair.client, session_id=by_client.session_id)
    early = moved_to(pair, booked(pair, when=in_days(9)), SessionStatus.CLOSED)

    for user, url in ((pair.therapist, "/therapist/sessions/"), (pair.client, "/client/sessions/")):
        history = _section(_as(user).get(url).content.decode(), "past")
        # Newest first by the session's time.
        assert SESSION_LINK.findall(history) == [
            early.session_id, by_client.session_id, by_therapist.session_id, declined.session_id
        ]
    client_history = _section(_as(pair.client).get("/client/sessions/").content.decode(), "past")
    assert "“Away that week”" in client_history
    assert "cancelled by your therapist" in client_history and "cancelled by you" in client_history
    therapist_history = _section(_as(pair.therapist).get("/therapist/sessions/").content.decode(), "past")
    assert "cancelled by the client" in therapist_history and "cancelled by you" in therapist_history
    page = _as(pair.client).get(f"/client/sessions/{declined.session_id}/").content.decode()
    assert "Away that week" in page


def test_it_records_a_client_cancel_inside_the_window_as_late_and_shows_it_to_both(pair):
    soon = booked(pair, when=utcnow() + timedelta(hours=20))
    http = _as(pair.client)

    ask = http.get(f"/client/sessions/{soon.session_id}/cancel/")
    assert ask.status_code == 200
    assert 'id="late-warning"' in ask.content.decode() and "24 hours" in ask.content.decode()
    assert SessionRepository().get(soon.session_id).status is SessionStatus.APPROVED  # asking changes nothing

    assert http.post(f"/client/sessions/{soon.session_id}/cancel/").status_code == 302
    stored = SessionRepository().get(soon.session_id)
    assert stored.status is SessionStatus.CANCELLED and stored.late_cancellation
    assert stored.cancelled_by is AccountKind.CLIENT and stored.cancelled_at is not None
    assert "Late cancellation" in http.get(f"/client/sessions/{soon.session_id}/").content.decode()
    therapist_page = _as(pair.therapist).get(f"/therapist/sessions/{soon.session_id}/").content.decode()
    assert "Late cancellation" in therapist_page and "cancelled by the client" in therapist_page


def test_it_records_a_client_cancel_outside_the_window_as_on_time(pair):
    later = booked(pair, when=utcnow() + timedelta(hours=30))
    http = _as(pair.client)
    assert 'id="late-warning"' not in http.get(f"/client/sessions/{later.session_id}/cancel/").content.decode()

    http.post(f"/client/sessions/{later.session_id}/cancel/")

    stored = SessionRepository().get(later.session_id)
    assert stored.status is SessionStatus.CANCELLED and not stored.late_cancellation
    assert "Late cancellation" not in http.get(f"/client/sessions/{later.session_id}/").content.decode()
    assert "Cancelled" in http.get(f"/client/sessions/{later.session_id}/").content.decode()


def test_it_uses_the_therapists_own_cancellation_window(pair):
    TherapistRepository().set_cancellation_window(pair.therapist.account_id, 48)
    session = booked(pair, when=utcnow() + timedelta(hours=30))

    cancelled = service.session_cancel_by_client(user=pair.client, session_id=session.session_id)

    assert cancelled.late_cancellation
    assert TherapistRepository().get(pair.therapist.account_id).cancellation_window_hours == 48


def test_it_lets_the_client_cancel_only_an_approved_session_of_their_own(pair):
    waiting = requested(pair)
    http = _as(pair.client)
    http.post(f"/client/sessions/{waiting.session_id}/cancel/")
    assert SessionRepository().get(waiting.session_id).status is SessionStatus.PENDING
    stranger = care_pair()
    theirs = booked(stranger)
    assert http.get(f"/client/sessions/{theirs.session_id}/cancel/").status_code == 404
    assert http.post(f"/client/sessions/{theirs.session_id}/cancel/").status_code == 404
    assert SessionRepository().get(theirs.session_id).status is SessionStatus.APPROVED


def test_it_keeps_the_old_time_booked_until_the_therapist_approves_a_move(pair):
    session = booked(pair, when=in_days(4, hour=10))
    new_time = in_days(5, hour=15)
    http = _as(pair.client)
    response = http.post(
        f"/client/sessions/{session.session_id}/move/",
        {"day": new_time.date().isoformat(), "start_time": new_time.strftime("%H:%M")},
    )
    assert response.status_code == 302
    asked = SessionRepository().get(session.session_id)
    assert asked.status is SessionStatus.APPROVED and asked.scheduled_for == session.scheduled_for
    assert asked.proposed_for is not None
    # Still blocking its old time in the agenda.
    assert [s.session_id for s in SessionRepository().list_around(
        pair.therapist.account_id, session.scheduled_for, session.ends_at
    )] == [session.session_id]
    therapist = _as(pair.therapist)
    assert 'id="move-request"' in therapist.get(f"/therapist/sessions/{session.session_id}/").content.decode()

    assert therapist.post(f"/therapist/sessions/{session.session_id}/move_approve/").status_code == 302

    moved = SessionRepository().get(session.session_id)
    assert moved.scheduled_for == asked.proposed_for and moved.proposed_for is None


@pytest.mark.parametrize(("action", "submit"), [
    ("cancel", "Yes, cancel the session"), ("close", "Yes, close the session"), ("reject", "Decline the request"),
])
def test_it_asks_before_cancelling_closing_or_declining(pair, action, submit):
    session = requested(pair) if action == "reject" else booked(pair)
    if action == "close":
        session = moved_to(pair, session, SessionStatus.OPEN)
    http = _as(pair.therapist)

    page = http.get(f"/therapist/sessions/{session.session_id}/{action}/")

    assert page.status_code == 200
    body = page.content.decode()
    assert submit in body and f'action="/therapist/sessions/{session.session_id}/{action}/"' in body
    assert ('name="reason"' in body) is (action == "reject")
    assert SessionRepository().get(session.session_id).status is session.status
    detail = http.get(f"/therapist/sessions/{session.session_id}/").content.decode()
    # The session page's button opens the question (a GET form), it does not act.
    assert f'method="get" action="/therapist/sessions/{session.session_id}/{action}/"' in detail


def test_it_refuses_a_get_of_an_action_that_does_not_ask_first(pair):
    session = booked(pair)
    assert _as(pair.therapist).get(f"/therapist/sessions/{session.session_id}/open/").status_code == 405
    assert SessionRepository().get(session.session_id).status is SessionStatus.APPROVED


def test_it_shows_a_waiting_request_behind_21_approved_sessions(pair):
    repo = SessionRepository()
    start = utcnow() + timedelta(days=1)
    for n in range(21):
        repo.create(replace(
            make_session(therapist_id=pair.therapist.account_id, client_id=pair.client.account_id,
                         scheduled_for=start + timedelta(hours=n), status=SessionStatus.APPROVED),
            requested_by=AccountKind.THERAPIST,
        ))
    waiting = requested(pair, when=start + timedelta(days=3))
    body = _as(pair.therapist).get("/therapist/sessions/").content.decode()
    assert SESSION_LINK.findall(_section(body, "requests")) == [waiting.session_id]


def test_it_keeps_approved_sessions_whose_day_passed_unclosed_findable_by_both(pair):
    repo = SessionRepository()
    old = [
        repo.create(replace(
            make_session(therapist_id=pair.therapist.account_id, client_id=pair.client.account_id,
                         scheduled_for=utcnow() - timedelta(days=3 + n), status=SessionStatus.APPROVED),
            requested_by=AccountKind.THERAPIST,
        ))
        for n in range(service.PAGE_SIZE + 2)
    ]
    for user, url in ((pair.therapist, "/therapist/sessions/"), (pair.client, "/client/sessions/")):
        http = _as(user)
        body = http.get(url).content.decode()
        assert f'href="{url}earlier/"' in body
        assert old[0].session_id not in body  # out of the upcoming list once its day has passed
        pages = _walk(http, f"{url}earlier/", "earlier", htmx=True)
        assert [i for p in pages for i in p] == [s.session_id for s in old]  # newest first, none missing
        assert [len(p) for p in pages] == [service.PAGE_SIZE, 2]


def test_it_lists_a_withdrawn_request_in_both_histories_as_withdrawn(pair):
    asked = requested(pair, when=in_days(5))
    service.session_withdraw(user=pair.client, session_id=asked.session_id)
    for user, url in ((pair.therapist, "/therapist/sessions/"), (pair.client, "/client/sessions/")):
        history = _section(_as(user).get(url).content.decode(), "past")
        assert SESSION_LINK.findall(history) == [asked.session_id]
        assert "Withdrawn" in history and "cancelled by" not in history


def test_it_leaves_one_outcome_when_the_client_cancels_as_the_therapist_opens(pair, monkeypatch):
    session = booked(pair, when=utcnow() + timedelta(hours=30))
    # The client's cancel reads the session, then the therapist opens it before the cancel is written.
    read = service.session_for_client

    def read_then_opened(user, session_id):  # type: ignore[no-untyped-def]
        seen = read(user, session_id)
        service.session_open(user=pair.therapist, session_id=session_id)
        return seen

    monkeypatch.setattr(service, "session_for_client", read_then_opened)
    with pytest.raises(service.Conflict):
        service.session_cancel_by_client(user=pair.client, session_id=session.session_id)
    final = SessionRepository().get(session.session_id)
    assert final.status is SessionStatus.OPEN and final.cancelled_by is None
    # Only the history's section changes with a status: the open session is still upcoming.
    assert [s.session_id for s in SessionRepository().list_section(
        "client", pair.client.account_id, "upcoming").items] == [session.session_id]
