"""Questionnaire pages: assign, fill in (blank item refused, answers kept), result, the item 9 safety loop, access."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client as HttpClient

from portal.domain import AccountKind, AuditCategory
from portal.domain_measures import MeasureKind, Schedule
from portal.dynamo.audit import AuditRepository
from portal.dynamo.measures import MeasureRepository
from portal.services import measures as service
from tests.accounts import log_in, make_account
from tests.messaging_data import make_active_pair

PHQ = "PHQ9"


@pytest.fixture(autouse=True)
def _portal_url(settings):  # type: ignore[no-untyped-def]
    settings.PORTAL_BASE_URL = "https://portal.example"


def _assigned(schedule: Schedule = Schedule.ONCE, measure: MeasureKind = MeasureKind.PHQ9):  # type: ignore[no-untyped-def]
    client, therapist = make_active_pair()
    service.measure_assign(user=therapist, client_id=client.account_id, measure=measure, schedule=schedule)
    mail.outbox.clear()  # the relationship's own emails
    return client, therapist


def _as(user) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient()
    log_in(http, user)
    return http


def _key(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _answers(values: list[int | None], key: str, difficulty: int | None = 1) -> dict[str, str]:
    data = {"idempotency_key": key}
    data.update({f"item_{n}": str(v) for n, v in enumerate(values, start=1) if v is not None})
    if difficulty is not None:
        data["difficulty"] = str(difficulty)
    return data


def _form_url(client, therapist, measure: str = PHQ) -> str:  # type: ignore[no-untyped-def]
    return f"/client/questionnaires/{measure}/{therapist.account_id}/"


def test_it_lists_a_due_questionnaire_and_shows_its_form_with_the_published_wording(dynamo):
    client, therapist = _assigned()
    http = _as(client)

    listing = http.get("/client/questionnaires/")
    page = http.get(_form_url(client, therapist))

    assert listing.status_code == 200 and _form_url(client, therapist) in listing.content.decode()
    html = page.content.decode()
    assert page.status_code == 200
    assert "Over the last 2 weeks, how often have you been bothered by any of the following problems?" in html
    assert "Thoughts that you would be better off dead or of hurting yourself in some way" in html
    assert "educational grant from Pfizer Inc." in html
    assert html.count('type="radio"') == 9 * 4 + 4
    assert 'src="/static/js/measures.js"' in html or "measures.js" in html


def test_it_refuses_a_blank_item_with_a_clear_message_and_keeps_the_answers(dynamo):
    client, therapist = _assigned()
    http = _as(client)
    key = _key(http.get(_form_url(client, therapist)).content.decode())

    response = http.post(_form_url(client, therapist), _answers([2, 1, None, 0, 0, 0, 0, 0, 0], key))

    html = response.content.decode()
    assert response.status_code == 400
    assert "Please answer question 3: every question needs an answer." in html
    assert 'name="item_1" value="2" required checked' in html
    assert 'name="item_2" value="1" required checked' in html
    assert MeasureRepository().list_results(client.account_id, MeasureKind.PHQ9) == []


def test_it_scores_a_complete_questionnaire_once_and_shows_the_band_and_history(dynamo):
    client, therapist = _assigned()
    http = _as(client)
    key = _key(http.get(_form_url(client, therapist)).content.decode())
    data = _answers([2, 2, 2, 1, 1, 1, 1, 1, 0], key)

    first = http.post(_form_url(client, therapist), data)
    again = http.post(_form_url(client, therapist), data)

    assert first.status_code == 302 and again.status_code == 302
    assert first["Location"] == again["Location"]
    result = http.get(first["Location"])
    html = result.content.decode()
    assert "<strong>11</strong> of 27" in html and "Moderate signs of depression." in html
    assert "crisis-contacts" not in html
    assert len(MeasureRepository().list_results(client.account_id, MeasureKind.PHQ9)) == 1
    # Done: no longer due.
    assert service.measures_due_for_client(client.account_id) == []
    assert not mail.outbox


def test_item_nine_shows_crisis_contacts_next_alerts_once_without_health_data_and_flags(dynamo):
    client, therapist = _assigned()
    http = _as(client)
    key = _key(http.get(_form_url(client, therapist)).content.decode())
    data = _answers([3, 3, 3, 3, 3, 2, 2, 2, 1], key)

    response = http.post(_form_url(client, therapist), data)
    http.post(_form_url(client, therapist), data)  # a double submit

    page = http.get(response["Location"]).content.decode()
    assert 'id="crisis-contacts"' in page
    assert "Your therapist will see this at their next opportunity" in page
    assert "not watched around the clock" in page
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == "A questionnaire needs your attention"
    assert email.to == [therapist.email]
    text = email.subject + email.body
    for secret in ("Casey", "Client", "C.C.", "CC", "22", "severe", "PHQ", "harm", client.account_id):
        assert secret not in text, secret
    assert "https://portal.example/therapist/questionnaires/alerts/" in email.body

    therapist_http = _as(therapist)
    flagged = therapist_http.get(f"/therapist/questionnaires/{client.account_id}/").content.decode()
    assert "Needs your attention" in flagged
    assert "Casey Client" in therapist_http.get("/therapist/questionnaires/alerts/").content.decode()


def test_only_an_acknowledgement_with_a_note_clears_the_flag_and_it_is_audited(dynamo):
    client, therapist = _assigned()
    submitted = service.measure_submit(
        client_id=client.account_id,
        measure=MeasureKind.PHQ9,
        therapist_id=therapist.account_id,
        answers=[0] * 8 + [1],
        difficulty=None,
        idempotency_key="k" * 20,
    )
    http = _as(therapist)
    url = f"/therapist/questionnaires/{client.account_id}/alerts/{submitted.result.result_id}/"

    blank = http.post(url, {"note": "  "})
    assert blank.status_code == 400 and "the flag clears only with one" in blank.content.decode()
    assert service.measure_alerts_for_therapist(therapist.account_id)

    done = http.post(url, {"note": "Phoned; safety plan reviewed."})

    assert done.status_code == 302
    assert service.measure_alerts_for_therapist(therapist.account_id) == []
    assert "Needs your attention" not in http.get(f"/therapist/questionnaires/{client.account_id}/").content.decode()
    events = AuditRepository().list_for_subject(client.account_id, category=AuditCategory.CARE).items
    acknowledged = [e for e in events if e.action == service.ACKNOWLEDGED]
    assert len(acknowledged) == 1 and acknowledged[0].actor_id == therapist.account_id
    assert "safety plan" not in repr(acknowledged[0])
    staff_view = service.measure_alerts_for_staff(client.account_id)
    assert staff_view[0].acknowledged_at is not None and not hasattr(staff_view[0], "answers")
    assert http.post(url, {"note": "again"}).status_code == 404


def test_a_therapist_assigns_and_stops_a_measure_and_sees_latest_band_and_change(dynamo):
    client, therapist = make_active_pair()
    http = _as(therapist)
    url = f"/therapist/questionnaires/{client.account_id}/"

    assert http.post(url, {"measure": "GAD7", "schedule": "2w"}).status_code == 302
    for n, answers in enumerate(([3, 3, 2, 2, 1, 1, 0], [1, 1, 1, 1, 0, 0, 0])):
        service.measure_submit(
            client_id=client.account_id,
            measure=MeasureKind.GAD7,
            therapist_id=therapist.account_id,
            answers=answers,
            difficulty=None,
            idempotency_key=f"key-number-{n}-abcdefgh",
            now=service.utcnow() + service.timedelta(weeks=2 * n, minutes=1),
        )
    html = http.get(url).content.decode()
    assert "Latest: <strong>4</strong> of 21 (minimal); -8 since the first (improvement)." in html
    assert "Every 2 weeks" in html

    assert http.post(f"{url}stop/", {"measure": "GAD7"}).status_code == 302
    assert service.measures_assigned_by(user=therapist, client_id=client.account_id) == []


def test_a_therapist_can_assign_only_in_an_active_relationship(dynamo):
    client = make_account(AccountKind.CLIENT)
    stranger = make_account(AccountKind.THERAPIST)
    http = _as(stranger)

    assert (
        http.post(
            f"/therapist/questionnaires/{client.account_id}/", {"measure": "PHQ9", "schedule": "once"}
        ).status_code
        == 404
    )
    assert MeasureRepository().list_assignments(client.account_id) == []


def test_nobody_else_reaches_the_answers(dynamo):
    client, therapist = _assigned()
    submitted = service.measure_submit(
        client_id=client.account_id,
        measure=MeasureKind.PHQ9,
        therapist_id=therapist.account_id,
        answers=[1] * 9,
        difficulty=None,
        idempotency_key="z" * 20,
    )
    result_url = f"/client/questionnaires/PHQ9/results/{submitted.result.result_id}/"
    therapist_url = f"/therapist/questionnaires/{client.account_id}/"
    ack_url = f"{therapist_url}alerts/{submitted.result.result_id}/"

    anonymous = HttpClient()
    for url in (result_url, therapist_url, ack_url, "/client/questionnaires/PHQ9/"):
        assert anonymous.get(url).status_code == 302  # to the login page

    other_client = _as(make_account(AccountKind.CLIENT))
    assert other_client.get(result_url).status_code == 404
    assert "<strong>" not in other_client.get("/client/questionnaires/PHQ9/").content.decode()
    assert other_client.get(therapist_url).status_code == 403

    unrelated = _as(make_account(AccountKind.THERAPIST))
    assert unrelated.get(therapist_url).status_code == 404
    assert unrelated.get(ack_url).status_code == 404

    staff = _as(make_account(AccountKind.STAFF))
    for url in (result_url, therapist_url, ack_url):
        assert staff.get(url).status_code == 403


def test_a_closed_or_unknown_questionnaire_is_not_found(dynamo):
    client, therapist = make_active_pair()
    http = _as(client)
    assert http.get(_form_url(client, therapist)).status_code == 404
    assert http.get(f"/client/questionnaires/NOPE/{therapist.account_id}/").status_code == 404


def test_after_the_relationship_ends_the_therapist_reads_their_results_read_only_and_each_read_is_audited(dynamo):
    from tests.messaging_data import end_relationship

    client, therapist = _assigned()
    service.measure_submit(
        client_id=client.account_id,
        measure=MeasureKind.PHQ9,
        therapist_id=therapist.account_id,
        answers=[2] * 9,
        difficulty=None,
        idempotency_key="e" * 20,
    )
    end_relationship(client, therapist)
    http = _as(therapist)
    url = f"/therapist/questionnaires/{client.account_id}/"

    page = http.get(url)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="measures-read-only"' in html and "<strong>18</strong> of 27" in html
    assert "Assign a questionnaire" not in html and "Stop PHQ-9" not in html
    assert http.post(url, {"measure": "PHQ9", "schedule": "once"}).status_code == 404
    events = AuditRepository().list_for_subject(client.account_id, category=AuditCategory.CARE).items
    assert [e.actor_id for e in events if e.action == service.ENDED_READ] == [therapist.account_id]


def test_the_therapist_reads_the_latest_answers_and_a_typed_name_comes_out_escaped(dynamo):
    from tests.relationships import connect

    client = make_account(AccountKind.CLIENT, name="<script>alert('x')</script> {{ 7*7 }}")
    therapist = make_account(AccountKind.THERAPIST)
    connect(client, therapist)
    service.measure_assign(
        user=therapist, client_id=client.account_id, measure=MeasureKind.GAD7, schedule=Schedule.ONCE
    )
    service.measure_submit(
        client_id=client.account_id,
        measure=MeasureKind.GAD7,
        therapist_id=therapist.account_id,
        answers=[3, 0, 0, 0, 0, 0, 2],
        difficulty=None,
        idempotency_key="n" * 20,
    )
    html = _as(therapist).get(f"/therapist/questionnaires/{client.account_id}/").content.decode()

    assert "Feeling nervous, anxious or on edge: <strong>Nearly every day</strong>" in html
    assert "Feeling afraid as if something awful might happen: <strong>More than half the days</strong>" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; {{ 7*7 }}" in html
