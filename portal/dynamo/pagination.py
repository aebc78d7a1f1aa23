"""Opaque, signed pagination cursors.

A cursor is DynamoDB's LastEvaluatedKey signed with the secret key and a
scope naming the listing it belongs to (for example the client whose journal
is listed). A tampered cursor, or one carried over to another listing or
another user's listing, fails the signature and is refused.
"""

from __future__ import annotations

from typing import Any

from django.core import signing

from portal.domain import InvalidCursor

_SALT = "portal.dynamo.cursor"


def encode_cursor(last_key: dict[str, Any] | None, scope: str) -> str | None:
    if not last_key:
        return None
    return signing.dumps(last_key, salt=f"{_SALT}:{scope}", compress=True)


def decode_cursor(cursor: str | None, scope: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = signing.loads(cursor, salt=f"{_SALT}:{scope}")
    except signing.BadSignature:
        raise InvalidCursor("This page link is no longer valid.") from None
    if not isinstance(key, dict):
        raise InvalidCursor("This page link is no longer valid.")
    return key
