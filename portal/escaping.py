"""Escaping for the code that writes markup in Python (template tags, the form renderer).

Django's ``escape`` and ``linebreaksbr`` go through its lazy-string wrapper on
every call, which costs more than the escaping itself; a journal page escapes
a few hundred values. These give the same text for plain strings, which is all
the tags pass them (the tags mark the finished markup safe once).
"""

from __future__ import annotations

from html import escape as _html_escape
from typing import Any

from django.utils.safestring import SafeString


def esc(value: Any) -> str:
    """Django's ``escape``: & < > " ' as entities."""
    return _html_escape(str(value))


def esc_with_breaks(value: Any) -> str:
    """Django's ``linebreaksbr`` with autoescape: escaped, every line break (\\r\\n, \\r, \\n) a <br>."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _html_escape(text).replace("\n", "<br>")


def safe(markup: str) -> SafeString:
    """Django's ``mark_safe`` for markup written in Python (always a plain string here), without the
    check for lazy strings it makes on every call: a journal page marks a few dozen pieces safe."""
    return SafeString(markup)
