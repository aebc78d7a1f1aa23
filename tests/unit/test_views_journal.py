"""The client's journal page and everything on it."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind, DatabaseUnavailable, MappingStatus
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.ids import new_id
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.journal_data import seed_entries

HTMX = {"HTTP_HX_REQUEST": "true"}


def _entry_form(**overrides: str) -> dict[str, str]:
    # Each call is a freshly rendered form: its own idempotency key.
    return {
        "time_of_emotion": "2026-07-01T21:30",
        "feeling": "anxious",
        "intensity": "7",
        "note": "",
        "idempotency_key": new_id(),
        **overrides,
    }


@pytest.fixture
def client_user(dynamo, client: HttpClient):
    user = make_account(AccountKind.CLIENT)  # Europe/London
    log_in(client, user)
    return user


def _add(user, minutes_ago: int = 5, **fields):
    values = {"feeling": "calm", "intensity": 4, "note": "", **fields}
    return journal_entry_create(
        client_id=user.account_id, time_of_emotion=utcnow() - timedelta(minutes=minutes_ago), **values
    )


# --- access -----------------------------------------------------------------------

URLS = [
    "/client/journal/",
    "/client/journal/chart/",
    "/client/journal/access/",
    "/client/journal/export.csv",
    "/client/journal/01J0000000000000000000000A/edit/",
]


@pytest.mark.parametrize("url", URLS)
def test_it_sends_anonymous_visitors_to_login(dynamo, client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("kind", [AccountKind.THERAPIST, AccountKind.STAFF])
@pytest.mark.parametrize("url", URLS)
def test_it_refuses_therapists_and_staff(dynamo, client, kind, url):
    log_in(client, make_account(kind))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("action", ["edit", "delete", "share", "detail"])
def test_it_answers_404_for_another_clients_entry(client_user, client, action):
    other = make_account(AccountKind.CLIENT)
    theirs = _add(other, note="their words")
    url = f"/client/journal/{theirs.entry_id}/" + ("" if action == "detail" else f"{action}/")
    response = client.post(url, {"shared": "1", **_entry_form()}) if action in ("share", "delete") else client.get(url)
    assert response.status_code == 404
    stored = JournalRepository().get(other.account_id, theirs.entry_id)
    assert stored is not None and stored.note == "their words" and not stored.is_shared


def test_it_answers_404_for_a_malformed_id(client_user, client):
    assert client.get("/client/journal/not-an-id/edit/").status_code == 404


# --- writing -------------------------------------------------------------------------


def test_it_saves_an_entry_left_without_a_time_at_the_moment_of_saving(client_user, client):
    body = client.get("/client/journal/").content.decode()
    assert 'name="time_of_emotion"' in body and "When: <span class=\"when-summary\">now</span>" in body
    response = client.post("/client/journal/", _entry_form(time_of_emotion=""))
    assert response.status_code == 302
    (entry,) = JournalRepository().list_by_time(client_user.account_id).items
    assert abs((entry.time_of_emotion - utcnow()).total_seconds()) < 90


def test_it_stores_a_local_time_in_utc(client_user, client):
    response = client.post("/client/journal/", _entry_form(note="Before the interview"))
    assert response.status_code == 302
    entries = JournalRepository().list_by_time(client_user.account_id).items
    assert len(entries) == 1
    # 21:30 in London in July is 20:30 UTC.
    assert entries[0].time_of_emotion == datetime(2026, 7, 1, 20, 30, tzinfo=UTC)
    assert entries[0].note == "Before the interview"
    assert not entries[0].is_shared


def test_it_adds_an_entry_through_htmx_and_returns_the_fragments(client_user, client):
    response = client.post("/client/journal/", _entry_form(note="htmx note"), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert "htmx note" in body
    assert 'id="entry-form"' in body and 'hx-swap-oob="afterbegin:#entry-list"' in body


def test_it_keeps_what_was_typed_when_the_entry_is_invalid(client_user, client):
    response = client.post("/client/journal/", _entry_form(intensity="11", note="keep me please"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "keep me please" in body and "Choose a number from 1 to 10." in body
    assert JournalRepository().list_by_time(client_user.account_id).items == []


def test_it_refuses_a_note_over_2000_characters(client_user, client):
    response = client.post("/client/journal/", _entry_form(note="x" * 2001), **HTMX)
    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()


def test_it_refuses_a_time_in_the_future(client_user, client):
    future = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/client/journal/", _entry_form(time_of_emotion=future))
    assert response.status_code == 400
    assert "can&#39;t be in the future" in response.content.decode()


# --- listing and filtering ---------------------------------------------------------------


def _entry_times(body: str) -> list[datetime]:
    """When each entry listed on a journal page was felt, in the order shown."""
    found = re.findall(r'<li class="entry card" id="entry-[^"]+">\s*<p class="entry-meta">\s*<time datetime="([^"]+)"', body)
    return [datetime.fromisoformat(moment) for moment in found]


def test_it_lists_newest_feeling_first_a_page_at_a_time(client_user, client):
    seed_entries(client_user.account_id, 25)
    body = client.get("/client/journal/").content.decode()
    times = _entry_times(body)
    assert len(times) == 20 and times == sorted(times, reverse=True)
    cursor = unquote(re.search(r'id="load-more-link" href="\?cursor=([^"]+)"', body).group(1))
    more = client.get("/client/journal/", {"cursor": cursor}, HTTP_HX_TARGET="load-more", **HTMX)
    body = more.content.decode()
    assert "<html" not in body and body.count('class="entry card"') == 5


def test_it_filters_by_feeling(client_user, client):
    _add(client_user, feeling="anxious", note="worry")
    _add(client_user, feeling="calm", note="peace")
    response = client.get("/client/journal/", {"feeling": "anxious"})
    body = response.content.decode()
    assert "worry" in body and "peace" not in body


def test_it_filters_by_date_range_in_local_days(client_user, client):
    seed_entries(client_user.account_id, 10, start=datetime(2026, 3, 10, 12, tzinfo=UTC), step=timedelta(days=1))
    response = client.get("/client/journal/", {"start": "2026-03-05", "end": "2026-03-07"})
    days = sorted(moment.day for moment in _entry_times(response.content.decode()))
    assert days == [5, 6, 7]


def test_it_refuses_an_end_before_the_start(client_user, client):
    response = client.get("/client/journal/", {"start": "2026-03-07", "end": "2026-03-05"})
    assert "end date comes before the start" in response.content.decode()


def test_it_returns_only_the_list_for_an_htmx_filter(client_user, client):
    _add(client_user, feeling="sad", note="grey day")
    response = client.get("/client/journal/", {"feeling": "sad"}, HTTP_HX_TARGET="entry-list-section", **HTMX)
    body = response.content.decode()
    assert "<html" not in body and "grey day" in body and 'id="entry-form"' not in body


def test_it_refuses_a_tampered_cursor(client_user, client):
    assert client.get("/client/journal/", {"cursor": "abc:def"}).status_code == 400


# --- editing, deleting, sharing ------------------------------------------------------------


def test_it_edits_an_entry(client_user, client):
    entry = _add(client_user, note="first words")
    response = client.post(
        f"/client/journal/{entry.entry_id}/edit/", _entry_form(feeling="hopeful", intensity="3", note="better words"), **HTMX
    )
    assert response.status_code == 200 and "better words" in response.content.decode()
    stored = JournalRepository().get(client_user.account_id, entry.entry_id)
    assert (stored.feeling, stored.intensity, stored.note) == ("hopeful", 3, "better words")


def test_it_asks_before_deleting_without_javascript(client_user, client):
    entry = _add(client_user)
    page = client.get(f"/client/journal/{entry.entry_id}/delete/")
    assert page.status_code == 200 and "Delete this entry?" in page.content.decode()
    assert JournalRepository().get(client_user.account_id, entry.entry_id) is not None
    assert client.post(f"/client/journal/{entry.entry_id}/delete/").status_code == 302
    assert JournalRepository().get(client_user.account_id, entry.entry_id) is None


def test_it_deletes_through_htmx_and_swaps_in_nothing(client_user, client):
    entry = _add(client_user)
    response = client.post(f"/client/journal/{entry.entry_id}/delete/", **HTMX)
    assert response.status_code == 200 and response.content == b""
    assert JournalRepository().get(client_user.account_id, entry.entry_id) is None


def test_it_shares_and_unshares_an_entry(client_user, client):
    entry = _add(client_user)
    response = client.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "1"}, **HTMX)
    assert "Stop sharing" in response.content.decode()
    assert JournalRepository().get(client_user.account_id, entry.entry_id).is_shared
    client.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "0"})
    assert not JournalRepository().get(client_user.account_id, entry.entry_id).is_shared


def test_it_refuses_sharing_until_the_email_is_verified(dynamo, client):
    user = make_account(AccountKind.CLIENT, verified=False)
    log_in(client, user)
    entry = _add(user)
    response = client.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "1"}, **HTMX)
    assert "confirm your email address" in response.content.decode()
    assert not JournalRepository().get(user.account_id, entry.entry_id).is_shared


# --- export and chart -------------------------------------------------------------------------


def test_it_exports_every_entry_as_csv_in_local_time(client_user, client):
    seed_entries(client_user.account_id, 130, start=datetime(2026, 7, 31, 12, tzinfo=UTC))
    _add(client_user, note="=HYPERLINK(\"x\")")
    other = make_account(AccountKind.CLIENT)
    _add(other, note="not mine")
    response = client.get("/client/journal/export.csv")
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["time_of_emotion", "time_zone", "feeling", "intensity"]
    assert len(rows) == 1 + 131
    # The oldest first, 129 steps of 3 hours back: 09:00 UTC is 10:00 in a London summer.
    assert rows[1][0] == "2026-07-15T10:00+01:00" and rows[1][1] == "Europe/London"
    assert "not mine" not in text
    assert any(r[4] == "'=HYPERLINK(\"x\")" for r in rows[1:])


def test_it_draws_the_chart_for_the_chosen_feeling(client_user, client):
    _add(client_user, feeling="anxious", intensity=8)
    _add(client_user, feeling="anxious", intensity=3, minutes_ago=60)
    _add(client_user, feeling="calm", intensity=2, minutes_ago=90)
    response = client.get("/client/journal/chart/", {"feeling": "anxious"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="img"' in body and "<desc" in body
    assert body.count("<path class=\"chart-point") == 2


def test_the_default_chart_shows_whole_local_days_from_the_first_moment_of_its_first_day(client_user, client):
    london = ZoneInfo("Europe/London")
    today = utcnow().astimezone(london).date()
    first_day = today - timedelta(days=30)
    # Early on the chart's first day: before the time of day it is now, most of the day.
    _add_at(client_user, datetime.combine(first_day, time(0, 1), tzinfo=london), feeling="hopeful")
    _add_at(client_user, datetime.combine(first_day - timedelta(days=1), time(23, 59), tzinfo=london), feeling="sad")
    body = client.get("/client/journal/chart/").content.decode()
    assert body.count('<path class="chart-point') == 1
    assert "mark-hopeful" in body and "mark-sad" not in body


def _add_at(user, moment: datetime, **fields):
    values = {"feeling": "calm", "intensity": 4, "note": "", **fields}
    return journal_entry_create(client_id=user.account_id, time_of_emotion=moment, **values)


# --- therapist's side and access history ------------------------------------------------------


@pytest.fixture
def care_team(dynamo):
    patient = make_account(AccountKind.CLIENT, name="Pat Client")
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tess")
    MappingRepository().put(patient.account_id, therapist.account_id, MappingStatus.ACTIVE)
    return patient, therapist


def test_it_shows_a_therapist_exactly_the_shared_entries(care_team):
    patient, therapist = care_team
    shared = _add(patient, note="please read this")
    _add(patient, note="only for me")
    JournalRepository().set_shared(patient.account_id, shared.entry_id, utcnow())
    http = HttpClient()
    log_in(http, therapist)
    response = http.get(f"/therapist/clients/{patient.account_id}/journal/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "please read this" in body and "only for me" not in body


def test_it_hides_an_entry_from_the_therapist_at_once_when_unshared(care_team):
    patient, therapist = care_team
    entry = _add(patient, note="changed my mind")
    JournalRepository().set_shared(patient.account_id, entry.entry_id, utcnow())
    JournalRepository().set_shared(patient.account_id, entry.entry_id, None)
    http = HttpClient()
    log_in(http, therapist)
    assert "changed my mind" not in http.get(f"/therapist/clients/{patient.account_id}/journal/").content.decode()


@pytest.mark.parametrize("status", [MappingStatus.PENDING, MappingStatus.BLOCKED, None])
def test_it_answers_404_to_a_therapist_without_an_active_mapping(dynamo, status):
    patient = make_account(AccountKind.CLIENT)
    therapist = make_account(AccountKind.THERAPIST)
    if status:
        MappingRepository().put(patient.account_id, therapist.account_id, status)
    entry = _add(patient, note="shared secret")
    JournalRepository().set_shared(patient.account_id, entry.entry_id, utcnow())
    http = HttpClient()
    log_in(http, therapist)
    response = http.get(f"/therapist/clients/{patient.account_id}/journal/")
    assert response.status_code == 404
    assert "shared secret" not in response.content.decode()


def test_it_refuses_the_therapist_page_to_anonymous_visitors_and_clients(care_team):
    patient, _ = care_team
    url = f"/therapist/clients/{patient.account_id}/journal/"
    assert HttpClient().get(url).status_code == 302
    http = HttpClient()
    log_in(http, patient)
    assert http.get(url).status_code == 403


def test_it_records_each_reading_and_shows_the_client_who_read(care_team):
    patient, therapist = care_team
    therapist_http, patient_http = HttpClient(), HttpClient()
    log_in(therapist_http, therapist)
    log_in(patient_http, patient)
    assert "Nobody has read" in patient_http.get("/client/journal/access/").content.decode()
    therapist_http.get(f"/therapist/clients/{patient.account_id}/journal/")
    body = patient_http.get("/client/journal/access/").content.decode()
    assert "Dr Tess" in body and "Nobody has read" not in body
    assert 'href="/client/journal/access/"' in patient_http.get("/client/journal/").content.decode()


# --- cost and privacy ------------------------------------------------------------------------


def test_it_makes_the_same_few_calls_with_10_and_5000_entries_and_never_scans(dynamo):
    from portal.dynamo.call_counter import count_dynamodb_calls

    counts = []
    for size in (10, 5000):
        user = make_account(AccountKind.CLIENT)
        seed_entries(user.account_id, size, shared_every=7)
        http = HttpClient()
        log_in(http, user)
        with count_dynamodb_calls() as calls:
            response = http.get("/client/journal/")
        assert response.status_code == 200
        assert len(_entry_times(response.content.decode())) == min(size, 20)
        assert calls.count("Scan") == 0
        counts.append(calls.by_operation())
    assert counts[0] == counts[1]
    # The session's GetItem, the page's Query and one consistent Query of the client's
    # mappings for who can read a shared entry now; the access history has its own page.
    assert counts[0] == {"GetItem": 1, "Query": 2}


def test_it_reads_shared_entries_with_one_query_however_many_are_private(care_team):
    from portal.dynamo.call_counter import count_dynamodb_calls

    patient, therapist = care_team
    seed_entries(patient.account_id, 1000, shared_every=100)
    http = HttpClient()
    log_in(http, therapist)
    with count_dynamodb_calls() as calls:
        response = http.get(f"/therapist/clients/{patient.account_id}/journal/")
    assert response.content.decode().count('<li class="entry card') == 10
    assert calls.count("Query") == 1 and calls.count("Scan") == 0


def test_it_writes_no_journal_text_to_the_logs(client_user, client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/client/journal/", _entry_form(note="MY-PRIVATE-WORDS"))
    entry = JournalRepository().list_by_time(client_user.account_id).items[0]
    client.post(f"/client/journal/{entry.entry_id}/edit/", _entry_form(note="MY-PRIVATE-WORDS-2"))
    client.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "1"})
    assert "MY-PRIVATE-WORDS" not in caplog.text
    assert entry.entry_id in caplog.text  # ids are logged, words are not


# --- export when the database fails part-way -------------------------------------------------


@pytest.fixture
def journal_queries_fail_on(dynamo):
    from portal.dynamo.schema import JOURNAL
    from tests.doubles.failures import FailingQueryGateway
    from tests.doubles.stale_reads import installed

    def install(nth: int):
        double = FailingQueryGateway(dynamo, table=JOURNAL, fail_on=nth)
        return installed(double)

    return install


def test_it_aborts_the_export_when_a_later_page_fails(client_user, client, journal_queries_fail_on, caplog):
    seed_entries(client_user.account_id, 130, note="words that stay out of logs")
    with journal_queries_fail_on(2):
        response = client.get("/client/journal/export.csv")
        assert response.status_code == 200
        received: list[bytes] = []
        # The iterator raises instead of ending: the server drops the connection
        # without finishing the response, which the browser reports as failed.
        with caplog.at_level(logging.ERROR), pytest.raises(DatabaseUnavailable):
            for chunk in response.streaming_content:
                received.append(chunk)
    rows = list(csv.reader(io.StringIO(b"".join(received).decode())))
    assert len(rows) == 1 + 100  # the header and the first page, nothing made up
    assert any(
        "interrupted after 100 entries" in r.getMessage() and client_user.account_id in r.getMessage()
        for r in caplog.records
    )
    assert "words that stay out of logs" not in caplog.text


def test_it_answers_503_when_the_first_export_page_fails(client_user, journal_queries_fail_on):
    seed_entries(client_user.account_id, 3)
    http = HttpClient(raise_request_exception=False)
    log_in(http, client_user)
    with journal_queries_fail_on(1):
        response = http.get("/client/journal/export.csv")
    assert response.status_code == 503
    assert not response.streaming


# --- paging edges --------------------------------------------------------------------------------


def test_it_offers_no_load_more_for_a_journal_of_exactly_one_page(client_user, client):
    seed_entries(client_user.account_id, 20)
    body = client.get("/client/journal/").content.decode()
    assert body.count('class="entry card"') == 20
    assert 'id="load-more"' not in body
    seed_entries(client_user.account_id, 1, start=utcnow() - timedelta(days=400))
    assert 'id="load-more"' in client.get("/client/journal/").content.decode()


def test_it_shows_the_therapist_exactly_one_page_of_20_shared_entries_without_load_more(care_team):
    from portal.dynamo.audit import AuditRepository

    patient, therapist = care_team
    seed_entries(patient.account_id, 20, shared_every=1)
    http = HttpClient()
    log_in(http, therapist)
    body = http.get(f"/therapist/clients/{patient.account_id}/journal/").content.decode()
    assert 'id="shared-more"' not in body
    # One reading, of 20 entries: no later "reading" of an empty page.
    events = AuditRepository().list_for_subject(patient.account_id).items
    assert [e.detail["entries"] for e in events] == ["20"]


def test_it_orders_the_therapists_view_by_when_entries_were_felt(care_team):
    patient, therapist = care_team
    felt_earlier = _add(patient, minutes_ago=600, note="felt earlier, shared last")
    felt_later = _add(patient, minutes_ago=60, note="felt later, shared first")
    JournalRepository().set_shared(patient.account_id, felt_later.entry_id, utcnow() - timedelta(minutes=30))
    JournalRepository().set_shared(patient.account_id, felt_earlier.entry_id, utcnow())
    http = HttpClient()
    log_in(http, therapist)
    body = http.get(f"/therapist/clients/{patient.account_id}/journal/").content.decode()
    assert body.index("felt later, shared first") < body.index("felt earlier, shared last")


def test_it_fills_a_page_of_one_feeling_between_dates_with_one_query(client_user, client):
    from portal.dynamo.call_counter import count_dynamodb_calls

    # 5 sad entries among 300, spread over 300 hours: a feeling filter on the time index came back short.
    entries = seed_entries(client_user.account_id, 300, step=timedelta(hours=1))
    sad = [e for e in entries if e.feeling == "sad"]
    assert sad
    start = (utcnow() - timedelta(days=20)).date().isoformat()
    with count_dynamodb_calls() as calls:
        body = client.get("/client/journal/", {"feeling": "sad", "start": start}).content.decode()
    assert calls.count("Query") <= 3  # the page's list is one Query, like the others on the page
    assert body.count('class="entry card"') == min(20, len(sad))


def test_it_shows_later_pages_of_shared_entries_in_the_clients_time_zone_too(care_team):
    from portal.dynamo.clients import ClientRepository

    patient, therapist = care_team
    ClientRepository().update_fields(patient.account_id, timeZone="Asia/Tokyo")
    seed_entries(patient.account_id, 25, shared_every=1)
    http = HttpClient()
    log_in(http, therapist)
    url = f"/therapist/clients/{patient.account_id}/journal/"
    first = http.get(url).content.decode()
    cursor = re.search(r'href="\?cursor=([^"]+)"', first).group(1)
    later = http.get(f"{url}?cursor={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in later and later.count('class="entry card') == 5
    # Every time on either page is in the therapist's own zone (UTC here), with the client's beside it.
    for body in (first, later):
        offsets = set(re.findall(r'<time datetime="[^"]+T\d\d:\d\d([+-]\d\d:\d\d|Z)"', body))
        assert offsets == {"+00:00"}, offsets
        assert body.count("for the client") >= later.count('class="entry card')
