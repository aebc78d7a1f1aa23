"""The journal as people use it, in Chromium: focus and announcements after every swap, the place kept.

The axe-core scan of every page for every role is tests/browser/test_axe_every_page.py."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from portal.domain import AccountKind, MappingStatus
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import make_account
from tests.browser.login import log_in_as

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _log_in(page: Page, site: str, user: Any) -> None:
    log_in_as(page, site, user)
    page.goto(f"{site}/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _entry(user: Any, feeling: str, note: str, minutes_ago: int, intensity: int = 5) -> Any:
    return journal_entry_create(
        client_id=user.account_id,
        time_of_emotion=utcnow() - timedelta(minutes=minutes_ago),
        feeling=feeling,
        intensity=intensity,
        note=note,
    )


def _announced(page: Page) -> Any:
    return expect(page.locator("#announcer"))


def _axe(page: Page) -> list[tuple[str, str, list[Any]]]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


@pytest.fixture
def writer(site: str, page: Page) -> Any:
    user = make_account(AccountKind.CLIENT, name="Robin")
    therapist = make_account(AccountKind.THERAPIST, name="Dr. Chen")
    MappingRepository().put(user.account_id, therapist.account_id, MappingStatus.ACTIVE, therapist_name=therapist.name)
    user.therapist = therapist
    return user


def test_it_moves_focus_and_announces_after_share_edit_and_delete(site, page: Page, writer, console_errors):
    entry = _entry(writer, "sad", "A grey day", 30)
    _log_in(page, site, writer)
    page.goto(f"{site}/client/journal/")
    item = page.locator(f"#entry-{entry.entry_id}")

    item.get_by_role("button", name="Share with my therapist").click()
    expect(page.locator(f"#entry-{entry.entry_id}-share")).to_be_focused()
    expect(page.locator(f"#entry-{entry.entry_id}-share")).to_contain_text("Stop sharing")
    _announced(page).to_have_text("Shared with Dr. Chen.")

    item.get_by_role("link", name="Edit").click()
    expect(page.locator(f"#edit-{entry.entry_id}-heading")).to_be_focused()
    # The inline form's labels move focus to its own fields, not the entry form's at the top.
    item.locator("label", has_text="Hopeful").click()
    expect(page.locator(f"#edit-{entry.entry_id}-feeling_3")).to_be_checked()
    expect(page.locator("#id_feeling_3")).not_to_be_checked()
    item.get_by_label("Note (optional)").fill("Brighter later")
    item.get_by_role("button", name="Save changes").click()
    expect(item).to_contain_text("Brighter later")
    expect(item).to_be_focused()
    _announced(page).to_have_text("Entry updated.")

    page.on("dialog", lambda dialog: dialog.accept())
    item.get_by_role("link", name="Delete").click()
    expect(item).to_have_count(0)
    expect(page.locator("#entries-heading")).to_be_focused()
    _announced(page).to_have_text("Entry deleted.")
    assert JournalRepository().get(writer.account_id, entry.entry_id) is None
    assert console_errors == []


def test_it_keeps_loaded_pages_and_the_filter_when_an_entry_is_saved(site, page: Page, writer, console_errors):
    for minutes in range(25):
        _entry(writer, "lonely", f"lonely {minutes}", 60 + minutes * 10)
    _entry(writer, "calm", "calm one", 5)
    _log_in(page, site, writer)
    page.goto(f"{site}/client/journal/")
    page.locator("#filter_feeling").select_option("lonely")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#entries-heading")).to_be_focused()
    expect(page.locator("#entries-heading")).to_have_text("Matching entries")

    # The skip link jumps past twenty entries straight to "Load more".
    page.locator(".skip-inline").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#load-more-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#entry-list li.entry")).to_have_count(25)
    expect(page.locator("#entry-list li.entry").nth(20)).to_be_focused()
    _announced(page).to_have_text("5 more entries loaded.")

    form = page.locator("#entry-form")
    form.get_by_label("Lonely").check()
    form.get_by_role("group", name="How strong").get_by_label("4", exact=True).check()
    form.get_by_label("Note (optional)").fill("lonely again")
    form.get_by_role("button", name="Save entry").click()
    new = page.locator("#entry-list li.entry").first
    expect(new).to_contain_text("lonely again")
    expect(new).to_be_focused()
    # Everything loaded is still there, still filtered.
    expect(page.locator("#entry-list li.entry")).to_have_count(26)
    expect(page.locator("#entry-list")).not_to_contain_text("calm one")
    assert "feeling=lonely" in page.url

    form.get_by_label("Calm").check()
    form.get_by_role("group", name="How strong").get_by_label("3", exact=True).check()
    form.get_by_role("button", name="Save entry").click()
    expect(page.locator("#entry-saved")).to_be_focused()
    expect(page.locator("#entry-saved")).to_contain_text("doesn't match the filter")
    expect(page.locator("#entry-list li.entry")).to_have_count(26)
    assert console_errors == []


def test_it_shows_crisis_contacts_after_a_distressing_entry(site, page: Page, writer, console_errors):
    page.set_viewport_size(PHONE)
    _log_in(page, site, writer)
    page.goto(f"{site}/client/journal/")
    form = page.locator("#entry-form")
    form.get_by_label("Anxious").check()
    form.get_by_role("group", name="How strong").get_by_label("9", exact=True).check()
    form.get_by_role("button", name="Save entry").click()
    expect(page.locator("#entry-saved")).to_be_focused()
    expect(page.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    expect(page.get_by_role("link", name="Call 911")).to_be_visible()
    assert _axe(page) == []
    assert console_errors == []


def test_it_shows_form_errors_that_pass_axe_and_name_their_fields(site, page: Page, writer, console_errors):
    _log_in(page, site, writer)
    page.goto(f"{site}/client/journal/")
    form = page.locator("#entry-form")
    form.locator("summary", has_text="When").click()
    form.get_by_label("When").fill("1800-01-01T10:00")
    form.get_by_role("button", name="Save entry").click()
    expect(page.locator("#id_feeling_0")).to_be_focused()
    _announced(page).to_have_text("Not saved yet: please check the form.")
    expect(form.get_by_role("group", name="Feeling")).to_have_attribute("aria-describedby", "id_feeling_error")
    when = form.get_by_label("When")
    expect(when).to_be_visible()  # the "when" section comes back open, showing what was typed and why not
    expect(when).to_have_attribute("aria-describedby", "id_time_of_emotion_helptext id_time_of_emotion_error")
    for target in ("id_feeling_error", "id_intensity_error", "id_time_of_emotion_helptext", "id_time_of_emotion_error"):
        expect(page.locator(f"#{target}")).to_have_count(1)
    expect(page.locator("#id_time_of_emotion_error")).to_contain_text("check the year")
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        assert _axe(page) == []
    assert console_errors == []


def test_it_sets_up_two_factor_on_a_phone(site, page: Page, console_errors):
    page.set_viewport_size(PHONE)
    user = make_account(AccountKind.CLIENT)
    _log_in(page, site, user)
    page.goto(f"{site}/accounts/two-factor/setup/")
    link = page.get_by_role("link", name="Add the portal to my authenticator app")
    assert link.get_attribute("href").startswith("otpauth://totp/")
    key = page.locator("[data-testid=mfa-secret]").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", key)
    code = page.get_by_label("The 6-digit code the app shows")
    assert code.get_attribute("inputmode") == "numeric"
    assert code.get_attribute("autocomplete") == "one-time-code"
    expect(page.locator("main")).not_to_contain_text("recovery")
    assert _axe(page) == []
    code.fill(pyotp.TOTP(key.replace(" ", "")).now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator("#recovery-codes li")).to_have_count(8)
    expect(page.get_by_role("link", name="Download the codes")).to_have_attribute("download", re.compile(r"\.txt$"))
    assert _axe(page) == []
    assert console_errors == []


def test_it_focuses_the_first_new_shared_entry_after_the_therapists_load_more(site, page: Page, writer, console_errors):
    for minutes in range(22):
        entry = _entry(writer, "calm", f"shared {minutes}", 30 + minutes)
        JournalRepository().set_shared(writer.account_id, entry.entry_id, utcnow())
    _log_in(page, site, writer.therapist)
    page.goto(f"{site}/therapist/clients/{writer.account_id}/journal/")
    page.get_by_role("link", name="Load more").click()
    expect(page.locator("#shared-entries li.entry")).to_have_count(22)
    expect(page.locator("#shared-entries li.entry").nth(20)).to_be_focused()
    _announced(page).to_have_text("More loaded.")
    assert console_errors == []
