"""The frame every page shares, written in Python: ``{% body_attributes %}`` and ``{% site_header %}``.

The header (the logo, the navigation of each kind of person, the log-out form),
the email-verification banner and the two idle notices were the larger part of
base.html: some eighty template nodes, rendered on every page for the same few
answers. Written here with every value escaped, they cost a fifth as much.
``tests/unit/test_site_frame_markup.py`` holds them to the template they
replaced (tests/unit/reference/site_frame.html) for every kind of person.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from django import template
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template import Context
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString

from portal.escaping import esc, safe
from portal.templatetags.memoized_url import memoized_reverse

register = template.Library()


def _url(name: str) -> str:
    return esc(memoized_reverse(name, [], {}, None))


def _csrf_input(context: Context) -> str:
    token = context.get("csrf_token")
    if not token or str(token) == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(token)}">'


def _links(*names_and_labels: tuple[str, str]) -> str:
    return " ".join(f'<a href="{_url(name)}">{label}</a>' for name, label in names_and_labels)


def _role(user: Any) -> str:
    """Which frame a person gets: the header differs only by kind of person."""
    if not user.is_authenticated:
        return "visitor"
    if user.is_client:
        return "client"
    if user.is_therapist:
        return "therapist"
    if user.is_staff_member:
        return "staff"
    return "other"


# The logo leads each person to their own start: the public page is for visitors.
_HOME = {"visitor": "home", "client": "client_home", "therapist": "therapist_home", "staff": "staff_home"}


def _navigation(role: str, csrf: str) -> str:
    if role == "visitor":
        return f'\n        <a href="{_url("login")}">Log in</a>\n        <a href="{_url("signup_client")}">Sign up</a>\n      '
    if role == "client":
        own = _links(
            ("client_home", "Home"), ("journal", "Journal"), ("client_sessions", "Sessions"),
            ("my_therapists", "My therapists"), ("directory", "Find a therapist"),
        )  # fmt: skip
    elif role == "therapist":
        own = _links(
            ("therapist_home", "Home"), ("my_clients", "My clients"), ("therapist_sessions", "Sessions"),
            ("therapist_profile_edit", "Profile"),
        )  # fmt: skip
    elif role == "staff":
        own = _links(("staff_home", "Accounts"))
    else:
        own = ""
    # The unread count comes after the page, so no page pays a read for it.
    messages = (
        f'<a id="nav-messages" href="{_url("conversations")}" hx-get="{_url("messages_badge")}" hx-trigger="load" '
        f'hx-swap="outerHTML">Messages</a>'
        if role in ("client", "therapist")
        else ""
    )
    return (
        f"\n        {own}\n        {messages}\n"
        f'        <a href="{_url("password_change")}">Password</a>\n'
        f'        <a href="{_url("security")}">Security</a>\n'
        f'        <form class="inline" method="post" action="{_url("logout")}">{csrf}'
        f'<button type="submit" class="secondary">Log out</button></form>\n      '
    )


def _banners(context: Context, user: Any, csrf: str, urls: Mapping[str, str]) -> str:
    parts = []
    if user.is_authenticated and not user.email_verified:
        parts.append(
            '\n  <div class="banner" role="status">\n'
            "    <p>Please confirm your email address: until then you can't send messages or share journal "
            "entries.</p>\n"
            f'    <form class="inline" method="post" action="{urls["resend_verification"]}">{csrf}'
            '<button type="submit" class="secondary small">Send the email again</button></form>\n  </div>\n  '
        )
    if user.is_authenticated:
        request = context.get("request")
        path = quote(request.path) if request is not None else ""
        parts.append(
            '\n  <div class="idle-warning" id="session-ended" role="alert" hidden>\n'
            f"    <p>For your privacy you were logged out after {esc(context.get('session_idle_minutes', ''))} "
            "minutes without activity.\n"
            "       Anything you typed is still on this page: copy it before you\n"
            f'       <a href="{urls["login"]}?next={esc(path)}" target="_blank" rel="noopener">log in again '
            "(new tab)</a>.</p>\n  </div>\n  "
        )
    if context.get("session_idle_seconds"):
        keep_alive = urls["keep_alive"]
        parts.append(
            '\n  <div class="idle-warning" id="idle-warning" role="alertdialog" aria-labelledby="idle-warning-text" '
            "hidden>\n"
            '    <p id="idle-warning-text">For your privacy you will be logged out in a few minutes unless you '
            "continue.</p>\n"
            f'    <form method="post" action="{keep_alive}" hx-post="{keep_alive}" hx-swap="none">{csrf}\n'
            '      <button type="submit" id="idle-keep-alive">Stay logged in</button>\n    </form>\n  </div>\n  '
        )
    return "".join(parts)


@register.simple_tag(takes_context=True)
def body_attributes(context: Context) -> SafeString:
    """The <body>'s attributes: the CSRF header for htmx, and the idle timer's settings when signed in."""
    token = esc(context.get("csrf_token", ""))
    attributes = f' hx-headers=\'{{"X-CSRFToken": "{token}"}}\''
    idle = context.get("session_idle_seconds")
    if idle:
        attributes += (
            f' data-idle-seconds="{esc(idle)}" data-idle-warning-seconds="{esc(context.get("session_warning_seconds", ""))}"'
            f' data-session-status-url="{_frame_urls(*_url_configuration())["session_status"]}"'
        )
    return safe(attributes)  # safe: every value is escaped


@register.simple_tag(takes_context=True)
def site_header(context: Context) -> SafeString:
    """The skip link, the header and its navigation, then the banners and notices under it."""
    # A page rendered without its request (no context processors) gets the visitor's frame, as before.
    user = context.get("user") or AnonymousUser()
    csrf = _csrf_input(context)
    urls = _url_configuration()
    parts = _header_around_csrf(_role(user), *urls)
    return safe(csrf.join(parts) + _banners(context, user, csrf, _frame_urls(*urls)))  # safe: every value is escaped


def _url_configuration() -> tuple[Any, str]:
    """What a reversal depends on besides its name: the URL configuration and the script prefix."""
    return get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()


@lru_cache(maxsize=16)
def _frame_urls(urlconf: Any, script_prefix: str) -> Mapping[str, str]:
    """The banners' and the idle timer's links, escaped, reversed once per URL configuration (as below)."""
    return MappingProxyType({name: _url(name) for name in ("login", "resend_verification", "keep_alive", "session_status")})


_CSRF_SLOT = "\x00csrf\x00"


@lru_cache(maxsize=64)
def _header_around_csrf(role: str, urlconf: Any, script_prefix: str) -> tuple[str, ...]:
    """The skip link and the header, in the parts around the log-out form's CSRF input (one part for a visitor).

    The same for every person of a kind, so written once per kind; the URL
    configuration and script prefix are part of the key only (the links are
    reversed under them), as in memoized_url.
    """
    header = (
        '<a class="skip-link" href="#main">Skip to content</a>\n'
        '  <header class="site-header">\n'
        f'    <a class="brand" href="{_url(_HOME.get(role, "home"))}">Therapy portal</a>\n'
        f'    <nav aria-label="Main">\n      {_navigation(role, _CSRF_SLOT)}\n    </nav>\n'
        "  </header>\n  "
    )
    return tuple(header.split(_CSRF_SLOT))
