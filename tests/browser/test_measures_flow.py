"""A client answers a PHQ-9 on a phone, one question a screen, and is answered at once when item 9 is above zero."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.domain_measures import MeasureKind, Schedule
from portal.dynamo.measures import MeasureRepository
from portal.services import measures as measures_service
from tests.browser.axe import PHONE, axe_violations, page_faults
from tests.browser.login import log_in_as
from tests.messaging_data import make_active_pair

pytestmark = pytest.mark.browser


def test_a_client_answers_a_phq9_one_question_a_screen_on_a_phone(site, page: Page, console_errors, settings):
    settings.PORTAL_BASE_URL = site
    client, therapist = make_active_pair()
    measures_service.measure_assign(
        user=therapist, client_id=client.account_id, measure=MeasureKind.PHQ9, schedule=Schedule.ONCE
    )
    page.set_viewport_size(PHONE)
    log_in_as(page, site, client)

    page.goto(f"{site}/client/questionnaires/")
    page.get_by_role("link", name="Fill in: Mood questionnaire (PHQ-9)").click()

    questions = page.locator(".measure-question")
    expect(questions.nth(0)).to_be_visible()
    expect(questions.nth(1)).to_be_hidden()
    expect(page.locator("#measure-progress")).to_have_text("Question 1 of 10")
    expect(page.get_by_role("button", name="Send my answers")).to_be_hidden()
    assert axe_violations(page) == [] and page_faults(page) == []

    # Next without an answer is refused on the spot, and nothing moves on.
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Please answer this question.")).to_be_visible()
    expect(questions.nth(0)).to_be_visible()

    answers = [
        "Several days",
        "More than half the days",
        "Not at all",
        "Several days",
        "Not at all",
        "Several days",
        "Not at all",
        "Not at all",
        "Several days",
    ]
    for number, label in enumerate(answers):
        question = questions.nth(number)
        expect(question).to_be_visible()
        question.get_by_text(label, exact=True).click()
        expect(page.locator("#measure-progress")).to_have_text(f"Question {number + 2} of 10")

    # Back keeps what was chosen.
    page.get_by_role("button", name="Back").click()
    expect(questions.nth(8).get_by_label("Several days", exact=True)).to_be_checked()
    page.get_by_role("button", name="Next").click()
    questions.nth(9).get_by_text("Somewhat difficult", exact=True).click()
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", name="Your PHQ-9 score")).to_be_visible()
    expect(page.locator("#crisis-contacts")).to_be_visible()
    expect(page.locator("#measure-safety-note")).to_contain_text("not watched around the clock")
    expect(page.locator(".measure-score")).to_contain_text("6 of 27")
    assert axe_violations(page) == [] and page_faults(page) == []
    assert console_errors == []
    stored = MeasureRepository().list_results(client.account_id, MeasureKind.PHQ9)
    assert [r.answers for r in stored] == [(1, 2, 0, 1, 0, 1, 0, 0, 1)] and stored[0].difficulty == 1


def test_without_javascript_the_questionnaire_is_one_page_and_a_blank_item_keeps_the_answers(site, browser):
    client, therapist = make_active_pair()
    measures_service.measure_assign(
        user=therapist, client_id=client.account_id, measure=MeasureKind.GAD7, schedule=Schedule.ONCE
    )
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in_as(page, site, client)
        page.goto(f"{site}/client/questionnaires/GAD7/{therapist.account_id}/")
        questions = page.locator(".measure-question")
        expect(questions).to_have_count(7)
        for number in range(7):
            expect(questions.nth(number)).to_be_visible()
        questions.nth(0).get_by_text("Nearly every day", exact=True).click()
        page.get_by_role("button", name="Send my answers").click()

        expect(page.get_by_text("Please answer questions 2, 3, 4, 5, 6 and 7")).to_be_visible()
        expect(questions.nth(0).get_by_label("Nearly every day", exact=True)).to_be_checked()
    finally:
        context.close()


def test_the_therapists_questionnaire_pages_pass_axe_on_a_phone(site, page: Page, console_errors, settings):
    settings.PORTAL_BASE_URL = site
    client, therapist = make_active_pair()
    measures_service.measure_assign(
        user=therapist, client_id=client.account_id, measure=MeasureKind.PHQ9, schedule=Schedule.EVERY_2_WEEKS
    )
    submitted = measures_service.measure_submit(
        client_id=client.account_id,
        measure=MeasureKind.PHQ9,
        therapist_id=therapist.account_id,
        answers=[2] * 8 + [1],
        difficulty=2,
        idempotency_key="browser-key-abcdefghij",
    )
    page.set_viewport_size(PHONE)
    log_in_as(page, site, therapist)
    for path in (
        f"/therapist/questionnaires/{client.account_id}/",
        "/therapist/questionnaires/alerts/",
        f"/therapist/questionnaires/{client.account_id}/alerts/{submitted.result.result_id}/",
    ):
        page.goto(f"{site}{path}")
        assert (path, axe_violations(page), page_faults(page)) == (path, [], [])
    page.get_by_label("What you did").fill("Called; safety plan reviewed.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Nothing needs your attention.")).to_be_visible()
    assert console_errors == []
