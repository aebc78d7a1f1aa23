"""htmx helpers for views. ``wants_fragment`` lives in portal/htmx.py, where the role
decorators (below the views) can use it too; it is re-exported here for views."""

from __future__ import annotations

import json

from django.http import HttpResponse

from portal.htmx import wants_fragment

__all__ = ["after_swap", "wants_fragment"]


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
