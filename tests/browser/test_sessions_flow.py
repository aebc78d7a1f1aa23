"""Sessions in a real browser: request, approve, open, a shared note the client reads, closing; accessibility."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from portal.domain import SessionStatus
from portal.dynamo.journal import JournalRepository
from portal.dynamo.sessions import SessionRepository
from portal.services import sessions as service
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import PASSWORD
from tests.factories import make_session
from tests.sessions_data import booked, care_pair, requested

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
MARKER = "PRIVATE-MARKER-in-the-browser"


def _log_in(page: Page, site: str, user: Any) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if user.test_mfa_secret:
        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(user.test_mfa_secret).now())
        page.get_by_role("button", name="Continue").click()


def _no_axe_violations(page: Page) -> None:
    # Evaluated rather than injected as a script tag, which the CSP would block.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
    assert violations == [], page.url


def test_it_requests_approves_opens_and_shares_a_note_the_client_reads(
    site: str, page: Page, browser: Browser, console_errors: list[str]
) -> None:
    pair = care_pair()
    _log_in(page, site, pair.client)
    page.get_by_role("link", name="Sessions").click()
    form = page.locator("#request")
    form.get_by_label("What would you like to talk about?").fill("Sleeping badly")
    form.get_by_label("Date").fill((utcnow() + timedelta(days=3)).date().isoformat())
    form.get_by_label("Time").fill("16:00")
    form.get_by_label("Message to your therapist (optional)").fill("Evenings are the worst")
    form.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request was sent.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sleeping badly")).to_be_visible()
    client_session_url = page.url

    therapist = browser.new_page()
    therapist_errors: list[str] = []
    therapist.on("console", lambda m: therapist_errors.append(m.text) if m.type == "error" else None)
    _log_in(therapist, site, pair.therapist)
    therapist.get_by_role("link", name="Sessions").click()
    therapist.locator("#requests-list").get_by_role("link").first.click()
    expect(therapist.get_by_text("Evenings are the worst")).to_be_visible()
    therapist.get_by_label("Where (an address or your video link)").fill("https://video.example/room-7")
    therapist.get_by_role("button", name="Approve").click()
    expect(therapist.get_by_text("Approved: the client sees it")).to_be_visible()
    therapist.get_by_role("button", name="Open the session").click()
    expect(therapist.get_by_text("The session is open.")).to_be_visible()
    therapist.get_by_label("Shared notes (the client reads these)").fill("Try the wind-down routine")
    therapist.get_by_label("Private notes (only you)").fill(MARKER)
    therapist.evaluate("window.__stillSamePage = true")
    therapist.get_by_role("button", name="Save notes").click()
    expect(therapist.get_by_text("Notes saved.")).to_be_visible()
    assert therapist.evaluate("window.__stillSamePage") is True  # saved through htmx
    therapist.close()
    assert therapist_errors == []

    page.goto(client_session_url)
    expect(page.locator(".shared-notes")).to_contain_text("Try the wind-down routine")
    expect(page.get_by_text("In progress")).to_be_visible()
    assert MARKER not in page.content()
    assert console_errors == []


def test_it_passes_accessibility_scans_of_the_client_session_pages(site: str, page: Page, console_errors: list[str]) -> None:
    pair = care_pair()
    booked(pair)
    pending = requested(pair, message="About work")
    _log_in(page, site, pair.client)
    for path in ("/client/sessions/", f"/client/sessions/{pending.session_id}/"):
        page.goto(f"{site}{path}")
        _no_axe_violations(page)
    page.goto(f"{site}/client/sessions/")
    page.get_by_role("button", name="Make a private calendar link").click()
    expect(page.get_by_label("Calendar address")).to_have_value(page.get_by_label("Calendar address").input_value())
    _no_axe_violations(page)
    assert console_errors == []


def test_it_passes_accessibility_scans_of_the_therapist_session_pages(site: str, page: Page, console_errors: list[str]) -> None:
    pair = care_pair()
    session = booked(pair)
    pending = requested(pair)
    made = journal_entry_create(
        client_id=pair.client.account_id, time_of_emotion=utcnow() - timedelta(days=1), feeling="hopeful", intensity=6, note="Shared"
    )
    JournalRepository().set_shared(pair.client.account_id, made.entry_id, utcnow())
    service.session_notes_save(
        user=pair.therapist, session_id=session.session_id, version=session.version, private_notes="p", shared_notes="s"
    )
    _log_in(page, site, pair.therapist)
    for path in (
        "/therapist/sessions/",
        f"/therapist/sessions/{session.session_id}/",
        f"/therapist/sessions/{pending.session_id}/",
        f"/therapist/sessions/{session.session_id}/reschedule/",
    ):
        page.goto(f"{site}{path}")
        _no_axe_violations(page)
    page.goto(f"{site}/therapist/sessions/{session.session_id}/")
    expect(page.locator("#since-last .chart-point:not(.legend-point)")).to_have_count(1)
    # The conflict view: a stale save keeps the typed text beside the newer version.
    service.session_notes_save(
        user=pair.therapist, session_id=session.session_id, version=session.version + 1, private_notes="other tab", shared_notes="s"
    )
    page.get_by_label("Private notes (only you)").fill("typed here")
    page.get_by_role("button", name="Save notes").click()
    expect(page.locator("#notes-conflict")).to_be_visible()
    expect(page.get_by_label("Private notes (only you)")).to_have_value("typed here")
    expect(page.locator(".newer-private")).to_contain_text("other tab")
    _no_axe_violations(page)
    assert console_errors == []


def test_it_closes_a_session_and_the_next_sessions_panel_starts_there(site: str, page: Page, console_errors: list[str]) -> None:
    pair = care_pair()
    held = SessionRepository().create(
        make_session(
            client_id=pair.client.account_id, therapist_id=pair.therapist.account_id,
            scheduled_for=utcnow() - timedelta(days=4), status=SessionStatus.OPEN,
        )
    )
    for days_ago, note in ((6, "Felt before the session"), (1, "Felt after the session")):
        made = journal_entry_create(
            client_id=pair.client.account_id, time_of_emotion=utcnow() - timedelta(days=days_ago),
            feeling="hopeful", intensity=6, note=note,
        )
        JournalRepository().set_shared(pair.client.account_id, made.entry_id, utcnow())
    upcoming = booked(pair)
    _log_in(page, site, pair.therapist)

    page.goto(f"{site}/therapist/sessions/{held.session_id}/")
    page.get_by_role("button", name="Close the session").click()
    # Closing asks first, on a page of its own.
    page.get_by_role("button", name="Yes, close the session").click()
    expect(page.get_by_text("The session is closed.")).to_be_visible()
    # A past session keeps the window before it: no earlier session, so its 30 days.
    expect(page.get_by_role("heading", name="Shared in the 30 days before this session")).to_be_visible()
    expect(page.locator("#since-last")).to_contain_text("Felt before the session")
    expect(page.locator("#since-last")).not_to_contain_text("Felt after the session")
    _no_axe_violations(page)

    page.goto(f"{site}/therapist/sessions/{upcoming.session_id}/")
    expect(page.get_by_role("heading", name="Since the last session")).to_be_visible()
    expect(page.locator("#since-last")).to_contain_text("Felt after the session")
    expect(page.locator("#since-last")).not_to_contain_text("Felt before the session")
    expect(page.locator("#since-last .chart-point:not(.legend-point)")).to_have_count(1)
    _no_axe_violations(page)
    assert console_errors == []


def test_it_declines_after_asking_and_the_client_reads_the_reason_in_their_history(
    site: str, page: Page, browser: Browser, console_errors: list[str]
) -> None:
    pair = care_pair()
    asked = requested(pair, title="Talk about the move", when=utcnow() + timedelta(days=5))
    therapist = browser.new_page()
    _log_in(therapist, site, pair.therapist)
    therapist.goto(f"{site}/therapist/sessions/{asked.session_id}/")
    therapist.get_by_role("button", name="Decline").click()
    # Declining asks first, and takes the reason there.
    expect(therapist.get_by_role("heading", name="Decline this request?")).to_be_visible()
    _no_axe_violations(therapist)
    therapist.get_by_label("Reason (optional; the client reads it)").fill("Away that week, ask for the next one")
    therapist.get_by_role("button", name="Decline the request").click()
    expect(therapist.get_by_text("The request was declined.")).to_be_visible()
    therapist.goto(f"{site}/therapist/sessions/")
    expect(therapist.locator("#past-list")).to_contain_text("Declined")
    therapist.close()

    _log_in(page, site, pair.client)
    page.goto(f"{site}/client/sessions/")
    history = page.locator("#past-list")
    expect(history).to_contain_text("Declined")
    expect(history).to_contain_text("Away that week, ask for the next one")
    _no_axe_violations(page)
    assert console_errors == []
