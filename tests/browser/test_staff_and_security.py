"""Staff pages and the security page in a real browser: an action end to end, and accessibility."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from portal.domain import AccountKind, MappingStatus
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.sessions import SessionRepository
from tests.accounts import PASSWORD, make_account
from tests.factories import make_session

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def _log_in(page: Page, site: str, user: Any) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if user.test_mfa_secret:
        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(user.test_mfa_secret).now())
        page.get_by_role("button", name="Continue").click()


def _axe_violations(page: Page) -> list[Any]:
    # Evaluated rather than injected as a script tag, which the CSP would block.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


def test_it_deactivates_an_account_from_its_page_and_passes_accessibility_scans(
    site: str, page: Page, console_errors: list[str]
):
    patient = make_account(AccountKind.CLIENT, name="Pat Patient")
    doctor = make_account(AccountKind.THERAPIST, name="Dr Dana")
    MappingRepository().put(patient.account_id, doctor.account_id, MappingStatus.ACTIVE)
    SessionRepository().create(make_session(therapist_id=doctor.account_id, client_id=patient.account_id))
    staff = make_account(AccountKind.STAFF, name="Sam Staff")
    _log_in(page, site, staff)

    page.goto(f"{site}/staff/")
    page.get_by_role("link", name="Pat Patient").click()
    expect(page.get_by_role("heading", name="Pat Patient")).to_be_visible()
    assert _axe_violations(page) == []
    form = page.locator("form").filter(has=page.get_by_role("button", name="Deactivate the account"))
    form.get_by_label("Reason (kept in the audit log)").fill("Requested by the client by phone")
    form.get_by_role("button", name="Deactivate the account").click()
    expect(page.get_by_text("The account is deactivated")).to_be_visible()
    expect(page.locator("dd").filter(has_text="deactivated")).to_be_visible()
    assert _axe_violations(page) == []

    for path in (
        f"/staff/accounts/client/{patient.account_id}/relationships/",
        "/staff/sessions/",
        f"/staff/sessions/?therapist={doctor.account_id}",
        f"/staff/audit/?subject={patient.account_id}",
    ):
        page.goto(f"{site}{path}")
        assert _axe_violations(page) == [], path
    expect(page.get_by_text("Requested by the client by phone")).to_be_visible()
    assert console_errors == []


def test_it_shows_the_security_page_and_logs_out_the_other_devices(
    site: str, page: Page, browser: Any, console_errors: list[str]
):
    user = make_account(AccountKind.CLIENT, name="Robin")
    other = browser.new_context()
    other_page = other.new_page()
    _log_in(other_page, site, user)
    _log_in(page, site, user)
    page.goto(f"{site}/accounts/security/")
    expect(page.get_by_text("(this device)")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(2)
    assert _axe_violations(page) == []
    page.get_by_role("button", name="Log out all other devices").click()
    expect(page.get_by_text("Logged out 1 other device.")).to_be_visible()
    other_page.goto(f"{site}/client/")
    expect(other_page).to_have_url(f"{site}/accounts/login/?next=/client/")
    other.close()
    assert console_errors == []
