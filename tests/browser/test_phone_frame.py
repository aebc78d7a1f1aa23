"""The frame as people use it on a phone (390x844) and the design tokens' contrast, in Chromium.

Each role reaches its four places from a bottom tab bar; the journal's Save is on the first screen; a thread
opens at its newest message; the nav's unread count changes without a reload; a form's error summary takes
focus; every status tone reads at 4.5:1 in light and dark mode; no console errors (CSP included)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.domain import AccountKind
from portal.ids import new_id
from portal.services.messaging import message_send
from tests.accounts import make_account
from tests.browser.axe import PHONE
from tests.browser.login import log_in_as
from tests.messaging_data import make_active_pair

pytestmark = pytest.mark.browser

_TABS = {
    AccountKind.CLIENT: ["Home", "Journal", "Sessions", "Messages", "More"],
    AccountKind.THERAPIST: ["Today", "Clients", "Sessions", "Messages", "More"],
    AccountKind.STAFF: ["Accounts", "More"],
}


def _tab_bar(page: Page) -> Any:
    return page.get_by_role("navigation", name="Main").locator(".tab-bar")


@pytest.mark.parametrize("kind", [AccountKind.CLIENT, AccountKind.THERAPIST, AccountKind.STAFF])
def test_each_role_has_a_bottom_tab_bar_on_a_phone(
    site: str, page: Page, console_errors: list[str], kind: AccountKind
) -> None:
    client, therapist = make_active_pair()
    user = {AccountKind.CLIENT: client, AccountKind.THERAPIST: therapist}.get(kind) or make_account(kind)
    page.set_viewport_size(PHONE)
    log_in_as(page, site, user)
    page.goto(f"{site}/")
    bar = _tab_bar(page)
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box is not None and box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1)
    words = [re.sub(r"\s+", " ", t).strip() for t in bar.locator(":scope > li > .tab, summary.tab").all_inner_texts()]
    assert words == _TABS[kind]
    for tab in bar.locator(":scope > li > a.tab").all():
        tab_box = tab.bounding_box()
        assert tab_box is not None and tab_box["height"] >= 44
    # The header is one short row; Log out stays in it.
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] <= 64
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    # "More" opens without JavaScript (a <details>) onto the rest.
    expect(page.get_by_role("link", name="Password")).to_be_hidden()
    bar.get_by_text("More").click()
    expect(page.get_by_role("link", name="Password")).to_be_visible()
    expect(page.get_by_role("link", name="Security")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Password")).to_be_hidden()
    if kind is not AccountKind.STAFF:
        bar.get_by_role("link", name="Sessions").click()
        expect(page).to_have_url(re.compile(r"/sessions/"))
        expect(bar.get_by_role("link", name="Sessions")).to_have_attribute("aria-current", "page")
    assert console_errors == []


def test_a_checkbox_is_a_box_to_tick_not_a_field_across_the_page(site: str, page: Page) -> None:
    _, therapist = make_active_pair()
    page.set_viewport_size(PHONE)
    log_in_as(page, site, therapist)
    page.goto(f"{site}/therapist/profile/")
    box = page.get_by_label("I am accepting new clients").bounding_box()
    assert box is not None and box["width"] <= 32 and box["height"] <= 32


def test_on_a_wide_screen_the_header_is_one_row_without_the_more_menu(site: str, page: Page) -> None:
    client, _ = make_active_pair()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in_as(page, site, client)
    page.goto(f"{site}/client/")
    expect(page.get_by_text("More", exact=True)).to_be_hidden()
    for words in ("Journal", "My therapists", "Password"):
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=words)).to_be_visible()
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] <= 72


def test_the_journal_form_fits_the_first_phone_screen(site: str, page: Page, console_errors: list[str]) -> None:
    user = make_account(AccountKind.CLIENT, name="Robin")
    page.set_viewport_size(PHONE)
    log_in_as(page, site, user)
    page.goto(f"{site}/client/journal/")
    save = page.get_by_role("button", name="Save entry")
    box = save.bounding_box()
    bar = _tab_bar(page).bounding_box()
    assert box is not None and bar is not None
    # Above the tab bar, with no scrolling.
    assert box["y"] + box["height"] <= bar["y"], (box, bar)
    for name in ("Calm", "Ashamed", "10"):
        chip = page.get_by_role("radio", name=name, exact=True).first
        chip_box = chip.bounding_box()
        assert chip_box is not None and chip_box["y"] + chip_box["height"] <= bar["y"]
    # The time and the note fold away until wanted.
    expect(page.get_by_label("Note (optional)")).to_be_hidden()
    page.get_by_text("Add a note").click()
    expect(page.get_by_label("Note (optional)")).to_be_visible()
    assert console_errors == []


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(css: str) -> tuple[float, ...]:
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    assert len(numbers) == 3 or numbers[3] == 1, css  # opaque, so the pair alone decides the contrast
    return tuple(numbers[:3])


_SAMPLES = [
    ("span", "badge"),
    *[("span", f"badge badge-{tone}") for tone in ("neutral", "positive", "pending", "warning", "danger", "count")],
    *[("span", f"badge status-{s}") for s in ("pending", "approved", "rejected", "open", "closed", "cancelled")],
    ("div", "banner"),
    ("button", ""),
    ("button", "danger"),
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_status_tone_button_and_banner_reads_at_4_5_to_1(site: str, page: Page, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{site}/accounts/login/")
    found = page.evaluate(
        """samples => samples.map(([tag, classes]) => {
             const el = document.createElement(tag);
             el.className = classes;
             el.textContent = "Approved";
             document.querySelector("main").appendChild(el);
             const style = getComputedStyle(el);
             return [classes, style.color, style.backgroundColor];
           })""",
        [list(s) for s in _SAMPLES],
    )
    reds = []
    for classes, color, background in found:
        ratio = _contrast(_rgb(color), _rgb(background))
        assert ratio >= 4.5, (scheme, classes, color, background, ratio)
        r, g, b = _rgb(background)
        if r > g + 40 and r > b + 40:
            reds.append(classes)
    # Only danger is red.
    assert all("danger" in classes for classes in reds), reds


def _nav_messages(page: Page) -> Any:
    return page.locator("#nav-messages")


def test_a_thread_opens_at_its_newest_message_and_the_nav_count_is_live(
    site: str, page: Page, console_errors: list[str]
) -> None:
    client, therapist = make_active_pair()
    for i in range(1, 31):
        message_send(
            user=therapist,
            other_id=client.account_id,
            content=f"Note number {i}.\nA second line.\nA third.",
            idempotency_key=new_id(),
        )
    page.set_viewport_size(PHONE)
    page.clock.install()
    log_in_as(page, site, client)
    page.goto(f"{site}/client/")
    expect(_nav_messages(page)).to_contain_text("30 unread")
    _nav_messages(page).click()
    page.get_by_role("link", name="Dr Tara Chen").click()
    # The newest message and the reply box on the first screen; the oldest far above.
    expect(page.get_by_label("Message to Dr Tara Chen")).to_be_in_viewport()
    expect(page.get_by_text("Note number 30.")).to_be_in_viewport()
    expect(page.get_by_text("Note number 1.", exact=False).first).not_to_be_in_viewport()
    # Reached another way (an email's link, the address typed): the same place.
    page.goto(f"{site}/messages/{therapist.account_id}/")
    expect(page.get_by_label("Message to Dr Tara Chen")).to_be_in_viewport()

    page.goto(f"{site}/client/journal/")
    expect(_nav_messages(page)).to_have_attribute("data-unread", "0")
    expect(_nav_messages(page)).not_to_contain_text("unread")
    message_send(user=therapist, other_id=client.account_id, content="Are you free?", idempotency_key=new_id())
    url = page.url
    page.clock.run_for(16_000)
    expect(_nav_messages(page)).to_contain_text("1 unread")
    assert page.url == url
    assert console_errors == []


@pytest.mark.parametrize("kind", [AccountKind.CLIENT, AccountKind.THERAPIST])
def test_after_a_form_error_the_summary_takes_focus_and_leads_to_the_field(
    site: str, page: Page, console_errors: list[str], kind: AccountKind
) -> None:
    client, therapist = make_active_pair()
    page.set_viewport_size(PHONE)
    log_in_as(page, site, client if kind is AccountKind.CLIENT else therapist)
    page.goto(f"{site}/accounts/password/change/")
    page.get_by_role("button", name="Change password").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("problems with this form")
    links = summary.get_by_role("link")
    assert links.count() >= 2
    first_field = links.first.get_attribute("data-field")
    links.first.click()
    expect(page.locator(f"#{first_field}")).to_be_focused()
    expect(page.locator(f"#{first_field}")).to_be_in_viewport()
    assert console_errors == []
