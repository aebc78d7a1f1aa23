"""{% body_attributes %} and {% site_header %} write the frame as base.html's template did (tests/unit/reference/)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Engine
from django.test import RequestFactory
from django.urls import set_script_prefix

from portal.domain import AccountKind
from tests.accounts import make_account

REFERENCE = Path(__file__).parent / "reference" / "site_frame.html"
FAST = "{% load site_frame %}<body{% body_attributes %}>\n  {% site_header %}\n"


def _normalized(html: str) -> str:
    # A run of whitespace reads as one space; where there was any, there must still be some.
    return re.sub(r"\s+", " ", html).strip()


def _context(user: Any, *, signed_in: bool = True, csrf: str | None = "tok<en>") -> dict[str, Any]:
    request = RequestFactory().get("/client/jour nal/é?x=1")
    values: dict[str, Any] = {"user": user, "request": request}
    if csrf is not None:
        values["csrf_token"] = csrf
    if signed_in:
        values |= {"session_idle_seconds": 1740, "session_warning_seconds": 120, "session_idle_minutes": 30}
    return values


def _both(values: dict[str, Any]) -> tuple[str, str]:
    engine = Engine.get_default()
    expected = engine.from_string(REFERENCE.read_text()).render(Context(values))
    return _normalized(engine.from_string(FAST).render(Context(values))), _normalized(expected)


@pytest.mark.parametrize(
    ("kind", "verified"),
    [(AccountKind.CLIENT, True), (AccountKind.CLIENT, False), (AccountKind.THERAPIST, True), (AccountKind.STAFF, True)],
)
def test_it_writes_what_the_template_wrote_for_each_person(dynamo, kind: AccountKind, verified: bool) -> None:
    fast, expected = _both(_context(make_account(kind, verified=verified)))
    assert fast == expected


def test_it_writes_what_the_template_wrote_for_a_visitor() -> None:
    fast, expected = _both(_context(AnonymousUser(), signed_in=False))
    assert fast == expected
    assert "Log in" in fast and "Log out" not in fast and "data-idle-seconds" not in fast


def test_it_writes_no_token_input_when_the_page_has_no_token(dynamo) -> None:
    fast, expected = _both(_context(make_account(AccountKind.CLIENT), csrf=None))
    assert fast == expected and "csrfmiddlewaretoken" not in fast
    # Django's own tag fails on this marker (format_html without arguments); ours writes no input, as intended.
    values = _context(make_account(AccountKind.CLIENT), csrf="NOTPROVIDED")
    assert "csrfmiddlewaretoken" not in Engine.get_default().from_string(FAST).render(Context(values))


def test_it_leads_each_person_to_their_own_start_and_escapes_what_it_is_given(dynamo) -> None:
    fast, _ = _both(_context(make_account(AccountKind.THERAPIST)))
    assert '<a class="brand" href="/therapist/">' in fast
    assert 'value="tok&lt;en&gt;"' in fast and "tok<en>" not in fast
    assert "?next=/client/jour%20nal/%C3%A9" in fast


def test_it_gives_a_page_rendered_without_its_request_the_visitors_frame() -> None:
    html = Engine.get_default().from_string(FAST).render(Context({}))
    assert "Log in" in html and "Log out" not in html


def test_it_writes_each_kinds_header_once_but_follows_the_script_prefix(dynamo) -> None:
    client = _context(make_account(AccountKind.CLIENT))
    first, _ = _both(client)
    # Another client, another token: the same header around a different input.
    again, _ = _both(_context(make_account(AccountKind.CLIENT), csrf="other"))
    assert again == first.replace("tok&lt;en&gt;", "other")
    set_script_prefix("/portal/")
    try:
        prefixed, expected = _both(client)
    finally:
        set_script_prefix("/")
    assert prefixed == expected
    assert '<a class="brand" href="/portal/client/">' in prefixed
    # The banners' and the idle timer's links too, remembered per prefix like the header.
    assert 'href="/portal/accounts/login/?next=' in prefixed
    assert 'hx-post="/portal/accounts/session/keep-alive/"' in prefixed
