"""The frame's macros (templates/portal/_frame.html) write what base.html's Django template did (tests/unit/reference/)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Engine
from django.test import RequestFactory
from django.urls import set_script_prefix
from django.utils.html import format_html

from portal.domain import AccountKind
from tests.accounts import make_account
from tests.macros import jinja_env

REFERENCE = Path(__file__).parent / "reference" / "site_frame.html"
FRAME = (
    '{% import "portal/_frame.html" as frame %}'
    "<body {{ frame.body_attributes(token, session_idle_seconds|default(none), session_warning_seconds|default(none)) }}>"
    "{{ frame.header(user if user is defined else none, csrf) }}"
    "{{ frame.banners(user if user is defined else none, csrf, request if request is defined else none,"
    " session_idle_minutes|default(''), session_idle_seconds|default(none)) }}"
)


def _normalized(html: str) -> str:
    # A run of whitespace reads as one space; whitespace between two tags is layout only (Jinja2 trims the
    # lines its blocks stand on); Jinja2 writes quotes as &#39; and &#34;, Django as &#x27; and &quot;.
    html = html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def _context(user: Any, *, signed_in: bool = True, csrf: str | None = "tok<en>") -> dict[str, Any]:
    request = RequestFactory().get("/client/jour nal/é?x=1")
    values: dict[str, Any] = {"user": user, "request": request}
    if csrf is not None:
        values["csrf_token"] = csrf
    if signed_in:
        values |= {"session_idle_seconds": 1740, "session_warning_seconds": 120, "session_idle_minutes": 30}
    return values


def _frame(values: dict[str, Any]) -> str:
    """The frame as base.html writes it, from the macros of templates/portal/_frame.html."""
    token = values.get("csrf_token", "")
    csrf_input = (
        format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token) if token else ""
    )
    return jinja_env().from_string(FRAME).render({**values, "token": token, "csrf": csrf_input})


def _both(values: dict[str, Any]) -> tuple[str, str]:
    expected = Engine().from_string(REFERENCE.read_text()).render(Context(values))
    return _normalized(_frame(values)), _normalized(expected)


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


def test_it_leads_each_person_to_their_own_start_and_escapes_what_it_is_given(dynamo) -> None:
    fast, _ = _both(_context(make_account(AccountKind.THERAPIST)))
    assert '<a class="brand" href="/therapist/">' in fast
    assert 'value="tok&lt;en&gt;"' in fast and "tok<en>" not in fast
    assert "?next=/client/jour%20nal/%C3%A9" in fast


def test_it_gives_a_page_rendered_without_its_request_the_visitors_frame() -> None:
    html = _frame({})
    assert "Log in" in html and "Log out" not in html


def test_it_follows_the_script_prefix(dynamo) -> None:
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
    # The banners' and the idle timer's links too.
    assert 'href="/portal/accounts/login/?next=' in prefixed
    assert 'hx-post="/portal/accounts/session/keep-alive/"' in prefixed
