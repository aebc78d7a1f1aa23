"""A browser logged in without its login form, for tests about something else."""

from __future__ import annotations

from django.conf import settings
from django.test import Client as HttpClient
from playwright.sync_api import Page

from portal.accounts.user import User
from tests.accounts import log_in


def log_in_as(page: Page, site: str, user: User) -> None:
    """The browser gets a session logged in on the server, as view tests get one (force_login).

    The login form and its two-factor step are driven in the browser by test_accounts_flow.py,
    test_axe_every_page.py and the other flows; here they would only cost time.
    """
    http = HttpClient()
    log_in(http, user)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": http.cookies[name].value, "url": site, "httpOnly": True, "sameSite": "Lax"}]
    )
