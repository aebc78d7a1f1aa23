"""Real-browser tests: Playwright driving Debian's Chromium against a live server.

Playwright's own browser download cannot reach the network here, so Chromium
is launched by path (CHROMIUM overrides it).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread
from playwright.sync_api import ConsoleMessage, Page

from portal.dynamo.gateway import DynamoGateway

_EXPECTED_STATUS = re.compile(r"Failed to load resource: the server responded with a status of (400|409|429)")

_CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium not found: install it (apt-get install chromium) or set CHROMIUM.")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": _chromium_path(),
        "args": [*browser_type_launch_args.get("args", []), *_CHROMIUM_FLAGS],
    }


@pytest.fixture(scope="session")
def live_site() -> Iterator[str]:
    """Django's live server thread without pytest-django's live_server fixture,
    which insists on setting up a SQL database we do not have."""
    thread = LiveServerThread("localhost", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://localhost:{thread.port}"
    thread.terminate()
    thread.join()


@pytest.fixture
def site(dynamo: DynamoGateway, live_site: str, settings: Any) -> str:
    """The live server's address, with every table empty on moto."""
    # The live server speaks plain HTTP: secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.ALLOWED_HOSTS = ["localhost"]
    return live_site


@pytest.fixture
def console_errors(page: Page) -> Iterator[list[str]]:
    """Console errors (CSP violations among them); tests assert there are none."""
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        # A form re-rendered with its errors is answered 400 (409 for a stale save, 429): the browser
        # reports that status, which is not a fault of the page.
        if message.type == "error" and not _EXPECTED_STATUS.search(message.text):
            errors.append(message.text)

    page.on("console", collect)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield errors
