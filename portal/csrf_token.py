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
# Bytes at or above this are dropped: below it every character is equally likely.
_UNBIASED_BELOW = 256 - 256 % _BASE
_BIASED = bytes(range(_UNBIASED_BELOW, 256))
# A kept byte as its character (byte % 62), and a character of the secret shifted by one of the mask:
# tables, so that drawing, checking and masking a token run in C rather than a loop per character.
_AS_CHARACTER = bytes(ord(CSRF_ALLOWED_CHARS[byte % _BASE]) for byte in range(256))
_SHIFTED = {
    (char, mask): CSRF_ALLOWED_CHARS[(index + shift) % _BASE]
    for index, char in enumerate(CSRF_ALLOWED_CHARS)
    for shift, mask in enumerate(CSRF_ALLOWED_CHARS)
}
_ALLOWED = frozenset(CSRF_ALLOWED_CHARS)


def _random_characters(count: int) -> str:
    drawn = b""
    while len(drawn) < count:
        # A few bytes spare: about one in 32 is dropped.
        drawn += os.urandom(count + 8).translate(None, _BIASED)
    return drawn[:count].translate(_AS_CHARACTER).decode("ascii")


def csrf_token(request: HttpRequest) -> str:
    """What ``django.middleware.csrf.get_token`` returns, and with the same effect on the request."""
    secret = request.META.get("CSRF_COOKIE")
    if "CSRF_COOKIE" not in request.META:
        # No secret yet (a browser's first page): drawn as the mask is, and recorded
        # where Django's get_token records a new one, for the middleware to send.
        secret = _random_characters(CSRF_SECRET_LENGTH)
        request.META["CSRF_COOKIE"] = secret
    elif not isinstance(secret, str) or len(secret) != CSRF_SECRET_LENGTH or not _ALLOWED.issuperset(secret):
        # A secret this code does not expect: Django's own path.
        return get_token(request)
    # As get_token: the cookie is sent (again, which renews its expiry).
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_characters(CSRF_SECRET_LENGTH)
    return mask + "".join(map(_SHIFTED.__getitem__, zip(secret, mask, strict=True)))
