"""Booking pages: therapist hours, the client's week of open times, one-tap requests, taken times, series, access."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail
from django.test import Client as HttpClient

from portal.availability import Availability, HoursRange
from portal.domain import AccountKind, MappingStatus, SessionStatus
from portal.dynamo.booking import BookingRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.services import booking as booking_service
from portal.services import sessions as session_service
from portal.services.open_times import OpenTime
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.sessions_data import Pair, care_pair

ALL_DAY = {d: (HoursRange(time(9), time(17)),) for d in range(7)}


@pytest.fixture
def pair(dynamo) -> Pair:
    return care_pair()


def _as(user) -> HttpClient:
    http = HttpClient()
    log_in(http, user)
    return http


def _hours(therapist_id: str, **overrides: object) -> Availability:
    values: dict[str, object] = {
        "therapist_id": therapist_id,
        "zone": "UTC",
        "weekly_hours": ALL_DAY,
        "notice_hours": 0,
    }
    values.update(overrides)
    return BookingRepository().save_availability(Availability(**values), expected_version=0)  # type: ignore[arg-type]


def _next_monday() -> date:
    today = utcnow().date()
    return today + timedelta(days=7 - today.weekday())


def _key(moment: datetime) -> str:
    return OpenTime(start=moment, end=moment, local_start=moment).key


def _slot(day_offset: int = 1, hour: int = 10) -> datetime:
    return datetime.combine(_next_monday() + timedelta(days=day_offset), time(hour), tzinfo=UTC)


def _request(http: HttpClient, therapist_id: str, start: datetime, key: str | None = None, message: str = ""):
    return http.post(
        f"/booking/{therapist_id}/request/",
        {"start": _key(start), "message": message, "idempotency_key": key or new_id()},
    )


def test_it_saves_the_therapists_hours_and_shows_them_again(pair: Pair) -> None:
    http = _as(pair.therapist)
    page = http.get("/booking/availability/")
    assert page.status_code == 200 and "Your hours" in page.content.decode()
    response = http.post(
        "/booking/availability/",
        {
            "version": "0",
            "monday": "09:00-12:00, 13:00-17:00",
            "wednesday": "10:00-14:00",
            "session_minutes": "50",
            "gap_minutes": "10",
            "horizon_weeks": "6",
            "notice_hours": "12",
            "dates_off": "2030-12-24\n2030-12-25",
            "online_requests": "on",
        },
    )
    assert response.status_code == 302
    saved = BookingRepository().availability(pair.therapist.account_id, consistent=True)
    assert saved is not None
    assert saved.weekly_hours[0] == (HoursRange(time(9), time(12)), HoursRange(time(13), time(17)))
    assert (saved.horizon_weeks, saved.notice_hours, saved.instant_booking) == (6, 12, False)
    assert saved.dates_off == frozenset({date(2030, 12, 24), date(2030, 12, 25)})
    assert saved.zone == "UTC"
    html = http.get("/booking/availability/").content.decode()
    assert "09:00-12:00, 13:00-17:00" in html and "2030-12-24" in html


def test_it_keeps_what_was_typed_when_hours_are_wrong(pair: Pair) -> None:
    http = _as(pair.therapist)
    response = http.post(
        "/booking/availability/",
        {"version": "0", "monday": "17:00-09:00", "session_minutes": "50", "gap_minutes": "10",
         "horizon_weeks": "8", "notice_hours": "24", "dates_off": ""},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "17:00-09:00" in html and "must end after it starts" in html
    assert BookingRepository().availability(pair.therapist.account_id) is None


def test_a_stale_save_of_hours_is_refused(pair: Pair) -> None:
    _hours(pair.therapist.account_id)
    response = _as(pair.therapist).post(
        "/booking/availability/",
        {"version": "0", "monday": "09:00-10:00", "session_minutes": "50", "gap_minutes": "10",
         "horizon_weeks": "8", "notice_hours": "24", "dates_off": ""},
    )  # fmt: skip
    assert response.status_code == 409
    assert "changed elsewhere" in response.content.decode()


def test_the_client_sees_open_times_in_their_own_zone_grouped_by_day(pair: Pair) -> None:
    _hours(pair.therapist.account_id, weekly_hours={1: (HoursRange(time(9), time(11)),)})
    monday = _next_monday()
    response = _as(pair.client).get(f"/booking/{pair.therapist.account_id}/?week={monday.isoformat()}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Book a time with Dr Tara" in html and "Europe/London" in html
    tuesday = monday + timedelta(days=1)
    # The client is in London: 09:00 UTC is 09:00 or 10:00 there, by the season.
    offset = int(
        datetime.combine(tuesday, time(9), tzinfo=UTC)
        .astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
        .utcoffset()
        .total_seconds()
        // 3600
    )  # noqa: E501
    assert f">{9 + offset:02d}:00</time>" in html and f">{10 + offset:02d}:00</time>" in html
    assert html.count('class="button secondary"') == 2
    assert html.count("No open times") == 6


def test_the_week_costs_a_fixed_number_of_calls_however_many_sessions(pair: Pair) -> None:
    from portal.dynamo.call_counter import count_dynamodb_calls

    _hours(pair.therapist.account_id)
    http = _as(pair.client)
    url = f"/booking/{pair.therapist.account_id}/?week={_next_monday().isoformat()}"
    http.get(url)

    def cost() -> int:
        with count_dynamodb_calls() as calls:
            assert http.get(url).status_code == 200
        assert calls.count("Scan") == 0
        return calls.total

    before = cost()
    for day in range(5):
        _request(http, pair.therapist.account_id, _slot(day, 9 + day))
    assert cost() == before


def test_a_client_books_a_time_in_two_taps(pair: Pair) -> None:
    _hours(pair.therapist.account_id)
    http = _as(pair.client)
    start = _slot()
    confirm = http.get(f"/booking/{pair.therapist.account_id}/request/?start={_key(start)}")
    assert confirm.status_code == 200
    assert "Session with Dr Tara" in confirm.content.decode()
    assert 'name="idempotency_key"' in confirm.content.decode()
    response = _request(http, pair.therapist.account_id, start, message="Evenings are hard")
    assert response.status_code == 302
    session_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    session = SessionRepository().get(session_id)
    assert session is not None
    assert (session.status, session.title, session.scheduled_for) == (
        SessionStatus.PENDING,
        "Session with Dr Tara",
        start,
    )
    assert session.request_message == "Evenings are hard"
    assert session.duration_minutes == 50


def test_instant_booking_approves_at_once(pair: Pair) -> None:
    _hours(pair.therapist.account_id, instant_booking=True)
    response = _request(_as(pair.client), pair.therapist.account_id, _slot())
    session_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert SessionRepository().get(session_id).status is SessionStatus.APPROVED  # type: ignore[union-attr]


def test_a_double_submit_makes_one_session(pair: Pair) -> None:
    _hours(pair.therapist.account_id)
    http = _as(pair.client)
    key = new_id()
    first = _request(http, pair.therapist.account_id, _slot(), key=key)
    second = _request(http, pair.therapist.account_id, _slot(), key=key)
    assert first["Location"] == second["Location"]
    assert len(SessionRepository().list_by_therapist(pair.therapist.account_id).items) == 1


def test_a_time_just_taken_shows_the_nearest_open_times(pair: Pair) -> None:
    _hours(pair.therapist.account_id)
    other = make_account(AccountKind.CLIENT, name="Other Client")
    MappingRepository().put(other.account_id, pair.therapist.account_id, MappingStatus.ACTIVE)
    start = _slot(2, 12)
    assert _request(_as(pair.client), pair.therapist.account_id, start).status_code == 302
    response = _request(_as(other), pair.therapist.account_id, start)
    assert response.status_code == 409
    html = response.content.decode()
    assert "was just taken" in html
    nearest = re.findall(r'<ul class="booking-nearest">(.*?)</ul>', html, re.S)[0]
    assert nearest.count("<li>") == 3
    times = re.findall(r'datetime="([^"]+)"', nearest)
    day = start.date().isoformat()
    assert times == [f"{day}T10:00+00:00", f"{day}T11:00+00:00", f"{day}T13:00+00:00"]
    assert len(SessionRepository().list_by_therapist(pair.therapist.account_id).items) == 1


def test_a_time_outside_the_hours_is_never_booked(pair: Pair) -> None:
    _hours(pair.therapist.account_id)
    response = _request(_as(pair.client), pair.therapist.account_id, _slot(1, 20))
    assert response.status_code == 409
    assert SessionRepository().list_by_therapist(pair.therapist.account_id).items == []


def test_withdrawing_frees_the_time_for_others(pair: Pair) -> None:
    _hours(pair.therapist.account_id)
    start = _slot()
    response = _request(_as(pair.client), pair.therapist.account_id, start)
    session_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    session_service.session_withdraw(user=pair.client, session_id=session_id)
    other = make_account(AccountKind.CLIENT)
    MappingRepository().put(other.account_id, pair.therapist.account_id, MappingStatus.ACTIVE)
    assert _request(_as(other), pair.therapist.account_id, start).status_code == 302


def test_online_requests_off_is_said_and_refused(pair: Pair) -> None:
    _hours(pair.therapist.account_id, online_requests=False)
    http = _as(pair.client)
    html = http.get(f"/booking/{pair.therapist.account_id}/").content.decode()
    assert 'id="requests-off"' in html
    assert _request(http, pair.therapist.account_id, _slot()).status_code == 400
    assert booking_service.online_requests_on(pair.therapist.account_id) is False


@pytest.mark.parametrize("path", ["/booking/{t}/", "/booking/{t}/request/?start=2030-01-01T10:00Z"])
def test_anonymous_visitors_are_sent_to_log_in(pair: Pair, path: str) -> None:
    response = HttpClient().get(path.format(t=pair.therapist.account_id))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_client_and_a_pending_one_get_404(pair: Pair) -> None:
    _hours(pair.therapist.account_id)
    stranger = make_account(AccountKind.CLIENT)
    waiting = make_account(AccountKind.CLIENT)
    MappingRepository().put(waiting.account_id, pair.therapist.account_id, MappingStatus.PENDING)
    for person in (stranger, waiting):
        http = _as(person)
        assert http.get(f"/booking/{pair.therapist.account_id}/").status_code == 404
        assert _request(http, pair.therapist.account_id, _slot()).status_code == 404
        assert (
            http.post(
                f"/booking/{pair.therapist.account_id}/wait/", {"first_day": "2030-01-01", "last_day": "2030-01-02"}
            ).status_code
            == 404
        )
    assert SessionRepository().list_by_therapist(pair.therapist.account_id).items == []


def test_a_therapist_cannot_open_the_clients_pages_nor_a_client_the_therapists(pair: Pair) -> None:
    assert _as(pair.therapist).get(f"/booking/{pair.therapist.account_id}/").status_code == 403
    assert _as(pair.client).get("/booking/availability/").status_code == 403
    assert _as(pair.client).get("/booking/series/new/").status_code == 403


def _series_form(pair: Pair, **overrides: str) -> dict[str, str]:
    first = _next_monday() + timedelta(days=1)
    data = {
        "client": pair.client.account_id,
        "day": first.isoformat(),
        "start_time": "17:00",
        "every": "1",
        "count": "12",
        "until": "",
        "duration": "50",
        "location": "Room 4",
        "idempotency_key": new_id(),
    }
    data.update(overrides)
    return data


def _book_series(http: HttpClient, form: dict[str, str]):
    """The two steps: list the occurrences, then book what was listed."""
    preview = http.post("/booking/series/new/", form)
    digest = re.search(r'name="confirmed" value="([0-9a-f]+)"', preview.content.decode())
    assert digest is not None
    return http.post("/booking/series/new/", {**form, "confirmed": digest.group(1)})


def test_a_series_lists_collisions_first_then_books_each_once(pair: Pair) -> None:
    _hours(pair.therapist.account_id, weekly_hours={d: (HoursRange(time(9), time(18)),) for d in range(7)})
    http = _as(pair.therapist)
    # A client already holds the third occurrence's time.
    third = datetime.combine(_next_monday() + timedelta(days=15), time(17), tzinfo=UTC)
    assert _request(_as(pair.client), pair.therapist.account_id, third).status_code == 302
    form = _series_form(pair)
    preview = http.post("/booking/series/new/", form)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "11 sessions with Casey Client" in html and "1 of them collide" in html
    assert html.count("<li") >= 12
    assert SessionRepository().list_by_client(pair.client.account_id).items[0].scheduled_for == third
    digest = re.search(r'name="confirmed" value="([0-9a-f]+)"', html)
    assert digest is not None
    # A form changed after the list was shown is listed again, not booked.
    changed = http.post("/booking/series/new/", {**form, "count": "13", "confirmed": digest.group(1)})
    assert changed.status_code == 200 and "12 sessions with Casey Client" in changed.content.decode()
    confirmed = {**form, "confirmed": digest.group(1)}
    done = http.post("/booking/series/new/", confirmed)
    assert done.status_code == 302
    again = http.post("/booking/series/new/", confirmed)
    assert again["Location"] == done["Location"]
    sessions = SessionRepository().list_by_therapist(pair.therapist.account_id, limit=50).items
    assert len(sessions) == 12  # 11 of the series and the client's own
    series_url = done["Location"]
    page = http.get(series_url)
    assert page.status_code == 200 and page.content.decode().count("Cancel this one") == 11
    # Cancel the 6th and all later ones: 6 cancelled, their times free again.
    series_id = series_url.rstrip("/").rsplit("/", 1)[-1]
    series = BookingRepository().series(pair.therapist.account_id, series_id)
    assert series is not None and len(series.occurrences) == 11
    sixth_start, sixth = series.occurrences[5]
    response = http.post(f"/booking/series/{series_id}/cancel/", {"session": sixth, "scope": "later"})
    assert response.status_code == 302
    statuses = [SessionRepository().get(sid).status for _, sid in series.occurrences]  # type: ignore[union-attr]
    assert statuses == [SessionStatus.APPROVED] * 5 + [SessionStatus.CANCELLED] * 6
    assert BookingRepository().claim(pair.therapist.account_id, sixth_start) is None
    assert _request(_as(pair.client), pair.therapist.account_id, sixth_start).status_code == 302


def test_cancelling_one_occurrence_leaves_the_rest(pair: Pair) -> None:
    http = _as(pair.therapist)
    done = _book_series(http, _series_form(pair, count="3"))
    series_id = done["Location"].rstrip("/").rsplit("/", 1)[-1]
    series = BookingRepository().series(pair.therapist.account_id, series_id)
    assert series is not None
    http.post(f"/booking/series/{series_id}/cancel/", {"session": series.occurrences[1][1], "scope": "one"})
    statuses = [SessionRepository().get(sid).status for _, sid in series.occurrences]  # type: ignore[union-attr]
    assert statuses == [SessionStatus.APPROVED, SessionStatus.CANCELLED, SessionStatus.APPROVED]


def test_another_therapists_series_is_404(pair: Pair) -> None:
    done = _book_series(_as(pair.therapist), _series_form(pair, count="2"))
    series_url = done["Location"]
    other = make_account(AccountKind.THERAPIST)
    assert _as(other).get(series_url).status_code == 404
    assert HttpClient().get(series_url).status_code == 302


def test_the_waitlist_emails_each_waiting_client_once(pair: Pair, settings) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example"
    _hours(pair.therapist.account_id)
    http = _as(pair.client)
    day = _next_monday() + timedelta(days=2)
    assert (
        http.post(
            f"/booking/{pair.therapist.account_id}/wait/", {"first_day": day.isoformat(), "last_day": day.isoformat()}
        ).status_code
        == 302
    )
    # The client's own booking that day, withdrawn, is the freed time.
    other = make_account(AccountKind.CLIENT)
    MappingRepository().put(other.account_id, pair.therapist.account_id, MappingStatus.ACTIVE)
    freed = datetime.combine(day, time(10), tzinfo=UTC)
    response = _request(_as(other), pair.therapist.account_id, freed)
    session_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    # The therapist is told of the request and of its withdrawal; the waitlist's email is the client's.
    assert [m.to for m in mail.outbox] == [[pair.therapist.email]]
    session_service.session_withdraw(user=other, session_id=session_id)
    again = booking_service.waitlist_notify(therapist_id=pair.therapist.account_id, freed=freed)
    assert again == 0
    [email] = [m for m in mail.outbox if m.to != [pair.therapist.email]]
    assert email.to == [pair.client.email]
    assert "Dr Tara" not in email.body and "Casey" not in email.body
    assert f"https://portal.example/booking/{pair.therapist.account_id}/?week={day.isoformat()}" in email.body


def test_a_freed_time_outside_the_waited_days_emails_no_one(pair: Pair) -> None:
    _hours(pair.therapist.account_id)
    day = _next_monday() + timedelta(days=2)
    booking_service.waitlist_join(user=pair.client, therapist_id=pair.therapist.account_id, first_day=day, last_day=day)
    later = datetime.combine(day + timedelta(days=1), time(10), tzinfo=UTC)
    assert booking_service.waitlist_notify(therapist_id=pair.therapist.account_id, freed=later) == 0
    assert mail.outbox == []
    assert len(BookingRepository().waiting(pair.therapist.account_id)) == 1


def test_a_series_of_an_ended_relationship_stays_as_it_is(pair: Pair) -> None:
    from tests.sessions_data import end_care

    http = _as(pair.therapist)
    done = _book_series(http, _series_form(pair, count="2"))
    series_id = done["Location"].rstrip("/").rsplit("/", 1)[-1]
    series = BookingRepository().series(pair.therapist.account_id, series_id)
    assert series is not None
    end_care(pair)
    response = http.post(
        f"/booking/series/{series_id}/cancel/", {"session": series.occurrences[0][1], "scope": "later"}
    )
    assert response.status_code == 302
    assert "0 sessions cancelled" in http.get(response["Location"]).content.decode()
    statuses = {SessionRepository().get(sid).status for _, sid in series.occurrences}  # type: ignore[union-attr]
    assert statuses == {SessionStatus.APPROVED}


def test_a_week_with_no_open_time_offers_the_waitlist(pair: Pair) -> None:
    monday = _next_monday()
    _hours(pair.therapist.account_id, dates_off=frozenset(monday + timedelta(days=n) for n in range(7)))
    html = _as(pair.client).get(f"/booking/{pair.therapist.account_id}/?week={monday.isoformat()}").content.decode()
    assert html.count("No open times") == 7
    assert "No time suits you?" in html
    assert f'value="{monday.isoformat()}"' in html and f'value="{(monday + timedelta(days=6)).isoformat()}"' in html
    assert f'action="/booking/{pair.therapist.account_id}/wait/"' in html
