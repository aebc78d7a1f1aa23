"""The journal in a real browser: htmx adding, filtering, sharing, the chart, accessibility."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.domain import AccountKind, MappingStatus
from portal.dynamo.mappings import MappingRepository
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import PASSWORD, make_account

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def _log_in(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _entry(user: Any, feeling: str, note: str, minutes_ago: int) -> None:
    journal_entry_create(
        client_id=user.account_id,
        time_of_emotion=utcnow() - timedelta(minutes=minutes_ago),
        feeling=feeling,
        intensity=5,
        note=note,
    )


@pytest.fixture
def journal_page(site: str, page: Page) -> Any:
    user = make_account(AccountKind.CLIENT, name="Robin")
    _log_in(page, site, user.email)
    page.goto(f"{site}/client/journal/")
    return user


def test_it_adds_an_entry_without_reloading_the_page(site, page: Page, journal_page, console_errors):
    page.evaluate("window.__stillSamePage = true")
    form = page.locator("#entry-form")
    form.get_by_label("Hopeful").check()
    form.get_by_role("group", name="How strong").get_by_label("6", exact=True).check()
    form.get_by_label("Note (optional)").fill("The walk helped")
    page.get_by_role("button", name="Save entry").click()
    entry = page.locator("#entry-list li.entry").first
    expect(entry).to_contain_text("The walk helped")
    expect(entry).to_contain_text("Hopeful")
    expect(page.locator("#entry-saved")).to_have_text("Saved to your journal.")
    expect(entry).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("Saved to your journal.")
    assert page.evaluate("window.__stillSamePage") is True
    expect(page.get_by_label("Note (optional)")).to_have_value("")
    assert console_errors == []


def test_it_shows_errors_in_place_and_keeps_the_note(site, page: Page, journal_page, console_errors):
    page.evaluate("window.__stillSamePage = true")
    page.get_by_label("Calm").check()
    page.get_by_label("Note (optional)").fill("Please keep this")
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_text("Choose how strong it is, from 1 to 10.")).to_be_visible()
    expect(page.get_by_label("Note (optional)")).to_have_value("Please keep this")
    expect(page.get_by_label("Calm")).to_be_checked()
    # Focus lands on the first choice of the field to fix, which names its error.
    expect(page.locator("#id_intensity_0")).to_be_focused()
    assert page.locator("#id_intensity_error").count() == 1
    assert page.evaluate("window.__stillSamePage") is True
    assert console_errors == []


def test_it_filters_by_feeling_and_keeps_the_filter_in_the_address(site, page: Page, console_errors):
    user = make_account(AccountKind.CLIENT)
    _entry(user, "anxious", "Exam tomorrow", 10)
    _entry(user, "calm", "Quiet evening", 20)
    _log_in(page, site, user.email)
    page.goto(f"{site}/client/journal/")
    page.locator("#filter_feeling").select_option("anxious")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#entry-list")).not_to_contain_text("Quiet evening")
    expect(page.locator("#entry-list")).to_contain_text("Exam tomorrow")
    assert "feeling=anxious" in page.url
    page.reload()
    expect(page.locator("#entry-list")).not_to_contain_text("Quiet evening")
    assert console_errors == []


def test_it_shares_an_entry_that_the_therapist_then_sees(site, page: Page, browser, console_errors):
    patient = make_account(AccountKind.CLIENT, name="Pat")
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tess")
    MappingRepository().put(
        patient.account_id, therapist.account_id, MappingStatus.ACTIVE, client_name="Pat", therapist_name="Dr Tess"
    )
    _entry(patient, "sad", "Tell Dr Tess about this", 10)
    _entry(patient, "calm", "Just for me", 20)
    _log_in(page, site, patient.email)
    page.goto(f"{site}/client/journal/")
    shared_one = page.locator("li.entry", has_text="Tell Dr Tess about this")
    shared_one.get_by_role("button", name="Share with my therapist").click()
    expect(shared_one.get_by_text("Shared", exact=True)).to_be_visible()

    import pyotp

    therapist_page = browser.new_page()
    _log_in(therapist_page, site, therapist.email)
    therapist_page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(therapist.test_mfa_secret).now())
    therapist_page.get_by_role("button", name="Continue").click()
    therapist_page.get_by_role("link", name="Pat").click()
    expect(therapist_page.locator("#shared-entries")).to_contain_text("Tell Dr Tess about this")
    expect(therapist_page.locator("#shared-entries")).not_to_contain_text("Just for me")
    therapist_page.close()

    page.reload()
    page.get_by_role("link", name="Who read my shared entries").click()
    visit = page.locator("#access-visits li", has_text="Dr Tess")
    expect(visit.get_by_role("heading", name="Dr Tess")).to_be_visible()
    expect(visit).to_contain_text("Sad,")
    expect(visit).not_to_contain_text("Calm,")
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert [v["id"] for v in result["violations"]] == []
    assert console_errors == []


def test_it_draws_the_mood_chart(site, page: Page, console_errors):
    user = make_account(AccountKind.CLIENT)
    for minutes, feeling in ((30, "anxious"), (90, "anxious"), (150, "calm")):
        _entry(user, feeling, "", minutes)
    _log_in(page, site, user.email)
    page.goto(f"{site}/client/journal/")
    page.get_by_role("link", name="See these as a mood chart").click()
    expect(page.get_by_role("img", name="Mood, ", exact=False).first).to_be_visible()
    expect(page.get_by_role("img", name="How often each feeling appeared")).to_be_visible()
    expect(page.locator("path.chart-point:not(.legend-point)")).to_have_count(3)
    assert console_errors == []


def test_it_passes_an_accessibility_scan_of_the_journal_page(site, page: Page, console_errors):
    user = make_account(AccountKind.CLIENT)
    _entry(user, "tired", "Long day", 15)
    _log_in(page, site, user.email)
    page.goto(f"{site}/client/journal/")
    # Evaluated rather than injected as a script tag, which the CSP would block.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
    assert violations == []
    assert console_errors == []
