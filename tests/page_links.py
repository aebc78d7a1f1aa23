"""What a test reads off a page's HTML: the cursor of its "load more" link."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

_LOAD_MORE = re.compile(r'<a [^>]*href="([^"]*cursor=[^"]*)"')


def next_cursor(body: str) -> str | None:
    """The cursor the page's "load more" link asks for, or None when the page has no more."""
    found = _LOAD_MORE.search(body)
    if found is None:
        return None
    query = urlsplit(html.unescape(found.group(1))).query
    return parse_qs(query)["cursor"][0]
