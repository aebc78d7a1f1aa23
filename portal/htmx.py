"""When a view answers with a fragment of its page instead of the whole page."""

from __future__ import annotations

from django.http import HttpRequest


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request, except htmx restoring a page from history (Back button):
    that one replaces the whole body and needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]
