"""The journal, questionnaires and session records on a phone with JavaScript off: the walk a new
client takes, and the therapist's view.

Plain forms and links only: a save keeps the filter, sharing from a filtered
view returns to it, an older page leads back to the newest entries, and the
therapist sees what is new since their last visit. (axe runs in the page's
JavaScript, so the scans are in test_axe_every_page.py; the markup is the same.)
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from portal.accounts.user import User
from portal.domain_measures import MeasureKind
from portal.dynamo.clinical_notes import ClinicalNoteRepository
from portal.dynamo.measures import MeasureRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.note_domain import NoteKind
from portal.timeutil import utcnow
from tests.accounts import PASSWORD
from tests.browser.axe import PHONE
from tests.practice_data import make_practice

pytestmark = pytest.mark.browser


def _plain_page(browser: Browser, site: str, user: User) -> tuple[Any, Page]:
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    secret = getattr(user, "test_mfa_secret", None)
    if secret:
        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return context, page


def test_a_client_writes_filters_shares_and_pages_without_javascript(site: str, browser: Browser) -> None:
    practice = make_practice()
    context, page = _plain_page(browser, site, practice.client)
    try:
        page.goto(f"{site}/client/journal/")
        # A few taps: a feeling chip, an intensity chip, save; "when" defaults to now.
        form = page.locator("#entry-form")
        form.get_by_label("Lonely").check()
        form.get_by_label("7", exact=True).check()
        form.get_by_role("button", name="Save entry").click()
        expect(page.get_by_text("Saved to your journal.")).to_be_visible()

        page.goto(f"{site}/client/journal/?feeling=lonely")
        expect(page.locator("#entries-heading")).to_have_text("Matching entries")
        # Saving while filtered comes back to the filtered list, the new entry in it.
        form = page.locator("#entry-form")
        form.get_by_label("Lonely").check()
        form.get_by_label("4", exact=True).check()
        form.get_by_role("button", name="Save entry").click()
        assert "feeling=lonely" in page.url
        expect(page.locator("#entries-heading")).to_have_text("Matching entries")
        expect(page.locator("#entry-list > li.entry")).to_have_count(2)
        # Sharing from the filtered view returns to it.
        page.locator("#entry-list > li.entry").first.get_by_role("button", name="Share with my therapist").click()
        assert "feeling=lonely" in page.url
        expect(page.locator("#entry-list > li.entry").first.get_by_role("button", name="Stop sharing")).to_be_visible()

        # 26 entries: "Load more" is a link to an older page that leads back and has no entry form.
        page.goto(f"{site}/client/journal/")
        page.get_by_role("link", name="Load more", exact=True).click()
        expect(page.get_by_role("link", name="Back to the newest entries and the entry form")).to_be_visible()
        expect(page.locator("#entry-form")).to_have_count(0)
    finally:
        context.close()


def test_a_therapist_sees_what_is_new_since_the_last_visit_without_javascript(site: str, browser: Browser) -> None:
    practice = make_practice()
    context, page = _plain_page(browser, site, practice.therapist)
    try:
        page.goto(f"{site}/therapist/clients/{practice.client.account_id}/journal/")
        # Two of the eight shared entries were shared after the visit three hours ago.
        expect(page.locator("#new-since-visit")).to_contain_text("2 new shared entries since your last visit on")
        new = page.locator("#shared-entries li.entry-new")
        expect(new).to_have_count(2)
        # Not colour alone: the word, and for a screen reader what it means.
        expect(new.first.locator(".new-badge")).to_have_text("New since your last visit:")
        record = RelationshipRepository().get(practice.client.account_id, practice.therapist.account_id)
        assert record is not None and record.therapist_last_visit_at is not None
        assert utcnow() - record.therapist_last_visit_at < timedelta(minutes=1)
    finally:
        context.close()


def test_a_client_answers_a_questionnaire_and_asks_for_a_correction_without_javascript(
    site: str, browser: Browser
) -> None:
    practice = make_practice(care_records=True)
    assert practice.records is not None
    held_id = practice.records.held_session_id
    context, page = _plain_page(browser, site, practice.client)
    try:
        page.goto(f"{site}/client/questionnaires/")
        page.get_by_role("link", name=re.compile(r"^Fill in: .*GAD-7")).click()
        # One page: every question shows at once, and a plain post sends them.
        questions = page.locator(".measure-question")
        expect(questions).to_have_count(7)
        for number in range(7):
            questions.nth(number).get_by_text("Several days", exact=True).click()
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_role("heading", name="Your GAD-7 score")).to_be_visible()
        expect(page.locator(".measure-score")).to_contain_text("7 of 21")
        page.goto(f"{site}/client/questionnaires/GAD7/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        [result] = MeasureRepository().list_results(practice.client.account_id, MeasureKind.GAD7)
        assert result.answers == (1,) * 7

        # The session record: the signed shared note with its addendum, and a request sent by a plain post.
        page.goto(f"{site}/client/notes/{held_id}/")
        expect(page.get_by_text("We practised a breathing exercise.")).to_be_visible()
        expect(page.get_by_text("Also: a sleep diary.")).to_be_visible()
        page.get_by_label("What should be corrected").fill("The date is wrong.")
        page.get_by_role("button", name="Send request").click()
        expect(page.get_by_text("The date is wrong.")).to_be_visible()
        texts = sorted(c.text for c in ClinicalNoteRepository().for_session(held_id).corrections)
        assert texts == ["It was two exercises.", "The date is wrong."]
    finally:
        context.close()


def test_a_therapist_acknowledges_an_alert_and_saves_a_note_without_javascript(site: str, browser: Browser) -> None:
    practice = make_practice(care_records=True)
    assert practice.records is not None
    held_id = practice.records.held_session_id
    context, page = _plain_page(browser, site, practice.therapist)
    try:
        page.goto(f"{site}/therapist/questionnaires/alerts/")
        page.get_by_role("link", name="Acknowledge with a note").click()
        page.get_by_label("What you did").fill("Called; safety plan reviewed.")
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_text("Nothing needs your attention.")).to_be_visible()
        page.goto(f"{site}/therapist/questionnaires/{practice.client.account_id}/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()

        # The progress note saves with a plain post of "Save draft".
        page.goto(f"{site}/therapist/notes/{held_id}/")
        progress = page.locator("section.note-private")
        progress.get_by_label("Plan").fill("Walks twice a week")
        progress.get_by_role("button", name="Save draft").click()
        expect(page.locator("section.note-private").get_by_text(re.compile(r"Saved at"))).to_be_visible()
        note = ClinicalNoteRepository().get_note(held_id, NoteKind.PROGRESS)
        assert note is not None and note.text("plan") == "Walks twice a week" and not note.signed
    finally:
        context.close()
