"""The CSRF token pages carry is Django's: it passes Django's check, and a changed one does not."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client as HttpClient

from portal.domain import AccountKind
from tests.accounts import logged_in

KEEP_ALIVE = "/accounts/session/keep-alive/"


def _page_token(page: str) -> str:
    token = re.search(r'"X-CSRFToken": "([A-Za-z0-9]{64})"', page)
    assert token, "every page carries the token for htmx"
    return token[1]


def test_a_first_page_without_the_cookie_sets_it_and_its_token_passes_djangos_check(dynamo) -> None:
    strict = HttpClient(enforce_csrf_checks=True)
    logged_in(strict, AccountKind.CLIENT)
    strict.cookies.pop(settings.CSRF_COOKIE_NAME, None)
    response = strict.get("/client/journal/")
    assert response.cookies[settings.CSRF_COOKIE_NAME].value
    assert strict.post(KEEP_ALIVE, HTTP_X_CSRFTOKEN=_page_token(response.content.decode())).status_code != 403


def test_a_page_token_passes_djangos_check_and_a_changed_one_does_not(dynamo) -> None:
    strict = HttpClient(enforce_csrf_checks=True)
    logged_in(strict, AccountKind.CLIENT)
    token = _page_token(strict.get("/client/journal/").content.decode())
    assert strict.post(KEEP_ALIVE, HTTP_X_CSRFTOKEN=token).status_code != 403
    changed = token[:40] + ("a" if token[40] != "a" else "b") + token[41:]
    assert strict.post(KEEP_ALIVE, HTTP_X_CSRFTOKEN=changed).status_code == 403


def test_each_page_masks_the_token_afresh(dynamo) -> None:
    client = HttpClient(enforce_csrf_checks=True)
    logged_in(client, AccountKind.CLIENT)
    first = _page_token(client.get("/client/journal/").content.decode())
    second = _page_token(client.get("/client/journal/").content.decode())
    # A compressed page must never repeat it (BREACH); both still pass.
    assert first != second
    assert client.post(KEEP_ALIVE, HTTP_X_CSRFTOKEN=first).status_code != 403
