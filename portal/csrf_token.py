"""The CSRF token every page carries, masked as Django masks it, with the mask drawn in one read.

Django's ``get_token`` masks the cookie's secret afresh for every response (so
a compressed page never repeats it: BREACH), drawing the 32-character mask with
``secrets.choice``: one system call per character, a tenth of a millisecond and
more of every page (`make bench`). ``csrf_token`` draws the same uniformly
random characters from one ``os.urandom`` read and writes the token exactly as
Django does (mask, then the secret shifted by it), in a few table look-ups
rather than a loop per character, so Django's own middleware checks it. A
browser's first page has no secret yet: it is drawn the same way (Django draws
it with ``secrets.choice`` too) and recorded where Django records it.
Everything else stays Django's: the cookie and the check.
"""

from __future__ import annotations

import os

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_BASE = len(CSRF_ALLOWED_CHARS)
# Bytes at or above this are dropped: below it every character is equally likely.
_UNBIASED_BELOW = 256 - 256 % _BASE
_BIASED = bytes(range(_UNBIASED_BELOW, 256))
# Tables, so that drawing, checking and masking a token run in C rather than a loop per character:
# a byte as the character of its value % 62 (a kept byte's character, and a sum's below),
_AS_CHARACTER = bytes(ord(CSRF_ALLOWED_CHARS[byte % _BASE]) for byte in range(256))
# a kept byte as that character's place in the alphabet, and a character as its own place.
_AS_INDEX = bytes(byte % _BASE for byte in range(256))
_INDEX_OF_CHARACTER = bytes.maketrans(CSRF_ALLOWED_CHARS.encode("ascii"), bytes(range(_BASE)))
_ALLOWED = frozenset(CSRF_ALLOWED_CHARS)


def _random_bytes(count: int) -> bytes:
    """``count`` random bytes below _UNBIASED_BELOW: each one's value % 62 is a uniform draw."""
    drawn = b""
    while len(drawn) < count:
        # A few bytes spare: about one in 32 is dropped.
        drawn += os.urandom(count + 8).translate(None, _BIASED)
    return drawn[:count]


def _random_characters(count: int) -> str:
    return _random_bytes(count).translate(_AS_CHARACTER).decode("ascii")


def _masked(secret: str) -> str:
    """Django's ``_mask_cipher_secret``: a random mask, then each secret character shifted by the mask's.

    The shifts are added as two big numbers, one byte a place: each place's sum
    is at most 61 + 61, so no place carries into the next, and the table writes
    each sum % 62 as its character.
    """
    drawn = _random_bytes(CSRF_SECRET_LENGTH)
    shifts = int.from_bytes(drawn.translate(_AS_INDEX))
    places = int.from_bytes(secret.encode("ascii").translate(_INDEX_OF_CHARACTER))
    cipher = (places + shifts).to_bytes(CSRF_SECRET_LENGTH).translate(_AS_CHARACTER)
    return (drawn.translate(_AS_CHARACTER) + cipher).decode("ascii")


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
    return _masked(secret)


class LazyCsrfToken:
    """The ``csrf_token`` of a page's template context: worked out the first time it is used, as
    Django's context processor makes it (a page that never uses it sets no cookie), but without
    SimpleLazyObject's proxying, which costs a Python call and a lookup on every use and every
    page uses it several times (the frame's forms and htmx header, ``{% csrf_token %}``)."""

    __slots__ = ("_request", "_token")

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._token: str | None = None

    def __str__(self) -> str:
        if self._token is None:
            self._token = csrf_token(self._request)
        return self._token

    # What templates and Django's {% csrf_token %} ask of it: truth, comparison, its text.
    def __bool__(self) -> bool:
        return bool(str(self))

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, LazyCsrfToken) else other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __len__(self) -> int:
        return len(str(self))

    def __repr__(self) -> str:
        # A token is a secret: never its text in a traceback or a log.
        return "<LazyCsrfToken>"
