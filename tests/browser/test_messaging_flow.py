"""Messaging in a real browser: two people, one conversation, no reloads; axe on the new pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from portal.domain import AccountKind
from tests.accounts import PASSWORD
from tests.messaging_data import make_active_pair

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def _log_in(page: Page, site: str, user: Any) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if user.kind is AccountKind.THERAPIST:
        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(user.test_mfa_secret).now())
        page.get_by_role("button", name="Continue").click()


def _axe_violations(page: Page) -> list[Any]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


def test_a_message_reaches_the_open_thread_of_the_other_side_and_is_seen(
    site: str, page: Page, browser: Browser, console_errors: list[str]
) -> None:
    client, therapist = make_active_pair()
    _log_in(page, site, client)
    page.goto(f"{site}/messages/{therapist.account_id}/")
    assert _axe_violations(page) == []

    other = browser.new_context().new_page()
    _log_in(other, site, therapist)
    other.goto(f"{site}/messages/{client.account_id}/")
    expect(other.get_by_text("No messages yet.")).to_be_visible()

    page.get_by_label("Message to Dr Tara Chen").fill("Could we talk about Sunday?")
    url_before = page.url
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#message-list")).to_contain_text("Could we talk about Sunday?")
    assert page.url == url_before
    expect(page.get_by_label("Message to Dr Tara Chen")).to_have_value("")

    # The therapist's open thread shows it without a reload, once.
    expect(other.locator("#message-list")).to_contain_text("Could we talk about Sunday?", timeout=10_000)
    assert other.locator("#message-list li", has_text="Could we talk about Sunday?").count() == 1

    # The poll that put it on the therapist's open thread marked it read: the client sees "Seen".
    page.reload()
    expect(page.locator(".seen")).to_contain_text("Seen")

    other.goto(f"{site}/messages/")
    expect(other.get_by_role("link", name="Casey Client")).to_be_visible()
    assert _axe_violations(other) == []
    assert console_errors == []
