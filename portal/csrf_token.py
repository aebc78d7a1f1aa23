"""The CSRF token every page carries, masked as Django masks it, with the mask drawn in one read.

Django's ``get_token`` masks the cookie's secret afresh for every response (so
a compressed page never repeats it: BREACH), drawing the 32-character mask with
``secrets.choice``: one system call per character, a tenth of a millisecond and
more of every page (`make bench`). ``csrf_token`` draws the same uniformly
random characters from one ``os.urandom`` read and writes the token exactly as
Django does (mask, then the secret shifted by it), so Django's own middleware
checks it. A browser's first page has no secret yet: it is drawn the same way
(Django draws it with ``secrets.choice`` too) and recorded where Django records
it. Everything else stays Django's: the cookie and the check.
"""

from __future__ import annotations

import os

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_BASE = len(CSRF_ALLOWED_CHARS)
_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
# Bytes at or above this are dropped: below it every character is equally likely.
_UNBIASED_BELOW = 256 - 256 % _BASE


def _random_indexes(count: int) -> list[int]:
    drawn: list[int] = []
    while len(drawn) < count:
        # A few bytes spare: about one in 32 is dropped.
        drawn.extend(byte % _BASE for byte in os.urandom(count + 8) if byte < _UNBIASED_BELOW)
    return drawn[:count]


def csrf_token(request: HttpRequest) -> str:
    """What ``django.middleware.csrf.get_token`` returns, and with the same effect on the request."""
    secret = request.META.get("CSRF_COOKIE")
    if "CSRF_COOKIE" not in request.META:
        # No secret yet (a browser's first page): drawn as the mask is, and recorded
        # where Django's get_token records a new one, for the middleware to send.
        secret = "".join(CSRF_ALLOWED_CHARS[i] for i in _random_indexes(CSRF_SECRET_LENGTH))
        request.META["CSRF_COOKIE"] = secret
    elif not isinstance(secret, str) or len(secret) != CSRF_SECRET_LENGTH or not all(c in _INDEX for c in secret):
        # A secret this code does not expect: Django's own path.
        return get_token(request)
    # As get_token: the cookie is sent (again, which renews its expiry).
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_indexes(CSRF_SECRET_LENGTH)
    cipher = "".join(CSRF_ALLOWED_CHARS[(_INDEX[c] + m) % _BASE] for c, m in zip(secret, mask, strict=True))
    return "".join(CSRF_ALLOWED_CHARS[m] for m in mask) + cipher
