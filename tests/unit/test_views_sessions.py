"""Session pages for clients and therapists: access, requests, answers, notes, calendar files, cost."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client as HttpClient
from icalendar import Calendar

from portal.domain import AccountKind, SessionStatus
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.journal import JournalRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.services import sessions as service
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.factories import make_session
from tests.sessions_data import Pair, booked, care_pair, end_care, in_days, requested

MARKER = "PRIVATE-NOTE-MARKER-7f3a"


@pytest.fixture
def pair(dynamo) -> Pair:
    return care_pair()


def _own_calls(http: HttpClient, url: str) -> tuple[int, dict[str, int], object]:
    """The DynamoDB calls a page makes beyond what every signed-in page costs (the web
    session and the account), measured against a page that reads no data of its own."""
    with count_dynamodb_calls() as baseline:
        http.get("/accounts/password/change/")
    with count_dynamodb_calls() as calls:
        response = http.get(url)
    assert calls.count("Scan") == 0
    return calls.total - baseline.total, calls.by_operation(), response


def _as(user) -> HttpClient:
    http = HttpClient()
    log_in(http, user)
    return http


def _with_private_notes(pair: Pair):
    session = booked(pair)
    return service.session_notes_save(
        user=pair.therapist, session_id=session.session_id, version=session.version,
        private_notes=MARKER, shared_notes="Try the breathing exercise",
    )


def _client_urls(session_id: str) -> list[str]:
    return ["/client/sessions/", f"/client/sessions/{session_id}/", f"/client/sessions/{session_id}/session.ics"]


def _therapist_urls(session_id: str) -> list[str]:
    return [
        "/therapist/sessions/",
        f"/therapist/sessions/{session_id}/",
        f"/therapist/sessions/{session_id}/reschedule/",
        f"/therapist/sessions/{session_id}/session.ics",
    ]


# --- access -----------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_login(pair):
    session = booked(pair)
    http = HttpClient()
    for url in _client_urls(session.session_id) + _therapist_urls(session.session_id):
        response = http.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    response = http.post(f"/therapist/sessions/{session.session_id}/cancel/")
    assert response.status_code == 302
    assert SessionRepository().get(session.session_id).status is SessionStatus.APPROVED


def test_it_refuses_the_other_kinds_of_account_and_staff(pair):
    session = booked(pair)
    staff = make_account(AccountKind.STAFF)
    for user, urls in (
        (pair.therapist, _client_urls(session.session_id)),
        (pair.client, _therapist_urls(session.session_id)),
        (staff, _client_urls(session.session_id) + _therapist_urls(session.session_id)),
    ):
        http = _as(user)
        for url in urls:
            assert http.get(url).status_code == 403, (user.kind, url)


def test_it_answers_404_for_another_clients_and_another_therapists_session(pair):
    session = _with_private_notes(pair)
    other = care_pair()
    client_http, therapist_http = _as(other.client), _as(other.therapist)
    for url in _client_urls(session.session_id)[1:]:
        assert client_http.get(url).status_code == 404
    for url in _therapist_urls(session.session_id)[1:]:
        assert therapist_http.get(url).status_code == 404
    assert client_http.post(f"/client/sessions/{session.session_id}/withdraw/").status_code == 404
    for action in ("approve", "reject", "open", "close", "cancel"):
        assert therapist_http.post(f"/therapist/sessions/{session.session_id}/{action}/").status_code == 404
    response = therapist_http.post(
        f"/therapist/sessions/{session.session_id}/",
        {"private_notes": "hijack", "shared_notes": "", "version": str(session.version)},
    )
    assert response.status_code == 404
    assert SessionRepository().get(session.session_id).private_notes == MARKER
    assert client_http.get("/client/sessions/not-an-id/").status_code == 404


# --- the client's pages --------------------------------------------------------------


def _request_form(pair: Pair, **overrides: str) -> dict[str, str]:
    day = (utcnow() + timedelta(days=4)).date().isoformat()
    return {
        "therapist": pair.therapist.account_id, "title": "Sleep", "day": day, "start_time": "15:30",
        "message": "Evenings are hard", "idempotency_key": new_id(), **overrides,
    }


def test_it_stores_a_request_in_the_clients_time_zone_once_however_often_it_is_posted(pair):
    http = _as(pair.client)  # Europe/London
    form = _request_form(pair)
    first = http.post("/client/sessions/", form)
    second = http.post("/client/sessions/", form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    sessions = SessionRepository().list_by_client(pair.client.account_id).items
    assert len(sessions) == 1
    from zoneinfo import ZoneInfo

    local = sessions[0].scheduled_for.astimezone(ZoneInfo("Europe/London"))
    assert (local.date().isoformat(), local.strftime("%H:%M")) == (form["day"], "15:30")
    assert sessions[0].status is SessionStatus.PENDING


def test_it_keeps_what_the_client_typed_when_the_request_is_refused(pair):
    http = _as(pair.client)
    response = http.post("/client/sessions/", _request_form(pair, day="2001-01-01", message="Keep these words"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a time that has not passed yet." in body
    assert "Keep these words" in body
    assert SessionRepository().list_by_client(pair.client.account_id).items == []


def test_it_never_shows_private_notes_to_the_client(pair):
    session = _with_private_notes(pair)
    http = _as(pair.client)
    for url in _client_urls(session.session_id):
        response = http.get(url)
        assert response.status_code == 200, url
        assert MARKER not in response.content.decode(), url
    detail = http.get(f"/client/sessions/{session.session_id}/").content.decode()
    assert "Try the breathing exercise" in detail
    # Nor through the therapist's pages while logged in as the client.
    assert http.get(f"/therapist/sessions/{session.session_id}/").status_code == 403


def test_it_lets_the_client_withdraw_a_pending_request(pair):
    session = requested(pair)
    http = _as(pair.client)
    response = http.post(f"/client/sessions/{session.session_id}/withdraw/")
    assert response.status_code == 302
    assert SessionRepository().get(session.session_id).status is SessionStatus.CANCELLED
    assert "Withdrawn" in http.get(f"/client/sessions/{session.session_id}/").content.decode()


def test_it_lists_the_clients_sessions_at_constant_cost(dynamo):
    counts = []
    for size in (2, 30):
        pair = care_pair()
        for day in range(size):
            booked(pair, when=in_days(day + 1))
        own, operations, response = _own_calls(_as(pair.client), "/client/sessions/")
        assert response.status_code == 200
        counts.append((own, operations))
    assert counts[0] == counts[1]
    # 3 listings, their titles and shared notes (one BatchGetItem: the index copies no
    # clinical text), the keys of that text (one BatchGetItem), the therapists
    # (Query + BatchGetItem), the calendar feed's state
    assert counts[0][0] == 8


# --- the therapist's pages -------------------------------------------------------------


def test_it_shows_the_agenda_in_time_order_and_requests_separately(pair):
    later = booked(pair, when=in_days(5))
    sooner = booked(pair, when=in_days(2))
    request = requested(pair, when=in_days(3))
    body = _as(pair.therapist).get("/therapist/sessions/").content.decode()
    agenda = body[body.index('id="agenda-list"') : body.index('id="requests-list"')]
    assert agenda.index(sooner.session_id) < agenda.index(later.session_id)
    assert request.session_id not in agenda
    assert request.session_id in body[body.index('id="requests-list"') :]


def test_it_makes_the_same_few_calls_for_a_small_and_a_full_agenda(dynamo):
    counts = []
    for size in (2, 40):
        pair = care_pair()
        for day in range(size):
            booked(pair, when=in_days(day % 20 + 1, hour=8 + day // 20))
        own, operations, response = _own_calls(_as(pair.therapist), "/therapist/sessions/")
        assert response.status_code == 200
        counts.append((own, operations))
    assert counts[0] == counts[1]
    # agenda, requests, past, their titles (one BatchGetItem: the index copies no
    # clinical text), the keys of the titles (one BatchGetItem), the clients
    # (Query + BatchGetItem), the calendar feed's state
    assert counts[0][0] == 8


def test_it_pages_the_agenda_with_a_link_that_works_with_and_without_htmx(pair):
    made = [booked(pair, when=in_days(1 + n // 8, hour=8 + n % 8)) for n in range(service.PAGE_SIZE + 3)]
    http = _as(pair.therapist)
    body = http.get("/therapist/sessions/").content.decode()
    link = re.search(r'<li id="agenda-more" class="load-more"><a class="button secondary" href="\?agenda=([^"]+)" hx-get="/therapist/sessions/\?agenda=\1"', body)
    assert link, "a More link with both href and hx-get"
    assert made[-1].session_id not in body
    cursor = link.group(1).replace("&amp;", "&")
    plain = http.get(f"/therapist/sessions/?agenda={cursor}")
    fragment = http.get(f"/therapist/sessions/?agenda={cursor}", headers={"HX-Request": "true"})
    assert plain.status_code == fragment.status_code == 200
    assert "<html" in plain.content.decode()
    text = fragment.content.decode()
    assert "<html" not in text and made[-1].session_id in text and 'id="agenda-more"' not in text
    assert f'href="/therapist/sessions/{made[-1].session_id}/"' in text


def _since_last_panel(body: str) -> str:
    """The "since the last session" section of a therapist's session page (the notes come after it)."""
    start = body.index('id="since-last"')
    return body[start : body.index('id="notes"', start)]


def test_it_reads_a_session_page_with_its_panel_in_under_six_calls_of_its_own(pair):
    session = booked(pair)
    for n in range(30):
        made = journal_entry_create(
            client_id=pair.client.account_id, time_of_emotion=utcnow() - timedelta(hours=n + 1),
            feeling="calm", intensity=3, note="",
        )
        JournalRepository().set_shared(pair.client.account_id, made.entry_id, utcnow())
    own, operations, response = _own_calls(_as(pair.therapist), f"/therapist/sessions/{session.session_id}/")
    assert response.status_code == 200
    assert _since_last_panel(response.content.decode()).count('<li class="entry">') == 30
    # The session and the keys of its text, the mapping with the relationship record
    # (one BatchGetItem), the shared entries (whose key is already read), the client's time zone.
    assert own == 5, operations


def test_it_books_a_session_directly_and_warns_about_an_overlap_first(pair):
    first = booked(pair, when=in_days(4, hour=10))
    http = _as(pair.therapist)
    local = first.scheduled_for  # the therapist's zone is UTC
    form = {
        "client": pair.client.account_id, "title": "Extra", "day": local.date().isoformat(),
        "start_time": "10:20", "duration_minutes": "50", "location": "Room 4", "idempotency_key": new_id(),
    }
    warned = http.post("/therapist/sessions/", form)
    assert warned.status_code == 409
    body = warned.content.decode()
    assert "overlaps another session" in body
    assert re.search(r'name="confirm_overlap" value="True"', body)
    assert len(SessionRepository().list_by_therapist(pair.therapist.account_id).items) == 1
    confirmed = http.post("/therapist/sessions/", {**form, "confirm_overlap": "True"})
    assert confirmed.status_code == 302
    stored = SessionRepository().list_by_therapist(pair.therapist.account_id).items
    assert len(stored) == 2 and all(s.status is SessionStatus.APPROVED for s in stored)


def test_it_books_one_session_however_often_the_same_form_is_posted(pair):
    http = _as(pair.therapist)
    form = {
        "client": pair.client.account_id, "title": "Intake", "day": in_days(5).date().isoformat(),
        "start_time": "11:00", "duration_minutes": "50", "location": "Room 4", "idempotency_key": new_id(),
    }
    first, second = http.post("/therapist/sessions/", form), http.post("/therapist/sessions/", form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert len(SessionRepository().list_by_therapist(pair.therapist.account_id).items) == 1
    # A new form (a new key) books another.
    assert http.post("/therapist/sessions/", {**form, "idempotency_key": new_id(), "start_time": "14:00"}).status_code == 302
    assert len(SessionRepository().list_by_therapist(pair.therapist.account_id).items) == 2


def test_it_refuses_a_form_without_a_good_key_and_gives_the_typed_form_a_fresh_one(pair):
    http = _as(pair.client)
    form = _request_form(pair, idempotency_key="x")
    response = http.post("/client/sessions/", form)
    assert response.status_code == 400
    body = response.content.decode()
    assert "out of date" in body and "Evenings are hard" in body
    fresh = re.search(r'name="idempotency_key" value="([^"]+)"', body)
    assert fresh and fresh.group(1) != "x"
    assert SessionRepository().list_by_client(pair.client.account_id).items == []
    assert http.post("/client/sessions/", {**form, "idempotency_key": fresh.group(1)}).status_code == 302


def test_it_approves_and_rejects_requests_with_a_reason_the_client_reads(pair):
    http = _as(pair.therapist)
    one, two = requested(pair, when=in_days(2)), requested(pair, when=in_days(3))
    assert http.post(f"/therapist/sessions/{one.session_id}/approve/", {"location": "Room 2", "duration_minutes": "50"}).status_code == 302
    assert http.post(f"/therapist/sessions/{two.session_id}/reject/", {"reason": "Fully booked that day"}).status_code == 302
    assert SessionRepository().get(one.session_id).status is SessionStatus.APPROVED
    body = _as(pair.client).get(f"/client/sessions/{two.session_id}/").content.decode()
    assert "Declined" in body and "Fully booked that day" in body


def test_it_says_so_when_the_client_withdrew_before_the_approval(pair):
    session = requested(pair)
    service.session_withdraw(user=pair.client, session_id=session.session_id)
    http = _as(pair.therapist)
    response = http.post(f"/therapist/sessions/{session.session_id}/approve/", {"location": "", "duration_minutes": "50"}, follow=True)
    assert "cannot become approved" in response.content.decode()
    assert SessionRepository().get(session.session_id).status is SessionStatus.CANCELLED


def test_it_keeps_the_typed_notes_and_shows_the_newer_version_on_a_stale_save(pair):
    session = booked(pair)
    http = _as(pair.therapist)
    service.session_notes_save(
        user=pair.therapist, session_id=session.session_id, version=session.version,
        private_notes="Saved in the other tab", shared_notes="",
    )
    response = http.post(
        f"/therapist/sessions/{session.session_id}/",
        {"private_notes": "Typed here meanwhile", "shared_notes": "Homework", "version": str(session.version)},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "saved elsewhere" in body
    assert "Typed here meanwhile" in body and "Saved in the other tab" in body
    assert f'name="version" value="{session.version + 1}"' in body
    assert SessionRepository().get(session.session_id).private_notes == "Saved in the other tab"
    # Saving again after reading the conflict goes through.
    again = http.post(
        f"/therapist/sessions/{session.session_id}/",
        {"private_notes": "Merged", "shared_notes": "Homework", "version": str(session.version + 1)},
    )
    assert again.status_code == 302
    assert SessionRepository().get(session.session_id).private_notes == "Merged"


def test_it_saves_notes_through_htmx_with_the_notes_fragment(pair):
    session = booked(pair)
    response = _as(pair.therapist).post(
        f"/therapist/sessions/{session.session_id}/",
        {"private_notes": "p", "shared_notes": "s", "version": str(session.version)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="notes"') and "Notes saved." in body


def test_it_opens_closes_cancels_and_reschedules(pair):
    http = _as(pair.therapist)
    session = booked(pair)
    http.post(f"/therapist/sessions/{session.session_id}/open/")
    http.post(f"/therapist/sessions/{session.session_id}/close/")
    assert SessionRepository().get(session.session_id).status is SessionStatus.CLOSED
    other = booked(pair, when=in_days(6))
    day = in_days(8).date().isoformat()
    response = http.post(
        f"/therapist/sessions/{other.session_id}/reschedule/",
        {"day": day, "start_time": "09:15", "duration_minutes": "60", "location": "Room 1"},
    )
    assert response.status_code == 302
    moved = SessionRepository().get(other.session_id)
    assert (moved.scheduled_for.date().isoformat(), moved.scheduled_for.strftime("%H:%M"), moved.duration_minutes) == (day, "09:15", 60)
    http.post(f"/therapist/sessions/{other.session_id}/cancel/")
    cancelled = SessionRepository().get(other.session_id)
    assert (cancelled.status, cancelled.cancelled_by) == (SessionStatus.CANCELLED, AccountKind.THERAPIST)


def test_it_starts_the_next_sessions_panel_at_the_session_closed_on_its_page(pair):
    http = _as(pair.therapist)
    held = SessionRepository().create(
        make_session(
            client_id=pair.client.account_id, therapist_id=pair.therapist.account_id,
            scheduled_for=utcnow() - timedelta(days=3), status=SessionStatus.APPROVED,
        )
    )
    for day, note in ((5, "BEFORE-THE-SESSION"), (1, "SINCE-THE-SESSION")):
        made = journal_entry_create(
            client_id=pair.client.account_id, time_of_emotion=utcnow() - timedelta(days=day),
            feeling="calm", intensity=3, note=note,
        )
        JournalRepository().set_shared(pair.client.account_id, made.entry_id, utcnow())
    next_one = booked(pair, when=in_days(2))
    body = http.get(f"/therapist/sessions/{next_one.session_id}/").content.decode()
    assert "Shared in the 30 days before this session" in body and "BEFORE-THE-SESSION" in body

    http.post(f"/therapist/sessions/{held.session_id}/open/")
    assert http.post(f"/therapist/sessions/{held.session_id}/close/").status_code == 302

    response = http.get(f"/therapist/sessions/{next_one.session_id}/")
    body = response.content.decode()
    since = re.search(r'felt between <time datetime="([^"]+)"', _since_last_panel(body))
    assert since and datetime.fromisoformat(since.group(1)) == held.scheduled_for.replace(second=0, microsecond=0)
    assert "Since the last session" in body
    assert "SINCE-THE-SESSION" in body and "BEFORE-THE-SESSION" not in body


def test_it_keeps_an_ended_relationships_session_readable_and_unchangeable(pair):
    session = _with_private_notes(pair)
    end_care(pair)
    therapist_http, client_http = _as(pair.therapist), _as(pair.client)
    page = therapist_http.get(f"/therapist/sessions/{session.session_id}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert MARKER in body and 'id="read-only"' in body and 'name="private_notes"' not in body
    saved = therapist_http.post(
        f"/therapist/sessions/{session.session_id}/",
        {"private_notes": "late edit", "shared_notes": "", "version": str(session.version)},
    )
    assert saved.status_code == 400
    assert SessionRepository().get(session.session_id).private_notes == MARKER
    assert client_http.get(f"/client/sessions/{session.session_id}/").status_code == 200


# --- calendar ------------------------------------------------------------------------------


def test_it_downloads_an_approved_session_as_a_neutral_ics_event(pair):
    session = _with_private_notes(pair)
    response = _as(pair.client).get(f"/client/sessions/{session.session_id}/session.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == "Therapy session"
    assert event.decoded("DTSTART") == session.scheduled_for
    assert event.decoded("DURATION") == timedelta(minutes=50)
    text = response.content.decode()
    for secret in (session.title, MARKER, "breathing", pair.therapist.name, "Room 4"):
        assert secret not in text


def test_it_refuses_an_ics_for_a_session_that_is_not_approved(pair):
    session = requested(pair)
    assert _as(pair.client).get(f"/client/sessions/{session.session_id}/session.ics").status_code == 404


def test_it_serves_a_private_feed_by_a_secret_url_stored_hashed_and_revocable(pair, dynamo):
    session = booked(pair)
    http = _as(pair.therapist)
    shown = http.post("/calendar/feed/", {"action": "create"})
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    url = re.search(r'value="(http://testserver/calendar/[^"]+\.ics)"', shown.content.decode()).group(1)
    token = url.rsplit("/", 1)[1][: -len(".ics")]
    stored = dynamo.client.scan(TableName=dynamo.table_name(__import__("portal.dynamo.schema", fromlist=["x"]).CALENDAR_FEEDS))
    assert token not in str(stored["Items"])
    feed = HttpClient().get(f"/calendar/{token}.ics")
    assert feed.status_code == 200
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{session.session_id}@therapy-portal"]
    assert all(str(e["SUMMARY"]) == "Therapy session" for e in events)
    # A new link revokes the old; turning it off revokes that one.
    renewed = http.post("/calendar/feed/", {"action": "create"}).content.decode()
    new_token = re.search(r'/calendar/([^"]+)\.ics"', renewed).group(1)
    assert HttpClient().get(f"/calendar/{token}.ics").status_code == 404
    assert HttpClient().get(f"/calendar/{new_token}.ics").status_code == 200
    http.post("/calendar/feed/", {"action": "revoke"})
    assert HttpClient().get(f"/calendar/{new_token}.ics").status_code == 404
    assert HttpClient().get("/calendar/made-up-token.ics").status_code == 404


def test_it_never_shows_session_text_on_the_staff_overview(pair):
    session = _with_private_notes(pair)
    body = (
        _as(make_account(AccountKind.STAFF))
        .get(f"/staff/sessions/?therapist={pair.therapist.account_id}")
        .content.decode()
    )
    assert session.client_id in body
    for secret in (MARKER, "Try the breathing exercise", session.title):
        assert secret not in body


def test_it_puts_the_request_and_the_answer_but_no_private_note_in_the_clients_export(pair):
    import io
    import json
    import zipfile

    session = requested(pair, message="My own words")
    service.session_notes_save(
        user=pair.therapist, session_id=session.session_id, version=session.version, private_notes=MARKER, shared_notes=""
    )
    service.session_reject(user=pair.therapist, session_id=session.session_id, reason="Away that week")
    response = _as(pair.client).post("/client/account/data/")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    [row] = json.loads(archive.read("sessions.json"))
    assert (row["requestMessage"], row["rejectionReason"], row["durationMinutes"]) == ("My own words", "Away that week", 50)
    assert all(MARKER not in archive.read(name).decode("utf-8-sig") for name in archive.namelist())
