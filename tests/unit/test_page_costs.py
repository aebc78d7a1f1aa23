"""What each page costs in DynamoDB calls, stated per page, at two data sizes where size matters.

A signed-in page view reads its session (one GetItem; the person rides in it)
and then only its own data, and writes nothing, except the listed exceptions (the audit event of a
therapist's read, the therapist's last visit once per visit). Each count here is
the whole request within a minute of the last expiry push; a push adds one
account GetItem and one session PutItem, at most once a minute
(tests/unit/test_session_user.py).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind, MappingStatus, SessionStatus
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.connection import get_gateway
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.schema import RELATIONSHIPS
from portal.dynamo.sessions import SessionRepository
from portal.services.journal import journal_entry_create
from portal.services.sessions import session_close
from portal.timeutil import to_iso, utcnow
from tests.accounts import log_in, make_account
from tests.factories import make_session
from tests.journal_data import seed_entries
from tests.messaging_data import make_active_pair
from tests.sessions_data import booked, care_pair

SMALL, LARGE = 3, 400


def _cost(http: HttpClient, url: str) -> dict[str, int]:
    with count_dynamodb_calls() as calls:
        response = http.get(url)
    assert response.status_code == 200, url
    return calls.by_operation()


def _client_with_entries(size: int, *, shared_every: int = 0) -> tuple[HttpClient, str]:
    user = make_account(AccountKind.CLIENT)
    # With notes: showing them costs the client's data key, once a page.
    seed_entries(user.account_id, size, shared_every=shared_every, note="a few words")
    http = HttpClient()
    log_in(http, user)
    return http, user.account_id


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The session, one Query of the journal and the client's data key for the notes
        # (GetItem), and one Query of the client's mappings: who can read a shared entry
        # is read now, never from a copy that could name fewer. The access history is its own page.
        ("/client/journal/", {"GetItem": 2, "Query": 2}),
        ("/client/journal/?start=2020-01-01&end=2030-01-01", {"GetItem": 2, "Query": 2}),
        # The chart reads no note, so no data key either: the session and one Query.
        ("/client/journal/chart/", {"GetItem": 1, "Query": 1}),
        # The session, the audit Query; names and entries in one BatchGetItem each when anyone read.
        ("/client/journal/access/", {"GetItem": 1, "Query": 1}),
    ],
)
def test_it_costs_the_client_journal_pages_the_same_at_any_size(dynamo, url, expected):
    for size in (SMALL, LARGE):
        http, _ = _client_with_entries(size)
        assert _cost(http, url) == expected, (url, size)


def test_it_costs_the_journal_page_at_most_four_calls(dynamo):
    http, _ = _client_with_entries(LARGE, shared_every=3)
    assert sum(_cost(http, "/client/journal/").values()) <= 4


def test_it_costs_an_entry_edit_page_the_session_and_the_entry(dynamo):
    user = make_account(AccountKind.CLIENT)
    entry = journal_entry_create(client_id=user.account_id, time_of_emotion=utcnow(), feeling="calm", intensity=3)
    http = HttpClient()
    log_in(http, user)
    # The session and the entry; who could read it if shared rides in the session.
    assert _cost(http, f"/client/journal/{entry.entry_id}/edit/") == {"GetItem": 2}


def _with_relationships(kind: AccountKind, count: int) -> HttpClient:
    person = make_account(kind)
    for _ in range(count):
        other = make_account(AccountKind.THERAPIST if kind is AccountKind.CLIENT else AccountKind.CLIENT)
        pair = (person, other) if kind is AccountKind.CLIENT else (other, person)
        MappingRepository().put(pair[0].account_id, pair[1].account_id, MappingStatus.ACTIVE)
    http = HttpClient()
    log_in(http, person)
    return http


@pytest.mark.parametrize(
    ("kind", "url"), [(AccountKind.CLIENT, "/client/"), (AccountKind.THERAPIST, "/therapist/")]
)
def test_it_costs_a_home_page_the_session_and_a_few_queries(dynamo, kind, url):
    # The names are copied onto the mapping items: no BatchGetItem of accounts. Besides the
    # relationships (two Queries), a client's home reads what questionnaires are due (one Query);
    # a therapist's reads the open questionnaire alerts, the sessions whose notes await a signature
    # and the correction requests waiting for an answer (three Queries), and their day: today's and
    # tomorrow's sessions (one Query of one key range) and the session requests waiting (one Query).
    expected = {AccountKind.CLIENT: {"GetItem": 1, "Query": 3}, AccountKind.THERAPIST: {"GetItem": 1, "Query": 7}}
    for size in (1, 25):
        http = _with_relationships(kind, size)
        assert _cost(http, url) == expected[kind], size


def test_it_costs_the_therapists_view_of_a_client_the_same_at_any_size(dynamo):
    # Every seventh entry shared: 22 and 58 shared entries, so both have a second page.
    for size in (150, LARGE):
        patient, therapist = make_active_pair()
        seed_entries(patient.account_id, size, shared_every=7)
        http = HttpClient()
        log_in(http, therapist)
        url = f"/therapist/clients/{patient.account_id}/journal/"
        # Session and the client's name (GetItem); the mapping (policy) with the relationship
        # record (the last visit) in one BatchGetItem; the shared-entries Query; the audit event
        # of the read and, as this opening starts a visit, the visit moved forward (both listed
        # page-view writes).
        visit = {"GetItem": 2, "BatchGetItem": 1, "Query": 1, "PutItem": 1}
        assert _cost(http, url) == {**visit, "UpdateItem": 1}, size
        # A reload in the same visit writes no visit; a first visit has nothing to count as new.
        assert _cost(http, url) == visit, size
        # A later visit: what was shared since the previous one is counted (one Select=COUNT
        # Query), and the visit moves again.
        records = RelationshipRepository()
        stored = records.get(patient.account_id, therapist.account_id)
        assert stored is not None and stored.therapist_last_visit_at is not None
        _visit_started(patient.account_id, therapist.account_id, stored.therapist_last_visit_at - timedelta(hours=2))
        assert _cost(http, url) == {**visit, "Query": 2, "UpdateItem": 1}, size
        assert _cost(http, url) == {**visit, "Query": 2}, size
        # "Load more" reads the record for the marks but neither counts nor writes a visit.
        cursor = re.search(r'href="\?cursor=([^"]+)"', http.get(url).content.decode())
        assert cursor is not None
        assert _cost(http, f"{url}?cursor={cursor.group(1)}") == visit, size


def _visit_started(client_id: str, therapist_id: str, at: datetime) -> None:
    """Put the therapist's latest visit back in time (the product only moves it forward)."""
    get_gateway().update(
        RELATIONSHIPS, {"clientId": client_id, "therapistId": therapist_id}, set_values={"therapistLastVisitAt": to_iso(at)}
    )


def _therapist_session_page_cost(sessions: int, entries: int) -> dict[str, int]:
    """A therapist's session page with "since last session", ``sessions`` held before it."""
    pair = care_pair()
    for days_ago in range(sessions):
        held = SessionRepository().create(
            make_session(
                client_id=pair.client.account_id, therapist_id=pair.therapist.account_id,
                scheduled_for=utcnow() - timedelta(days=days_ago + 40), status=SessionStatus.OPEN,
            )
        )
        session_close(user=pair.therapist, session_id=held.session_id)
    seed_entries(pair.client.account_id, entries, shared_every=2, note="a few words")
    upcoming = booked(pair, when=utcnow() + timedelta(hours=3))
    http = HttpClient()
    log_in(http, pair.therapist)
    with count_dynamodb_calls() as calls:
        response = http.get(f"/therapist/sessions/{upcoming.session_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    panel = body[body.index('id="since-last"') : body.index('id="notes"')]
    assert '<li class="entry">' in panel, "the panel shows shared entries"
    return calls.by_operation()


def test_it_costs_a_session_page_with_its_panel_six_calls_at_any_size(dynamo):
    # The web session; the session and its text's keys (GetItem, BatchGetItem); the
    # mapping with the relationship record, whose lastSessionAt starts the panel (one
    # BatchGetItem); the shared entries felt since, for the list and the chart (one
    # Query, whose data key was already read); the client's time zone, so that the time is
    # also given on the client's clock when it differs (GetItem). The six.
    expected = {"GetItem": 3, "BatchGetItem": 2, "Query": 1}
    assert _therapist_session_page_cost(sessions=1, entries=SMALL * 2) == expected
    assert _therapist_session_page_cost(sessions=12, entries=LARGE) == expected


def test_it_costs_the_staff_home_one_scan_page_at_any_size(dynamo):
    for size in (1, 30):
        for _ in range(size):
            make_account(AccountKind.CLIENT)
        http = HttpClient()
        log_in(http, make_account(AccountKind.STAFF))
        assert _cost(http, "/staff/") == {"GetItem": 1, "Scan": 1}, size


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/accounts/password/change/", {"GetItem": 1}),
        # The first visit keeps the new secret in the session (a write); later visits reuse it.
        ("/accounts/two-factor/setup/", {"GetItem": 1, "PutItem": 1}),
    ],
)
def test_it_costs_the_account_pages_for_a_signed_in_person(dynamo, url, expected):
    user = make_account(AccountKind.CLIENT, mfa_secret="")
    http = HttpClient()
    log_in(http, user)
    assert _cost(http, url) == expected


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/client/", "/accounts/password/reset/", "/"])
def test_it_costs_public_pages_nothing(dynamo, url):
    assert _cost(HttpClient(), url) == {}


def test_it_costs_the_second_two_factor_setup_visit_no_write(dynamo):
    user = make_account(AccountKind.CLIENT, mfa_secret="")
    http = HttpClient()
    log_in(http, user)
    http.get("/accounts/two-factor/setup/")
    assert _cost(http, "/accounts/two-factor/setup/") == {"GetItem": 1}


def _note_page_cost(addenda: int, *, signed: bool = True) -> dict[str, int]:
    from portal.note_domain import NoteKind
    from portal.services import clinical_notes as notes
    from tests.notes_data import SOAP, held

    pair = care_pair()
    session = held(pair)
    if signed:
        notes.note_sign(
            user=pair.therapist,
            session_id=session.session_id,
            kind=NoteKind.PROGRESS,
            template="soap",
            sections=SOAP,
            version=0,
        )
        for n in range(addenda):
            notes.addendum_add(
                user=pair.therapist, session_id=session.session_id, kind=NoteKind.PROGRESS, text=f"a{n}", reason="r"
            )
    http = HttpClient()
    log_in(http, pair.therapist)
    return _cost(http, f"/therapist/notes/{session.session_id}/")


def test_it_costs_the_note_page_the_same_however_many_addenda(dynamo):
    # The web session; the session (GetItem) and its text's keys (BatchGetItem); the
    # notes, addenda and requests in one Query, their data key in one BatchGetItem.
    expected = {"GetItem": 2, "BatchGetItem": 2, "Query": 1}
    assert _note_page_cost(1) == expected
    assert _note_page_cost(20) == expected
    # Before anything is written: the therapist's default template (one GetItem) instead of the notes' key.
    assert _note_page_cost(0, signed=False) == {"GetItem": 3, "BatchGetItem": 1, "Query": 1}


def test_it_costs_the_clients_record_page_a_fixed_number_of_calls(dynamo):
    from portal.note_domain import NoteKind
    from portal.services import clinical_notes as notes
    from tests.notes_data import held

    pair = care_pair()
    session = held(pair)
    notes.note_sign(
        user=pair.therapist,
        session_id=session.session_id,
        kind=NoteKind.SHARED,
        template="simple",
        sections={"note": "x"},
        version=0,
    )
    for _ in range(3):
        notes.correction_request(user=pair.client, session_id=session.session_id, text="wrong")
    http = HttpClient()
    log_in(http, pair.client)
    # The web session; the session and its keys; one Query of the record with its keys in one BatchGetItem.
    assert _cost(http, f"/client/notes/{session.session_id}/") == {"GetItem": 2, "BatchGetItem": 2, "Query": 1}


def _session_list_cost(side: str, *, mixed: bool) -> dict[str, int]:
    """A session list (the first page of each section, or a "More" page of one) with 3 or 3 x 45 sessions."""
    from tests.sessions_lists_data import seed_mixed_sessions

    pair = care_pair()
    if mixed:
        seed_mixed_sessions(pair.therapist.account_id, pair.client.account_id)
    else:
        booked(pair, when=utcnow() + timedelta(days=2))
    user, url = (pair.therapist, "/therapist/sessions/") if side == "therapist" else (pair.client, "/client/sessions/")
    http = HttpClient()
    log_in(http, user)
    return _cost(http, url)


@pytest.mark.parametrize("side", ["therapist", "client"])
def test_it_costs_the_session_lists_a_fixed_number_of_calls_with_3_or_135_sessions(dynamo, side):
    # The web session; one Query per section (agenda or upcoming, requests, history: each its own
    # partition of a section index, so no status filter, and the index holds no clinical text);
    # the people for the form (Query + BatchGetItem); the calendar feed's state (GetItem); the
    # titles (and the client's shared notes and decline reasons) of all three sections' sessions
    # in one BatchGetItem of the items; the data keys of that text in one more BatchGetItem,
    # whichever kinds of key (the client's, the pair's record key) the page needs.
    expected = {"GetItem": 2, "Query": 4, "BatchGetItem": 3}
    assert _session_list_cost(side, mixed=False) == expected
    assert _session_list_cost(side, mixed=True) == expected


def _questionnaires(size: int) -> tuple[HttpClient, HttpClient, str, str, str]:
    """(client's browser, therapist's browser, client id, therapist id, a result id) with ``size`` PHQ-9 results."""
    from portal.domain_measures import MeasureKind, Schedule
    from portal.services import measures as measures_service

    client, therapist = make_active_pair()
    for kind in MeasureKind:
        measures_service.measure_assign(
            user=therapist, client_id=client.account_id, measure=kind, schedule=Schedule.EVERY_WEEK
        )
    result_id = ""
    for n in range(size):
        submitted = measures_service.measure_submit(
            client_id=client.account_id,
            measure=MeasureKind.PHQ9,
            therapist_id=therapist.account_id,
            answers=[1] * 9,  # item 9 above zero: every result raises an alert
            difficulty=None,
            idempotency_key=f"cost-key-{n:04d}-abcdefgh",
            now=utcnow() + timedelta(weeks=n, minutes=1),
        )
        result_id = submitted.result.result_id
    client_http, therapist_http = HttpClient(), HttpClient()
    log_in(client_http, client)
    log_in(therapist_http, therapist)
    return client_http, therapist_http, client.account_id, therapist.account_id, result_id


def test_it_costs_the_questionnaire_pages_the_same_at_any_size(dynamo, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    for size in (1, 30):
        client_http, therapist_http, client_id, therapist_id, result_id = _questionnaires(size)
        # The session and one Query of the client's assignments.
        assert _cost(client_http, "/client/questionnaires/") == {"GetItem": 1, "Query": 1}
        assert _cost(client_http, f"/client/questionnaires/GAD7/{therapist_id}/") == {"GetItem": 1, "Query": 1}
        # The session, one Query of the measure's results and the client's data key.
        assert _cost(client_http, f"/client/questionnaires/PHQ9/results/{result_id}/") == {"GetItem": 2, "Query": 1}
        assert _cost(client_http, "/client/questionnaires/PHQ9/") == {"GetItem": 2, "Query": 1}
        # The session and the data key; the mapping with its relationship record in one BatchGetItem;
        # the assignments, two histories and the client's alerts.
        assert _cost(therapist_http, f"/therapist/questionnaires/{client_id}/") == {
            "GetItem": 2,
            "BatchGetItem": 1,
            "Query": 4,
        }
        # The session, the open alerts and the clients' names.
        assert _cost(therapist_http, "/therapist/questionnaires/alerts/") == {
            "GetItem": 1,
            "Query": 1,
            "BatchGetItem": 1,
        }
        assert _cost(therapist_http, f"/therapist/questionnaires/{client_id}/alerts/{result_id}/") == {
            "GetItem": 1,
            "Query": 1,
        }


def test_it_costs_the_booking_pages_the_same_at_any_size(dynamo):
    """A week of open times: the session, the mapping (consistent: it decides access), the availability
    item, and one Query of the therapist's sessions in the week (times only: no data key), however many."""
    from datetime import UTC, time

    from portal.availability import Availability, HoursRange
    from portal.dynamo.booking import BookingRepository

    pair = care_pair()
    # As an accepted request leaves it: both names on the mapping.
    MappingRepository().put(
        pair.client.account_id, pair.therapist.account_id, MappingStatus.ACTIVE, client_name="C", therapist_name="T"
    )
    hours = {d: (HoursRange(time(0), time(23)),) for d in range(7)}
    BookingRepository().save_availability(
        Availability(therapist_id=pair.therapist.account_id, zone="UTC", weekly_hours=hours, notice_hours=0),
        expected_version=0,
    )
    client, therapist = HttpClient(), HttpClient()
    log_in(client, pair.client)
    log_in(therapist, pair.therapist)
    monday = (utcnow() + timedelta(days=7 - utcnow().weekday())).date()
    url = f"/booking/{pair.therapist.account_id}/?week={monday.isoformat()}"
    expected = {"GetItem": 3, "Query": 1}
    assert _cost(client, url) == expected
    for n in range(40):
        start = datetime.combine(monday, time(0), tzinfo=UTC) + timedelta(hours=n * 3)
        SessionRepository().create(make_session(therapist_id=pair.therapist.account_id, scheduled_for=start))
    assert _cost(client, url) == expected
    # The therapist's hours: the session and the availability item.
    assert _cost(therapist, "/booking/availability/") == {"GetItem": 2}


def test_it_costs_a_staff_search_one_query_per_shard_at_any_size(dynamo):
    from portal.dynamo.account_search import SHARDS

    # One Query per shard of each of the two search indexes of the two account tables.
    expected = {"GetItem": 1, "Query": 2 * 2 * SHARDS}
    for size in (1, 30):
        for number in range(size):
            make_account(AccountKind.CLIENT, name=f"Marta {number}")
            make_account(AccountKind.THERAPIST, name=f"Mark {number}")
        http = HttpClient()
        log_in(http, make_account(AccountKind.STAFF))
        assert _cost(http, "/staff/?q=Mar") == expected, size


def test_it_costs_the_directory_the_same_with_3_or_45_therapists(dynamo):
    from portal.dynamo.therapists import TherapistRepository

    http = HttpClient()
    log_in(http, make_account(AccountKind.CLIENT))
    made = 0
    for size in (3, 45):
        while made < size:
            therapist = make_account(AccountKind.THERAPIST, name=f"Dr Cost {made}")
            TherapistRepository().update_profile(
                therapist.account_id, name=f"Dr Cost {made}", specialization="grief", bio="", accepting_clients=True
            )
            made += 1
        # The session and one Query of the specialization's index.
        assert _cost(http, "/client/therapists/?specialization=grief&language=English") == {"GetItem": 1, "Query": 1}
        # Browsing everyone: one Query, two on the page where the daily order wraps round.
        browse = _cost(http, "/client/therapists/")
        assert browse["GetItem"] == 1 and browse["Query"] in (1, 2) and set(browse) == {"GetItem", "Query"}, size
