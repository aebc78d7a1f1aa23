"""When a view answers with a fragment of its page instead of the whole page."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request, except htmx restoring a page from history (Back button):
    that one replaces the whole body and needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def after_swap(
    response: HttpResponse, *, focus: str | None = None, announce: str | None = None, place: str | None = None
) -> HttpResponse:
    """Tell static/js/portal.js what to do once htmx has swapped this response in.

    ``focus``: a CSS selector of the element to move focus to (the changed element
    or its heading), so keyboard and screen-reader users are not dropped on <body>.
    ``announce``: a sentence for the page's polite live region.
    ``place``: a selector of a newly added journal entry to move to its place in time.
    """
    detail = {key: value for key, value in (("focus", focus), ("announce", announce), ("place", place)) if value}
    response.headers["HX-Trigger-After-Settle"] = json.dumps({"portal:swapped": detail})
    return response
