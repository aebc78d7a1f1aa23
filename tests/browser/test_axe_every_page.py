"""axe-core on every page, for every role, at phone and desktop width: no violations.

One practice with something of everything (a relationship with shared entries,
new ones since the therapist's last visit, sessions asked for and booked,
messages, a pending request, an access history, questionnaires answered and
open with an alert, a held session's signed notes and a correction request),
then one browser context per
role that logs in once and walks its pages. Forms are also scanned with their
errors showing, and the pages only a POST reaches (the calendar link, recovery
codes) are reached by pressing their buttons.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from portal.accounts.user import User
from tests.accounts import PASSWORD
from tests.browser.axe import PHONE, axe_at_both_widths
from tests.practice_data import Practice, make_practice

pytestmark = pytest.mark.browser


def _log_in(page: Page, site: str, user: User, found: dict[str, Any]) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    secret = getattr(user, "test_mfa_secret", None)
    if secret:
        _scan(page, "/accounts/login/code/", found)
        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _scan(page: Page, label: str, found: dict[str, Any]) -> None:
    for width, violations in axe_at_both_widths(page).items():
        found[f"{label} ({width})"] = violations


_HOME = {"visitor": "/", "client": "/client/", "therapist": "/therapist/", "staff": "/staff/"}


def _visit(page: Page, site: str, path: str, found: dict[str, Any], status: int = 200, role: str = "") -> None:
    response = page.goto(f"{site}{path}")
    assert response is not None and response.status == status, path
    _scan(page, path, found)
    if role:
        # Text and links for the right person: the logo goes to one's own home, and only a
        # client is told about their entries' privacy.
        assert page.locator("a.brand").get_attribute("href") == _HOME[role], (role, path)
        privacy = page.get_by_text("Your entries are private unless you choose to share them.")
        expect(privacy).to_have_count(1 if role == "client" else 0)


def _pages(role: str, p: Practice) -> list[str]:
    client_id, therapist_id = p.client.account_id, p.therapist.account_id
    assert p.records is not None
    result_id, held_id = p.records.answered_result_id, p.records.held_session_id
    if role == "visitor":
        return [
            "/",
            "/accounts/login/",
            "/accounts/signup/client/",
            "/accounts/signup/therapist/",
            "/accounts/password/reset/",
            "/account/deleted/",
        ]
    if role == "client":
        return [
            "/client/",
            "/client/journal/",
            "/client/journal/?feeling=calm",
            "/client/journal/chart/",
            "/client/journal/access/",
            "/client/journal/select/",
            f"/client/journal/{p.entry_id}/",
            f"/client/journal/{p.entry_id}/edit/",
            f"/client/journal/{p.entry_id}/delete/",
            "/client/therapists/",
            "/client/therapists/?modality=video&language=English",
            f"/client/therapists/{p.other_therapist.account_id}/",
            "/client/my-therapists/",
            f"/client/my-therapists/{therapist_id}/end/",
            "/client/sessions/",
            "/client/sessions/earlier/",
            f"/client/sessions/{p.pending_session_id}/",
            f"/client/sessions/{p.booked_session_id}/",
            f"/client/sessions/{p.booked_session_id}/cancel/",
            f"/client/sessions/{p.booked_session_id}/move/",
            f"/client/notes/{held_id}/",
            "/client/questionnaires/",
            f"/client/questionnaires/GAD7/{therapist_id}/",
            f"/client/questionnaires/PHQ9/results/{result_id}/",
            "/client/questionnaires/PHQ9/",
            "/messages/",
            f"/messages/{therapist_id}/",
            "/accounts/security/",
            "/accounts/account/settings/",
            "/accounts/two-factor/setup/",
            "/accounts/password/change/",
            "/client/account/data/",
            "/client/account/delete/",
        ]
    if role == "therapist":
        return [
            "/therapist/",
            "/therapist/clients/",
            f"/therapist/clients/{client_id}/journal/",
            f"/therapist/clients/{client_id}/end/",
            "/therapist/profile/",
            "/therapist/sessions/",
            "/therapist/sessions/earlier/",
            f"/therapist/sessions/{p.pending_session_id}/",
            f"/therapist/sessions/{p.booked_session_id}/",
            f"/therapist/sessions/{p.booked_session_id}/reschedule/",
            f"/therapist/sessions/{p.booked_session_id}/cancel/",
            f"/therapist/sessions/{p.pending_session_id}/reject/",
            f"/therapist/notes/{held_id}/",
            f"/therapist/questionnaires/{client_id}/",
            "/therapist/questionnaires/alerts/",
            f"/therapist/questionnaires/{client_id}/alerts/{result_id}/",
            "/messages/",
            f"/messages/{client_id}/",
            "/accounts/security/",
            "/accounts/account/settings/",
            "/accounts/password/change/",
            "/therapist/account/data/",
        ]
    return [
        "/staff/",
        "/staff/?kind=therapist",
        "/staff/sessions/",
        "/staff/audit/",
        "/staff/?q=ca",
        f"/staff/audit/?who={p.client.email}",
        f"/staff/accounts/client/{client_id}/",
        f"/staff/accounts/therapist/{therapist_id}/",
        f"/staff/accounts/client/{client_id}/relationships/",
        "/accounts/security/",
        "/accounts/password/change/",
    ]


def _with_errors(page: Page, site: str, role: str, found: dict[str, Any]) -> None:
    """Forms sent empty (their errors showing), and the pages only a button reaches."""
    if role == "visitor":
        for path in ("/accounts/login/", "/accounts/signup/client/", "/accounts/password/reset/"):
            page.goto(f"{site}{path}")
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_load_state()
            _scan(page, f"{path} sent empty", found)
        _visit(page, site, "/accounts/password/reset/bad/bad-token/", found, status=400)
        _visit(page, site, "/accounts/verify/not-a-token/", found, status=400)
        _visit(page, site, "/no-such-page/", found, status=404)
        return
    if role in ("client", "therapist"):
        sessions = "/client/sessions/" if role == "client" else "/therapist/sessions/"
        page.goto(f"{site}{sessions}")
        button = "Send the request" if role == "client" else "Book the session"
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
        _scan(page, f"{sessions} sent empty", found)
        page.goto(f"{site}{sessions}")
        page.get_by_role("button", name="Make a private calendar link").click()
        expect(page.get_by_role("heading", name="Your private calendar link")).to_be_visible()
        _scan(page, "calendar link", found)
    if role == "client":
        page.goto(f"{site}/client/journal/")
        page.locator("#entry-form").get_by_role("button", name="Save entry").click()
        expect(page.locator("#id_feeling_0")).to_be_focused()
        _scan(page, "/client/journal/ sent empty", found)
    if role == "therapist":
        page.goto(f"{site}/accounts/security/")
        # Sent without the password first: the form's error, then the codes.
        page.get_by_role("button", name="Make new recovery codes").click()
        expect(page.locator("#id_codes_password")).to_have_attribute("aria-invalid", "true")
        _scan(page, "/accounts/security/ sent empty", found)
        page.locator("#id_codes_password").fill(PASSWORD)
        page.get_by_role("button", name="Make new recovery codes").click()
        expect(page.locator("#recovery-codes li").first).to_be_visible()
        _scan(page, "recovery codes", found)


@pytest.mark.parametrize("role", ["visitor", "client", "therapist", "staff"])
def test_every_page_passes_axe_at_phone_and_desktop_width(site: str, browser: Browser, role: str) -> None:
    practice = make_practice(care_records=True)
    user = {"visitor": None, "client": practice.client, "therapist": practice.therapist, "staff": practice.staff}[role]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    found: dict[str, Any] = {}
    try:
        if user is not None:
            _log_in(page, site, user, found)
        paths = _pages(role, practice)
        assert len(set(paths)) == len(paths), "no page scanned twice"
        for path in paths:
            _visit(page, site, path, found, role=role)
        _with_errors(page, site, role, found)
    finally:
        context.close()
    assert found == {}
    # Pages answered 400 or 404 on purpose are reported by the browser; nothing else may be.
    assert [e for e in errors if "status of 400" not in e and "status of 404" not in e] == []
