"""Each person's home page leads to what is waiting: questionnaires, booking, alerts, records to finish."""

from __future__ import annotations

from django.test import Client as HttpClient

from portal.domain_measures import MeasureKind, Schedule
from portal.services import measures
from tests.accounts import log_in
from tests.messaging_data import make_active_pair
from tests.notes_data import held
from tests.sessions_data import care_pair


def _as(user) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient()
    log_in(http, user)
    return http


def test_it_shows_the_client_the_questionnaire_to_fill_in_and_where_to_book(dynamo):
    client, therapist = make_active_pair()
    before = _as(client).get("/client/").content.decode()
    measures.measure_assign(user=therapist, client_id=client.account_id, measure=MeasureKind.PHQ9, schedule=Schedule.ONCE)

    page = _as(client).get("/client/").content.decode()

    assert "Questionnaires to fill in" not in before
    assert "Questionnaires to fill in" in page
    assert f'href="/client/questionnaires/PHQ9/{therapist.account_id}/"' in page
    assert f'href="/booking/{therapist.account_id}/"' in page


def test_it_flags_a_questionnaire_that_needs_the_therapists_attention(dynamo):
    client, therapist = make_active_pair()
    measures.measure_assign(user=therapist, client_id=client.account_id, measure=MeasureKind.PHQ9, schedule=Schedule.ONCE)
    assert "needs your attention" not in _as(therapist).get("/therapist/").content.decode()
    measures.measure_submit(
        client_id=client.account_id,
        measure=MeasureKind.PHQ9,
        therapist_id=therapist.account_id,
        answers=[0] * 8 + [2],
        difficulty=None,
        idempotency_key="h" * 20,
    )

    page = _as(therapist).get("/therapist/").content.decode()

    assert "1 questionnaire needs your attention" in page
    assert 'href="/therapist/questionnaires/alerts/"' in page
    assert client.name not in page.split('id="measure-alerts"')[1].split("</section>")[0]


def test_it_lists_the_notes_waiting_for_a_signature(dynamo):
    pair = care_pair()
    session = held(pair, days_ago=4)

    page = _as(pair.therapist).get("/therapist/").content.decode()

    assert "Notes to sign" in page
    assert f'href="/therapist/notes/{session.session_id}/"' in page


def test_the_session_lists_lead_to_booking(dynamo):
    client, therapist = make_active_pair()

    client_page = _as(client).get("/client/sessions/").content.decode()
    therapist_page = _as(therapist).get("/therapist/sessions/").content.decode()

    assert f'href="/booking/{therapist.account_id}/"' in client_page
    assert 'href="/booking/series/new/"' in therapist_page and 'href="/booking/availability/"' in therapist_page


def test_the_therapists_view_of_a_client_leads_to_their_questionnaires_and_thread(dynamo):
    client, therapist = make_active_pair()

    page = _as(therapist).get(f"/therapist/clients/{client.account_id}/journal/").content.decode()

    assert f'href="/therapist/questionnaires/{client.account_id}/"' in page
    assert f'href="/messages/{client.account_id}/"' in page
