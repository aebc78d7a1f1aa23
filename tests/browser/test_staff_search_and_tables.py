"""Staff search by a name in a real browser, and tables that scroll inside their own region on a phone."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from portal.domain import AccountKind
from tests.accounts import PASSWORD, make_account

pytestmark = pytest.mark.browser


def _log_in(page: Any, site: str, user: Any) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if user.test_mfa_secret:
        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(user.test_mfa_secret).now())
        page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 900)])
def test_mar_finds_maria_and_the_table_scrolls_in_its_region(site: str, browser: Browser, width: int, height: int):
    make_account(AccountKind.CLIENT, name="Maria Santos", email="maria.santos.with.a.long.address@example.com")
    staff = make_account(AccountKind.STAFF, name="Sam Staff")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    _log_in(page, site, staff)
    page.goto(f"{site}/staff/")
    # A name, not an email: the browser must not ask for an "@".
    page.get_by_label("Find by the start of a name or an email").fill("Mar")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Maria Santos")).to_be_visible()
    region = page.get_by_role("region", name="Accounts (scrolls sideways)")
    sizes = region.evaluate("r => [r.scrollWidth, r.clientWidth, document.documentElement.scrollWidth, innerWidth]")
    table_width, region_width, page_width, viewport = sizes
    # The page itself never scrolls sideways; on a phone the table does, inside its region.
    assert page_width <= viewport
    if width < 600:
        assert table_width > region_width
    else:
        assert table_width <= region_width
    # Dates do not wrap.
    created = page.locator("#account-rows td.nowrap").first
    assert created.evaluate("td => getComputedStyle(td).whiteSpace") == "nowrap"
    context.close()
