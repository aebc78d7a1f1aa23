"""Sign up, log in and log out in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "a quiet harbour at dawn"


def test_it_signs_up_logs_out_and_logs_back_in(site: str, page: Page, console_errors: list[str]):
    page.goto(f"{site}/accounts/signup/client/")
    page.get_by_label("Your name").fill("Robin Ash")
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(f"{site}/client/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Robin Ash")
    expect(page.get_by_text("Please confirm your email address")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{site}/accounts/login/")
    page.goto(f"{site}/client/")
    expect(page).to_have_url(f"{site}/accounts/login/?next=/client/")

    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{site}/client/")
    assert console_errors == []


def test_it_shows_a_wrong_password_without_losing_the_email(site: str, page: Page, console_errors: list[str]):
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("do not match an account")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("nobody@example.com")
    assert console_errors == []
