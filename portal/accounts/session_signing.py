"""Django's session signing (``signing.dumps``/``loads`` with the session's salt), keyed once per key.

Every page view checks the signature of the session data it loaded. Django's
``signing.loads`` builds a signer and derives the HMAC key (a SHA-256 of salt
and secret, then the HMAC's two padded blocks) afresh for every check. The
signer here is Django's own ``TimestampSigner``, made once per key, salt and
fallback keys, whose ``signature`` copies an HMAC already keyed instead of
keying a new one: the same bytes in, the same signature out, for the current
key and each fallback key alike. Formats, fallback keys, the constant-time
comparison and ``BadSignature`` stay Django's.
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from typing import Any, cast

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes

_ALGORITHM = "sha256"  # Signer's default, which signing.dumps and loads use


@lru_cache(maxsize=16)
def _keyed(salt: str, key: str | bytes) -> hmac.HMAC:
    """Django's ``salted_hmac(salt, ..., key)`` before any message is fed to it."""
    return salted_hmac(salt, b"", key, algorithm=_ALGORITHM)


class _KeyedSigner(signing.TimestampSigner):
    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        # As Signer.signature: base64_hmac(self.salt + "signer", value, key), from a keyed copy.
        mac = _keyed(cast(str, self.salt) + "signer", key or self.key).copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()


@lru_cache(maxsize=16)
def _signer(salt: str, key: str | bytes, fallback_keys: tuple[str | bytes, ...]) -> _KeyedSigner:
    return _KeyedSigner(key=key, salt=salt, fallback_keys=list(fallback_keys), algorithm=_ALGORITHM)


def _current_signer(salt: str) -> _KeyedSigner:
    # Read on every call, so a changed SECRET_KEY (or its fallbacks) is used at once.
    return _signer(salt, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


def dumps(obj: Any, *, salt: str, serializer: Any) -> str:
    """``signing.dumps(obj, salt=salt, serializer=serializer, compress=True)``."""
    return _current_signer(salt).sign_object(obj, serializer=serializer, compress=True)


def loads(signed: str, *, salt: str, serializer: Any) -> Any:
    """``signing.loads(signed, salt=salt, serializer=serializer)``: raises ``signing.BadSignature`` as it does."""
    return _current_signer(salt).unsign_object(signed, serializer=serializer)
