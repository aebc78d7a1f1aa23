"""The care relationship in a real browser: find, ask, accept, share, read, end, refused; axe on every new page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from portal.domain import AccountKind
from portal.dynamo.therapists import TherapistRepository
from portal.services import relationships as service
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import PASSWORD, make_account
from tests.relationships import PORTAL_URL, connect

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


def _listed_therapist(name: str, specialization: str = "trauma") -> Any:
    therapist = make_account(AccountKind.THERAPIST, name=name)
    TherapistRepository().update_profile(
        therapist.account_id,
        name=name,
        specialization=specialization,
        bio=f"{name} works with what happened, at your pace.",
        accepting_clients=True,
    )
    return therapist


def _axe_violations(page: Page) -> list[Any]:
    # Evaluated rather than injected as a script tag, which the CSP would block.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


def test_it_goes_from_finding_a_therapist_to_ending_and_the_journal_closes(
    site: str, page: Page, browser: Browser, console_errors: list[str]
) -> None:
    therapist = _listed_therapist("Dr Rowan")
    client = make_account(AccountKind.CLIENT, name="Robin")
    journal_entry_create(
        client_id=client.account_id,
        time_of_emotion=utcnow() - timedelta(minutes=5),
        feeling="sad",
        intensity=6,
        note="Tell Dr Rowan about this",
    )

    # The client finds the therapist by specialization and asks.
    _log_in(page, site, client)
    page.get_by_role("link", name="Find a therapist").first.click()
    page.get_by_label("What would you like help with?").select_option("trauma")
    page.get_by_role("button", name="Show therapists").click()
    expect(page.get_by_text("nobody can pay to be shown first")).to_be_visible()
    page.get_by_role("link", name="Dr Rowan").click()
    expect(page.get_by_text("Dr Rowan works with what happened")).to_be_visible()
    page.evaluate("window.__stillSamePage = true")
    page.get_by_role("button", name="Ask to work together").click()
    expect(page.get_by_text("You asked to work together")).to_be_visible()
    assert page.evaluate("window.__stillSamePage") is True

    # The therapist accepts inline.
    therapist_page = browser.new_page()
    therapist_page.on("pageerror", lambda error: console_errors.append(str(error)))
    _log_in(therapist_page, site, therapist)
    therapist_page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients", exact=True).click()
    waiting = therapist_page.locator("#relationships section", has_text="Waiting for your answer")
    expect(waiting).to_contain_text("Robin")
    waiting.get_by_role("button", name="Accept Robin").click()
    expect(therapist_page.get_by_text("You are now working together.")).to_be_visible()
    expect(therapist_page.get_by_text("No requests are waiting.")).to_be_visible()

    # The client shares an entry and is told who can read it.
    page.goto(f"{site}/client/journal/")
    entry = page.locator("li.entry", has_text="Tell Dr Rowan about this")
    entry.get_by_role("button", name="Share with my therapist").click()
    expect(entry.get_by_text("Dr Rowan can read it")).to_be_visible()

    # The therapist reads it.
    therapist_page.get_by_role("link", name="Robin", exact=True).click()
    expect(therapist_page.locator("#shared-entries")).to_contain_text("Tell Dr Rowan about this")
    journal_url = therapist_page.url

    # The client ends it, after confirming inline.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My therapists").click()
    page.get_by_role("link", name="End working with Dr Rowan").click()
    expect(page.get_by_text("They will no longer be able to read your journal")).to_be_visible()
    page.get_by_role("button", name="Yes, end it").click()
    expect(page.get_by_text("The relationship has ended.")).to_be_visible()
    expect(page.locator("#relationships")).to_contain_text("Before")

    # The therapist is refused at once.
    response = therapist_page.goto(journal_url)
    assert response is not None and response.status == 404
    expect(therapist_page.get_by_text("We couldn't find that page")).to_be_visible()
    therapist_page.close()
    assert [e for e in console_errors if "404" not in e] == []


def test_it_works_without_javascript_from_request_to_end(site: str, browser: Browser) -> None:
    therapist = _listed_therapist("Dr Plain", specialization="grief")
    client = make_account(AccountKind.CLIENT, name="Noscript Nell")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _log_in(page, site, client)
    page.goto(f"{site}/client/therapists/?specialization=grief")
    page.get_by_role("link", name="Dr Plain").click()
    page.get_by_role("button", name="Ask to work together").click()
    expect(page.get_by_text("Request sent.")).to_be_visible()
    service.relationship_accept(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)
    page.goto(f"{site}/client/my-therapists/")
    page.get_by_role("link", name="End working with Dr Plain").click()
    expect(page.get_by_role("heading", name="End working together?")).to_be_visible()
    page.get_by_role("button", name="Yes, end it").click()
    expect(page.get_by_text("The relationship has ended.")).to_be_visible()
    context.close()


def test_it_passes_an_accessibility_scan_of_every_new_page(
    site: str, page: Page, browser: Browser, console_errors: list[str]
) -> None:
    therapist = _listed_therapist("Dr Scan")
    client = make_account(AccountKind.CLIENT, name="Sky")
    connect(client, therapist)
    journal_entry_create(client_id=client.account_id, time_of_emotion=utcnow(), feeling="calm", intensity=2)
    asking = make_account(AccountKind.CLIENT, name="Asking Ash")
    service.relationship_request(user=asking, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
    inviter = _listed_therapist("Dr Invite")
    service.relationship_invite(user=inviter, email=client.email, portal_url=PORTAL_URL)

    _log_in(page, site, client)
    for path in (
        "/client/therapists/",
        "/client/therapists/?specialization=trauma",
        f"/client/therapists/{therapist.account_id}/",
        "/client/my-therapists/",
        f"/client/my-therapists/{therapist.account_id}/end/",
        "/client/journal/",
        "/client/",
    ):
        page.goto(f"{site}{path}")
        assert _axe_violations(page) == [], path

    therapist_page = browser.new_page()
    _log_in(therapist_page, site, therapist)
    for path in ("/therapist/clients/", "/therapist/profile/", f"/therapist/clients/{client.account_id}/end/", "/therapist/"):
        therapist_page.goto(f"{site}{path}")
        assert _axe_violations(therapist_page) == [], path
    therapist_page.close()
    assert console_errors == []
