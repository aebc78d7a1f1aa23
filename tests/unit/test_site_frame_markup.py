"""The frame's macros (templates/portal/_frame.html): each role's tabs, the "More" links, the banners, escaping."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import set_script_prefix
from django.utils.html import format_html

from portal.domain import AccountKind
from tests.accounts import make_account
from tests.macros import jinja_env

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
    csrf_input = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token) if token else ""
    return jinja_env().from_string(FRAME).render({**values, "token": token, "csrf": csrf_input})


def _html(values: dict[str, Any]) -> str:
    return _normalized(_frame(values))


_TABS = {
    AccountKind.CLIENT: ["Home", "Journal", "Sessions", "Messages", "More"],
    AccountKind.THERAPIST: ["Today", "Clients", "Sessions", "Messages", "More"],
    AccountKind.STAFF: ["Accounts", "More"],
}


@pytest.mark.parametrize("kind", [AccountKind.CLIENT, AccountKind.THERAPIST, AccountKind.STAFF])
def test_each_role_has_its_four_places_in_the_tab_bar_and_the_rest_under_more(dynamo, kind: AccountKind) -> None:
    html = _html(_context(make_account(kind)))
    tab_bar = html[html.index('<ul class="tab-bar">') : html.index('<ul class="nav-wide">')]
    tabs = re.findall(r'class="tab"[^>]*>([A-Za-z ]+)<', tab_bar)
    assert tabs == _TABS[kind]
    more = tab_bar[tab_bar.index('<ul class="more-menu">') :]
    wide = html[html.index('<ul class="nav-wide">') :]
    for words in ("Password", "Security"):
        assert f">{words}</a>" in more and f">{words}</a>" in wide
    # One Log out, in the header at every width, outside the menus.
    assert html.count(">Log out</button>") == 1 and "Log out" not in more
    if kind in (AccountKind.CLIENT, AccountKind.THERAPIST):
        assert 'id="nav-messages"' in tab_bar and html.count('id="nav-messages"') == 1


def test_a_client_finds_their_therapists_and_the_directory_under_more(dynamo) -> None:
    html = _html(_context(make_account(AccountKind.CLIENT)))
    more = html[html.index('<ul class="more-menu">') : html.index('<ul class="nav-wide">')]
    assert ">My therapists</a>" in more and ">Find a therapist</a>" in more


def test_an_unverified_person_is_asked_to_confirm_their_email(dynamo) -> None:
    html = _html(_context(make_account(AccountKind.CLIENT, verified=False)))
    assert "Please confirm your email address" in html
    assert "Please confirm" not in _html(_context(make_account(AccountKind.CLIENT)))


def test_a_visitor_is_offered_log_in_and_sign_up_only() -> None:
    html = _html(_context(AnonymousUser(), signed_in=False))
    assert "Log in" in html and "Sign up" in html
    assert "Log out" not in html and "data-idle-seconds" not in html and "tab-bar" not in html


def test_it_writes_no_token_input_when_the_page_has_no_token(dynamo) -> None:
    html = _html(_context(make_account(AccountKind.CLIENT), csrf=None))
    assert "csrfmiddlewaretoken" not in html and "Log out" in html


def test_it_leads_each_person_to_their_own_start_and_escapes_what_it_is_given(dynamo) -> None:
    html = _html(_context(make_account(AccountKind.THERAPIST)))
    assert '<a class="brand" href="/therapist/">' in html
    assert 'value="tok&lt;en&gt;"' in html and "tok<en>" not in html
    assert "?next=/client/jour%20nal/%C3%A9" in html


def test_it_gives_a_page_rendered_without_its_request_the_visitors_frame() -> None:
    html = _frame({})
    assert "Log in" in html and "Log out" not in html


def test_it_follows_the_script_prefix(dynamo) -> None:
    client = _context(make_account(AccountKind.CLIENT))
    set_script_prefix("/portal/")
    try:
        prefixed = _html(client)
    finally:
        set_script_prefix("/")
    assert '<a class="brand" href="/portal/client/">' in prefixed
    assert 'href="/portal/client/journal/"' in prefixed
    # The banners' and the idle timer's links too.
    assert 'href="/portal/accounts/login/?next=' in prefixed
    assert 'hx-post="/portal/accounts/session/keep-alive/"' in prefixed


def test_the_tab_of_the_place_one_is_in_is_marked(dynamo) -> None:
    token = "t"
    values = _context(make_account(AccountKind.CLIENT))
    template = '{% import "portal/_frame.html" as frame %}{{ frame.header(user, csrf, path) }}'
    for path, current in (
        ("/client/journal/chart/", "Journal"),
        ("/client/", "Home"),
        ("/client/sessions/", "Sessions"),
    ):
        html = jinja_env().from_string(template).render({**values, "csrf": token, "path": path})
        assert re.findall(r'aria-current="page">([A-Za-z]+)<', html) == [current], path
