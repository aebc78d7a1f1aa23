"""Opaque, encrypted pagination cursors.

A cursor is DynamoDB's LastEvaluatedKey, encrypted and authenticated with a
key derived from the secret key (Fernet), together with the scope of the
listing it belongs to (for example the client whose journal is listed).
Encrypted rather than only signed because the key of a journal index holds
the time and feeling of an entry, and cursors travel in URLs, which access
logs record. A tampered cursor, an old one, or one carried over to another
listing or another user's listing is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from portal.domain import InvalidCursor

# Long enough for a paused reading session; a week-old "load more" link just asks for a reload.
CURSOR_MAX_AGE_SECONDS = 24 * 60 * 60
_REFUSED = "This page link is no longer valid."


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(b"portal.dynamo.cursor:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encode_cursor(last_key: dict[str, Any] | None, scope: str) -> str | None:
    if not last_key:
        return None
    payload = json.dumps({"s": scope, "k": last_key}, separators=(",", ":")).encode()
    return _fernet(settings.SECRET_KEY).encrypt(payload).decode()


def decode_cursor(
    cursor: str | None, scope: str, *, max_age: int | None = CURSOR_MAX_AGE_SECONDS
) -> dict[str, Any] | None:
    """The key inside ``cursor``; ``max_age=None`` for tokens that live as long as a page stays open."""
    if not cursor:
        return None
    try:
        fernet = _fernet(settings.SECRET_KEY)
        payload = fernet.decrypt(cursor.encode(), ttl=max_age) if max_age else fernet.decrypt(cursor.encode())
        data = json.loads(payload)
    except (InvalidToken, ValueError, UnicodeError):
        raise InvalidCursor(_REFUSED) from None
    if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("k"), dict):
        raise InvalidCursor(_REFUSED)
    return data["k"]
