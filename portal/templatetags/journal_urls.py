"""URLs of one journal entry, built without a URL reversal per row.

A journal page shows 20 entries with four links each; reversing each one
made the page's rendering cost grow with the rows shown. The prefix is
reversed once per process and the rest is plain string work.
"""

from __future__ import annotations

from django import template

from portal.templatetags.memoized_url import memoized_reverse

register = template.Library()

_ACTIONS = frozenset({"", "edit", "delete", "share"})


def journal_prefix() -> str:
    """Where every entry's URL starts; a list of entries looks it up once for all of them."""
    # Remembered per script prefix and URL configuration, as {% url %} is.
    return memoized_reverse("journal", [], {}, None)


def entry_path(prefix: str, entry_id: str, action: str = "") -> str:
    if action not in _ACTIONS:
        raise template.TemplateSyntaxError(f"unknown journal entry action {action!r}")
    return f"{prefix}{entry_id}/{action + '/' if action else ''}"


@register.filter
def entry_url(entry_id: str, action: str = "") -> str:
    return entry_path(journal_prefix(), entry_id, action)
