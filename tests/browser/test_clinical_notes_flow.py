"""A therapist writes a SOAP note at desktop width, it autosaves, they sign it and add an addendum;
leaving with unsaved text asks first; axe-core finds nothing on the note page or the client's record."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.accounts import PASSWORD
from tests.browser.axe import DESKTOP, axe_violations
from tests.notes_data import held
from tests.sessions_data import care_pair

pytestmark = pytest.mark.browser


def _log_in(page: Page, site: str, user: Any) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if user.test_mfa_secret:
        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(user.test_mfa_secret).now())
        page.get_by_role("button", name="Continue").click()


def test_a_therapist_writes_a_soap_note_signs_it_and_adds_to_it(
    site: str, page: Page, browser: Browser, console_errors: list[str]
) -> None:
    pair = care_pair()
    session = held(pair)
    page.set_viewport_size(DESKTOP)
    _log_in(page, site, pair.therapist)
    page.goto(f"{site}/therapist/notes/{session.session_id}/")
    expect(page.get_by_role("heading", name="Private progress note: only you")).to_be_visible()

    page.get_by_label("Subjective").fill("Slept better this week")
    page.get_by_label("Objective").click()  # leaving the field saves it
    expect(page.locator("#progress-status")).to_contain_text("Saved at")
    page.get_by_label("Objective").fill("Calm, good eye contact")
    page.get_by_label("Assessment").fill("Improving")
    page.get_by_label("Plan").fill("Keep the evening routine")
    page.get_by_label("What your client reads").click()
    expect(page.locator("#progress-status")).to_contain_text("Saved at")
    # The two notes stand side by side on a desktop.
    private_box = page.locator(".note-private").bounding_box()
    shared_box = page.locator(".note-shared").bounding_box()
    assert private_box and shared_box and shared_box["x"] > private_box["x"] + private_box["width"] / 2
    assert axe_violations(page) == []

    page.reload()  # nothing typed is lost
    expect(page.get_by_label("Plan")).to_have_value("Keep the evening routine")
    page.get_by_role("button", name="Sign progress note").click()
    expect(page.get_by_text(f"Signed by {pair.therapist.name} on")).to_be_visible()
    expect(page.get_by_label("Subjective")).to_have_count(0)

    page.locator(".note-private").get_by_text("Add an addendum").click()
    page.get_by_label("Addendum", exact=True).fill("Also mentioned a new job")
    page.get_by_label("Reason").fill("Remembered after the session")
    page.get_by_role("button", name="Sign addendum").click()
    expect(page.get_by_text("Also mentioned a new job")).to_be_visible()
    expect(page.locator(".addendum .note-signature")).to_contain_text("Signed by")
    assert axe_violations(page) == []

    client = browser.new_page()
    _log_in(client, site, pair.client)
    client.goto(f"{site}/client/notes/{session.session_id}/")
    expect(client.get_by_role("heading", name="Ask for a correction")).to_be_visible()
    assert "Keep the evening routine" not in client.content()
    assert axe_violations(client) == []
    assert console_errors == []


def test_leaving_with_unsaved_text_asks_first(site: str, page: Page) -> None:
    pair = care_pair()
    session = held(pair)
    _log_in(page, site, pair.therapist)
    page.goto(f"{site}/therapist/notes/{session.session_id}/")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))

    page.get_by_label("Subjective").fill("Not saved yet")
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)

    assert dialogs == ["beforeunload"]
