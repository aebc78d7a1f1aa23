"""After every htmx swap outside the journal, focus lands on what changed, never on <body>.

The journal's own swaps (save, share, edit, delete, load more) are asserted in
test_journal_in_use.py; these are the pages added since: messages, the care
relationship, the directory, sessions.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.user import User
from portal.ids import new_id
from portal.services import sessions as session_service
from tests.browser.axe import PHONE
from tests.browser.login import log_in_as
from tests.practice_data import make_practice
from tests.sessions_data import Pair, in_days

pytestmark = pytest.mark.browser


def _log_in(page: Page, site: str, user: User) -> None:
    page.set_viewport_size(PHONE)
    log_in_as(page, site, user)
    page.goto(f"{site}/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _focus_is_not_on_body(page: Page) -> Any:
    return page.wait_for_function("() => document.activeElement && document.activeElement !== document.body")


def test_it_keeps_focus_in_the_message_box_after_sending(site: str, page: Page, console_errors: list[str]) -> None:
    practice = make_practice()
    _log_in(page, site, practice.client)
    page.goto(f"{site}/messages/{practice.therapist.account_id}/")
    box = page.get_by_label("Message to Dr. Alex Chen")
    box.fill("Running late, 10 minutes")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#message-list")).to_contain_text("Running late, 10 minutes")
    expect(page.get_by_label("Message to Dr. Alex Chen")).to_be_focused()
    expect(page.get_by_label("Message to Dr. Alex Chen")).to_have_value("")
    # Sent empty: focus stays in the box, which names its error.
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_label("Message to Dr. Alex Chen")).to_be_focused()
    expect(page.get_by_label("Message to Dr. Alex Chen")).to_have_attribute("aria-describedby", "id_content_error")
    assert [e for e in console_errors if "status of 400" not in e] == []


def test_it_focuses_the_outcome_after_a_therapist_answers_a_request(site: str, page: Page, console_errors: list[str]) -> None:
    practice = make_practice()
    _log_in(page, site, practice.therapist)
    page.goto(f"{site}/therapist/clients/")
    page.get_by_role("button", name="Accept Quinn Asking").click()
    status = page.locator("#relationships [role=status]")
    expect(status).to_be_visible()
    expect(status).to_be_focused()
    assert console_errors == []


def test_it_keeps_focus_on_the_filter_while_the_results_are_announced(site: str, page: Page, console_errors: list[str]) -> None:
    practice = make_practice()
    _log_in(page, site, practice.client)
    page.goto(f"{site}/client/therapists/")
    page.locator("main form select").first.select_option("anxiety")
    page.get_by_role("button", name="Show therapists").click()
    # The button stays (only the results are swapped): focus stays on it, and the
    # results, a polite live region, are read out.
    expect(page.locator("#results")).to_contain_text("Dr. Omar Haddad")
    expect(page.get_by_role("button", name="Show therapists")).to_be_focused()
    expect(page.locator("#results")).to_have_attribute("aria-live", "polite")
    assert console_errors == []


def test_it_focuses_the_first_session_that_arrived_after_load_more(site: str, page: Page, console_errors: list[str]) -> None:
    practice = make_practice()
    pair = Pair(practice.client, practice.therapist)
    for day in range(30):
        session_service.session_create(
            user=pair.therapist,
            client_id=pair.client.account_id,
            title=f"Session {day}",
            scheduled_for=in_days(4 + day),
            duration_minutes=50,
            location="Room 4",
            idempotency_key=new_id(),
            confirm_overlap=True,
        )
    _log_in(page, site, practice.therapist)
    page.goto(f"{site}/therapist/sessions/")
    rows = page.locator("#agenda-list > li.session-row")
    before = rows.count()
    page.get_by_role("link", name="Later sessions").click()
    expect(rows.nth(before)).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("More loaded.")
    assert console_errors == []
