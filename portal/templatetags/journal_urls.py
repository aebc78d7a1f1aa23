"""URLs of one journal entry, built without a URL reversal per row.

A journal page shows 20 entries with four links each; reversing each one
made the page's rendering cost grow with the rows shown. The prefix is
reversed once per process and the rest is plain string work.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import reverse

register = template.Library()

_ACTIONS = frozenset({"", "edit", "delete", "share"})


@lru_cache(maxsize=1)
def _journal_prefix() -> str:
    return reverse("journal")


@register.filter
def entry_url(entry_id: str, action: str = "") -> str:
    if action not in _ACTIONS:
        raise template.TemplateSyntaxError(f"unknown journal entry action {action!r}")
    return f"{_journal_prefix()}{entry_id}/{action + '/' if action else ''}"
