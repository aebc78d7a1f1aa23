"""Django's session signing (``signing.dumps``/``loads`` with the session's salt), keyed once per key.

Every page view checks the signature of the session data it loaded. Django's
``signing.loads`` builds a signer and derives the HMAC key (a SHA-256 of salt
and secret, then the HMAC's two padded blocks) afresh for every check. The
signer here is Django's own ``TimestampSigner``, made once per key, salt and
fallback keys, whose ``signature`` copies an HMAC already keyed instead of
keying a new one: the same bytes in, the same signature out, for the current
key and each fallback key alike. Formats, fallback keys, the constant-time
comparison and ``BadSignature`` stay Django's. Data already checked is not
checked again (``_checked_payload``).
"""

from __future__ import annotations

import hmac
import zlib
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
    """``signing.loads(signed, salt=salt, serializer=serializer)``: raises ``signing.BadSignature`` as it does.

    Each call gives a new object (deserialized afresh), which the session may change freely.
    """
    return serializer().loads(_checked_payload(signed, _current_signer(salt)))


# A session's data is checked on every page view, and changes only when the session is
# saved (at most once a minute while someone is active). The payload of data already
# checked is remembered by its signed text and the signer (the keys) that checked it:
# the same text always holds the same payload, so an entry is never stale, and new keys
# check everything afresh. It holds what sessions hold (the person's id, name and email,
# their readers' names), never health data, for at most this many sessions per process.
_REMEMBERED_SESSIONS = 1024


@lru_cache(maxsize=_REMEMBERED_SESSIONS)
def _checked_payload(signed: str, signer: _KeyedSigner) -> bytes:
    """Signer.unsign_object without its last step: the serialized payload, once the signature checks.

    A bad signature raises, and is not remembered.
    """
    payload = signer.unsign(signed).encode()
    compressed = payload[:1] == b"."
    data = signing.b64_decode(payload[1:] if compressed else payload)
    return zlib.decompress(data) if compressed else data
