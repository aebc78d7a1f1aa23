"""Download my data and Delete my account in a real browser, with an accessibility scan of each page."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.domain import AccountKind
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import PASSWORD, make_account

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def _log_in(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _axe_violations(page: Page) -> list[object]:
    # Evaluated rather than injected as a script tag, which the CSP would block.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


def test_it_downloads_the_data_and_then_deletes_the_account(site, page: Page, console_errors, tmp_path):
    user = make_account(AccountKind.CLIENT)
    journal_entry_create(
        client_id=user.account_id, time_of_emotion=utcnow() - timedelta(hours=1), feeling="calm", intensity=3,
        note="By the sea",
    )
    _log_in(page, site, user.email)

    page.get_by_role("link", name="Download my data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download my data")
    assert _axe_violations(page) == []
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download my data").click()
    saved = tmp_path / "export.zip"
    download_info.value.save_as(saved)
    archive = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    assert [e["note"] for e in json.loads(archive.read("journal.json"))] == ["By the sea"]

    page.goto(f"{site}/client/")
    page.get_by_role("link", name="Delete my account").click()
    assert _axe_violations(page) == []
    page.get_by_label("Your password").fill("not my password")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account for good").click()
    # Said twice: by the field, and in the error summary at the top of the form, which links to it.
    expect(page.get_by_text("That password was not right.", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Your password: That password was not right.")).to_be_visible()
    expect(page.get_by_label("I understand")).to_be_checked()

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page).to_have_url(f"{site}/account/deleted/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is deleted")
    assert _axe_violations(page) == []

    _log_in(page, site, user.email)
    expect(page).to_have_url(f"{site}/accounts/login/")
    assert console_errors == []
