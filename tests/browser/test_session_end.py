"""A session that ends while someone is writing loses nothing they typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.session_store import end_other_sessions
from portal.domain import AccountKind
from tests.accounts import PASSWORD, make_account

pytestmark = pytest.mark.browser


def test_it_keeps_the_typed_note_when_the_session_has_ended(site: str, page: Page, console_errors: list[str]):
    user = make_account(AccountKind.CLIENT)
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site}/client/journal/")

    form = page.locator("#entry-form")
    form.get_by_label("Calm").check()
    form.get_by_role("group", name="How strong").get_by_label("4", exact=True).check()
    form.get_by_label("Note (optional)").fill("A long entry written at night")
    end_other_sessions(user.pk, None)  # as if 30 idle minutes had passed
    form.get_by_role("button", name="Save entry").click()

    expect(page.locator("#session-ended")).to_be_visible()
    expect(form.get_by_label("Note (optional)")).to_have_value("A long entry written at night")
    # The refused request is the only console error (its 401).
    assert all("401" in error for error in console_errors)
