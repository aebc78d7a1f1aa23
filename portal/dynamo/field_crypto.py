"""Field-level encryption of clinical text: AES-GCM under a data key per key owner.

Any repository encrypts a clinical field in ``_to_item`` and decrypts it in
``_from_item``::

    stored = encrypt_text(owner_id, field_context(TABLE, key, "note"), text)
    text = decrypt_text(owner_id, field_context(TABLE, key, "note"), stored)

``owner_id`` says whose data key encrypts the text (``client_key_owner`` or
``record_key_owner``; the choice and its reasons are written in schema.py).
The associated data binds each ciphertext to its owner, table, item key and
field: a value copied elsewhere, or altered, raises ``UnreadableText`` and is
never shown. Once an owner's key is destroyed (an erased client), decrypting
gives ``ErasedText`` ("Removed at the client's request.") and encrypting
raises ``KeyDestroyed``.

Data keys are random 256-bit keys, stored wrapped. In production AWS KMS
makes and unwraps them (``settings.DATA_KEYS_KMS_KEY_ID``, see kms_keys.py);
otherwise (the local engine, tests) they are wrapped (AES-GCM) by the first
master key of ``settings.DATA_ENCRYPTION_KEYS``, and every listed master key
can unwrap. A key records which wrapped it, so both kinds unwrap side by side.
A key is unwrapped at most once per ``data_key_scope()``: each web
request runs in one (a middleware), and a listing opens one around its page so
its rows share the key. Nothing outlives the scope, so a destroyed key stops
working at once in every process.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from portal.domain import Conflict, ErasedText, KeyDestroyed, UnreadableText
from portal.dynamo import kms_keys
from portal.dynamo.data_keys import DataKeyRepository, StoredDataKey
from portal.dynamo.schema import Table
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

# The prefix of every stored ciphertext; a future format gets a new one.
_FORMAT = "e1:"
_NONCE_BYTES = 12
_DATA_KEY_BYTES = 32
_UNREADABLE = "This record cannot be read: its stored text failed an integrity check."


def client_key_owner(client_id: str) -> str:
    """The client's own key: what the client wrote. Destroyed when the client erases their account."""
    return f"CLIENT#{client_id}"


def record_key_owner(therapist_id: str, client_id: str) -> str:
    """The therapist's record of one client: what the therapist wrote. Survives the client's erasure."""
    return f"RECORD#{therapist_id}#{client_id}"


def field_context(table: Table, key: Mapping[str, Any], field: str) -> str:
    """The associated data for one field of one item: table, every key attribute, field name."""
    parts = ";".join(f"{name}={key[name]}" for name in sorted(key))
    return f"{table.name}|{parts}|{field}"


# --- master keys -------------------------------------------------------------


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    key: bytes


def master_keys() -> list[MasterKey]:
    """From settings on each call (tests override them); the first wraps."""
    keys = [MasterKey(key_id, key) for key_id, key in settings.DATA_ENCRYPTION_KEYS]
    if not keys:
        raise UnreadableText("No master key is configured (DATA_ENCRYPTION_KEYS).")
    return keys


def _wrap_context(owner_id: str, master_key_id: str) -> bytes:
    return f"data-key|{owner_id}|{master_key_id}".encode()


def wrap_data_key(owner_id: str, data_key: bytes, master: MasterKey) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(master.key).encrypt(nonce, data_key, _wrap_context(owner_id, master.key_id))


def unwrap_data_key(stored: StoredDataKey) -> bytes:
    """The plain data key; UnreadableText when no configured master key opens it."""
    if stored.wrapped_key is None or stored.master_key_id is None:
        raise KeyDestroyed("This data key was destroyed.")
    if kms_keys.is_kms_wrapped(stored.master_key_id):
        return kms_keys.decrypt(stored.owner_id, stored.wrapped_key, stored.master_key_id)
    master = next((m for m in master_keys() if m.key_id == stored.master_key_id), None)
    if master is None:
        logger.error("data key of %s is wrapped by master key %r, which is not configured", stored.owner_id, stored.master_key_id)
        raise UnreadableText(_UNREADABLE)
    wrapped = stored.wrapped_key
    try:
        return AESGCM(master.key).decrypt(
            wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], _wrap_context(stored.owner_id, master.key_id)
        )
    except (InvalidTag, ValueError):
        logger.error("data key of %s failed to unwrap under master key %r", stored.owner_id, master.key_id)
        raise UnreadableText(_UNREADABLE) from None


# --- the per-scope key ring ----------------------------------------------------

_ABSENT = b""  # the owner has no key yet (distinct from a destroyed one, None)


class KeyRing:
    """Data keys unwrapped in one scope (one request), each at most once."""

    def __init__(self, repository: DataKeyRepository | None = None) -> None:
        self._repository = repository or DataKeyRepository()
        self._keys: dict[str, bytes | None] = {}
        # One cipher per key: a page decrypts many fields under the same few keys.
        self._ciphers: dict[str, AESGCM] = {}

    def prefetch(self, owner_ids: Iterable[str]) -> None:
        """Load every listed owner's key not yet loaded, in one BatchGetItem."""
        missing = [owner for owner in dict.fromkeys(owner_ids) if owner not in self._keys]
        if not missing:
            return
        found = self._repository.get_many(missing)
        for owner in missing:
            self._remember(owner, found.get(owner))

    def _remember(self, owner_id: str, stored: StoredDataKey | None) -> None:
        if stored is None:
            self._keys[owner_id] = _ABSENT
        elif stored.destroyed:
            self._keys[owner_id] = None
        else:
            self._keys[owner_id] = unwrap_data_key(stored)

    def _load(self, owner_id: str) -> bytes | None:
        if owner_id not in self._keys:
            self._remember(owner_id, self._repository.get(owner_id))
        return self._keys[owner_id]

    def decryption_key(self, owner_id: str) -> bytes | None:
        """The owner's key, or None when it was destroyed."""
        key = self._load(owner_id)
        if key == _ABSENT:
            # Ciphertext exists but its key never did: not something a client
            # could have caused, so it is treated like tampering.
            logger.error("clinical text of %s has no data key", owner_id)
            raise UnreadableText(_UNREADABLE)
        return key

    def decryption_cipher(self, owner_id: str) -> AESGCM | None:
        """AES-GCM under the owner's key, or None when it was destroyed."""
        cipher = self._ciphers.get(owner_id)
        if cipher is None:
            key = self.decryption_key(owner_id)
            if key is None:
                return None
            try:
                cipher = AESGCM(key)
            except ValueError:
                # Not a key AES-GCM takes: unreadable, as a failed integrity check is.
                logger.error("data key of %s is not a valid key", owner_id)
                raise UnreadableText(_UNREADABLE) from None
            self._ciphers[owner_id] = cipher
        return cipher

    def encryption_key(self, owner_id: str) -> bytes:
        """The owner's key, created on first use; KeyDestroyed after an erasure."""
        key = self._load(owner_id)
        if key is None:
            raise KeyDestroyed("This account was erased: nothing more can be written about it.")
        if key != _ABSENT:
            return key
        return self._create(owner_id)

    def _create(self, owner_id: str) -> bytes:
        kms_key = kms_keys.kms_key_id()
        if kms_key is not None:
            # KMS makes the key and its wrapping in one call; the master key never leaves AWS.
            data_key, wrapped, master_key_id = kms_keys.generate(owner_id, kms_key)
        else:
            data_key = AESGCM.generate_key(bit_length=_DATA_KEY_BYTES * 8)
            master = master_keys()[0]
            wrapped, master_key_id = wrap_data_key(owner_id, data_key, master), master.key_id
        try:
            self._repository.create(
                StoredDataKey(
                    owner_id=owner_id,
                    wrapped_key=wrapped,
                    master_key_id=master_key_id,
                    created_at=utcnow(),
                )
            )
        except Conflict:
            # Another request created it first (or it was destroyed meanwhile): use what is there.
            del self._keys[owner_id]
            return self.encryption_key(owner_id)
        self._keys[owner_id] = data_key
        return data_key

    def forget(self) -> None:
        self._keys.clear()
        self._ciphers.clear()


_current_ring: ContextVar[KeyRing | None] = ContextVar("portal_data_key_ring", default=None)


class _KeyScope:
    """``with data_key_scope() as ring``: a class rather than a generator, as every request and
    every field decrypted enters one."""

    __slots__ = ("_ring", "_token")

    def __enter__(self) -> KeyRing:
        ring = _current_ring.get()
        if ring is not None:
            # Inside another scope: its ring, left to that scope to forget.
            self._ring, self._token = ring, None
            return ring
        self._ring = KeyRing()
        self._token = _current_ring.set(self._ring)
        return self._ring

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _current_ring.reset(self._token)
            self._ring.forget()


def data_key_scope() -> _KeyScope:
    """The key ring of the enclosing scope, or a new one for the duration of this block."""
    return _KeyScope()


def prefetch_keys(owner_ids: Iterable[str]) -> None:
    """Load many owners' keys in one call; useful inside an enclosing scope (a listing)."""
    with data_key_scope() as ring:
        ring.prefetch(owner_ids)


# --- fields ------------------------------------------------------------------------


def _aad(owner_id: str, associated_data: str) -> bytes:
    return f"{owner_id}|{associated_data}".encode()


def encrypt_text(owner_id: str, associated_data: str, plaintext: str) -> str:
    with data_key_scope() as ring:
        key = ring.encryption_key(owner_id)
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), _aad(owner_id, associated_data))
    return _FORMAT + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def decrypt_text(owner_id: str, associated_data: str, stored: str) -> str:
    """The plaintext; ErasedText after the owner's erasure; UnreadableText when tampered with."""
    if not isinstance(stored, str) or not stored.startswith(_FORMAT):
        logger.error("clinical text at %s is not in the encrypted format", associated_data)
        raise UnreadableText(_UNREADABLE)
    ring = _current_ring.get()
    if ring is None:
        with data_key_scope() as ring:
            cipher = ring.decryption_cipher(owner_id)
    else:
        # Inside a scope already (a request, a page of items): no scope to open per field.
        cipher = ring.decryption_cipher(owner_id)
    if cipher is None:
        return ErasedText()
    try:
        blob = base64.urlsafe_b64decode(stored[len(_FORMAT) :].encode("ascii"))
        plain = cipher.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(owner_id, associated_data))
        return plain.decode("utf-8")
    except (InvalidTag, ValueError, binascii.Error, UnicodeError):
        # Ids and field names only: never the text.
        logger.error("clinical text at %s failed its integrity check", associated_data)
        raise UnreadableText(_UNREADABLE) from None


def encrypt_optional(owner_id: str, associated_data: str, plaintext: str | None) -> str | None:
    """None for empty text, so an empty field stays absent from the item."""
    return encrypt_text(owner_id, associated_data, plaintext) if plaintext else None


def decrypt_optional(owner_id: str, associated_data: str, stored: str | None) -> str:
    return decrypt_text(owner_id, associated_data, stored) if stored else ""


# --- rotation ------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationProgress:
    rewrapped: int
    already_current: int
    destroyed: int
    next_cursor: str | None


def rotate_page(*, cursor: str | None = None, limit: int = 100) -> RotationProgress:
    """Rewrap one page of data keys under the newest (first) master key, or under KMS when it is configured.

    The data itself is untouched: its data keys stay the same, only their
    wrapping changes. Each rewrap is conditional on the master key it was read
    under, so two rotations running at once, a rerun after a crash, or an
    erasure in between never lose a key or bring a destroyed one back.
    With KMS, keys KMS already wraps are current (KMS rotates its own key
    material yearly and keeps the old to unwrap); keys wrapped by a local
    master key move under KMS.
    """
    repository = DataKeyRepository()
    kms_key = kms_keys.kms_key_id()
    newest = master_keys()[0] if kms_key is None else None
    page = repository.scan(limit=limit, cursor=cursor)
    rewrapped = already_current = destroyed = 0
    for stored in page.items:
        if stored.destroyed:
            destroyed += 1
            continue
        current = (
            kms_keys.is_kms_wrapped(stored.master_key_id) if newest is None else stored.master_key_id == newest.key_id
        )
        if current:
            already_current += 1
            continue
        assert stored.wrapped_key is not None and stored.master_key_id is not None
        data_key = unwrap_data_key(stored)
        if newest is None:
            assert kms_key is not None
            wrapped, master_key_id = kms_keys.encrypt(stored.owner_id, data_key, kms_key)
        else:
            wrapped, master_key_id = wrap_data_key(stored.owner_id, data_key, newest), newest.key_id
        if repository.rewrap(
            stored.owner_id,
            expected_master_key_id=stored.master_key_id,
            wrapped_key=wrapped,
            master_key_id=master_key_id,
        ):
            rewrapped += 1
        else:
            # Rewrapped by a concurrent run, or destroyed meanwhile: nothing to do.
            already_current += 1
    return RotationProgress(rewrapped, already_current, destroyed, page.next_cursor)
