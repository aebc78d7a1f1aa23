"""Booking in a real browser: a client on a phone books one of their therapist's open times in two taps;
a therapist sets hours and books a weekly client; axe-core on every booking page."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.availability import Availability, HoursRange
from portal.domain import SessionStatus
from portal.dynamo.booking import BookingRepository
from portal.dynamo.sessions import SessionRepository
from portal.timeutil import utcnow
from tests.browser.axe import PHONE, axe_at_both_widths
from tests.browser.login import log_in_as
from tests.sessions_data import care_pair

pytestmark = pytest.mark.browser


def _clean(page: Page, found: dict[str, Any], label: str) -> None:
    for width, violations in axe_at_both_widths(page).items():
        if violations:
            found[f"{label} ({width})"] = violations


def test_a_client_books_an_open_time_on_a_phone_in_two_taps(site: str, page: Page, console_errors: list[str]) -> None:
    pair = care_pair()
    BookingRepository().save_availability(
        Availability(
            therapist_id=pair.therapist.account_id,
            zone="UTC",
            weekly_hours={d: (HoursRange(time(9), time(12)),) for d in range(7)},
            notice_hours=0,
        ),
        expected_version=0,
    )
    found: dict[str, Any] = {}
    log_in_as(page, site, pair.client)
    next_monday = utcnow().date() + timedelta(days=7 - utcnow().weekday())
    page.goto(f"{site}/booking/{pair.therapist.account_id}/?week={next_monday.isoformat()}")
    _clean(page, found, "week")
    page.set_viewport_size(PHONE)
    expect(page.get_by_role("heading", name="Book a time with")).to_be_visible()
    tuesday = page.locator(".booking-day").nth(1)
    tuesday.get_by_role("link").first.click()  # first tap
    expect(page.get_by_role("heading", name="Session with")).to_be_visible()
    _clean(page, found, "request")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Request this time").click()  # second tap
    expect(page.get_by_text("Your request was sent.")).to_be_visible()
    [session] = SessionRepository().list_by_client(pair.client.account_id).items
    assert session.status is SessionStatus.PENDING
    assert session.scheduled_for.date() == next_monday + timedelta(days=1)

    log_in_as(page, site, pair.therapist)
    page.goto(f"{site}/booking/availability/")
    _clean(page, found, "availability")
    page.get_by_label("Monday").fill("10:00-09:00")
    page.get_by_role("button", name="Save hours").click()
    _clean(page, found, "availability with errors")
    page.goto(f"{site}/booking/series/new/")
    _clean(page, found, "series")
    page.get_by_label("First session").fill((utcnow().date() + timedelta(days=3)).isoformat())
    page.get_by_label("Time", exact=True).fill("17:00")
    page.get_by_label("Number of sessions").fill("4")
    page.get_by_role("button", name="Show the sessions").click()
    expect(page.locator("#series-plan")).to_be_visible()
    _clean(page, found, "series preview")
    page.get_by_role("button", name="Book these sessions").click()
    expect(page.get_by_text("4 sessions booked.")).to_be_visible()
    _clean(page, found, "series page")
    assert found == {}
    assert console_errors == []
