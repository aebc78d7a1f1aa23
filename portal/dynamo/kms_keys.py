"""Data keys made and unwrapped by AWS KMS: the production master key (``DATA_KEYS_KMS_KEY_ID``).

With KMS the master key never leaves AWS: ``GenerateDataKey`` returns a new data
key both in the clear (used for this request only) and wrapped (stored in
DataKeys), and ``Decrypt`` unwraps a stored one. Both carry the key owner (which
names the client) as encryption context, so a wrapped key copied onto another
client's item does not unwrap, and CloudTrail records whose key each call
opened. The deploy template's key policy lets the app role do exactly these two
operations and only with that context.

A key wrapped by KMS is stored with ``masterKeyId`` = ``"kms:" + <key ARN>``;
keys wrapped by a local master key (``DATA_ENCRYPTION_KEYS``) keep their id,
so both kinds unwrap side by side while a deployment moves to KMS.

Errors: a wrapped key KMS refuses as not its own (altered, or moved to another
owner) is ``UnreadableText``, like any failed integrity check; KMS being slow,
throttled, unreachable or refusing the app (a disabled key, a wrong policy) is
``DatabaseUnavailable``, which pages turn into the clear "try again" page.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from portal.domain import DatabaseUnavailable, UnreadableText
from portal.dynamo.connection import get_kms_client

logger = logging.getLogger(__name__)

KMS_PREFIX = "kms:"
# The encryption context's one key (the key policy requires exactly it).
CONTEXT_KEY = "keyOwner"
_UNREADABLE = "This record cannot be read: its stored text failed an integrity check."
# KMS's answers that mean "this ciphertext is not one of mine under this context".
_NOT_MINE = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


def kms_key_id() -> str | None:
    """The configured KMS key (id, ARN or alias), or None when local master keys wrap."""
    return getattr(settings, "DATA_KEYS_KMS_KEY_ID", "") or None


def is_kms_wrapped(master_key_id: str | None) -> bool:
    return bool(master_key_id) and str(master_key_id).startswith(KMS_PREFIX)


def _context(owner_id: str) -> dict[str, str]:
    return {CONTEXT_KEY: owner_id}


def _unavailable(owner_id: str, operation: str, exc: Exception) -> DatabaseUnavailable:
    code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__
    # The owner and the error code only: never a key, plain or wrapped.
    logger.error("KMS %s for the data key of %s failed: %s", operation, owner_id, code)
    return DatabaseUnavailable(f"KMS {operation} failed ({code})")


def generate(owner_id: str, key_id: str) -> tuple[bytes, bytes, str]:
    """A new 256-bit data key: (plain key, wrapped key, the master key id to store). One call."""
    try:
        answer: dict[str, Any] = get_kms_client().generate_data_key(
            KeyId=key_id, KeySpec="AES_256", EncryptionContext=_context(owner_id)
        )
    except (ClientError, BotoCoreError) as exc:
        raise _unavailable(owner_id, "GenerateDataKey", exc) from None
    return answer["Plaintext"], answer["CiphertextBlob"], KMS_PREFIX + answer["KeyId"]


def decrypt(owner_id: str, wrapped: bytes, master_key_id: str) -> bytes:
    """The plain data key of ``owner_id``. One call; the key ring keeps it for the rest of the request."""
    try:
        answer: dict[str, Any] = get_kms_client().decrypt(
            CiphertextBlob=wrapped,
            # Named, so a ciphertext of some other key in the account is refused.
            KeyId=master_key_id[len(KMS_PREFIX) :],
            EncryptionContext=_context(owner_id),
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _NOT_MINE:
            logger.error("data key of %s was refused by KMS as not its own", owner_id)
            raise UnreadableText(_UNREADABLE) from None
        raise _unavailable(owner_id, "Decrypt", exc) from None
    except BotoCoreError as exc:
        raise _unavailable(owner_id, "Decrypt", exc) from None
    plain: bytes = answer["Plaintext"]
    return plain


def encrypt(owner_id: str, data_key: bytes, key_id: str) -> tuple[bytes, str]:
    """Wrap an existing data key under KMS (moving a local-key deployment to KMS): (wrapped, master key id).

    Only ``rotate_data_keys`` calls it; the app role is not granted ``kms:Encrypt``
    (README, "Moving to KMS").
    """
    try:
        answer: dict[str, Any] = get_kms_client().encrypt(
            KeyId=key_id, Plaintext=data_key, EncryptionContext=_context(owner_id)
        )
    except (ClientError, BotoCoreError) as exc:
        raise _unavailable(owner_id, "Encrypt", exc) from None
    return answer["CiphertextBlob"], KMS_PREFIX + answer["KeyId"]
