"""Django's session engine on DynamoDB (SESSION_ENGINE = "portal.accounts.session_store").

Sessions live in the WebSessions table; DynamoDB's TTL removes expired ones,
and loading treats an expired-but-not-yet-removed session as absent. A
logged-in session records its account ("<kind>:<accountId>", the user id
Django's auth keeps under ``_auth_user_id``) so that all of an account's
sessions can be ended at once, e.g. after a password change.

Session data is health-adjacent and session keys are bearer secrets: neither
is ever logged here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import (
    VALID_KEY_CHARS,
    CreateError,
    SessionBase,
    UpdateError,
)
from django.core import signing
from django.utils.crypto import get_random_string

from portal.domain import Conflict, NotFound
from portal.dynamo.web_sessions import WebSessionRecord, WebSessionRepository

logger = logging.getLogger(__name__)

# Django draws 32 characters; anything much longer did not come from us, and a
# key over DynamoDB's 2048-byte limit would be a ValidationException (a 500).
_MAX_KEY_LENGTH = 64
_KEY_CHARS = frozenset(VALID_KEY_CHARS)
# A collision of 32 random characters does not happen; repeated ones mean a bug,
# and a bounded loop fails loudly instead of hammering the database.
_CREATE_ATTEMPTS = 10


# Session data keys the login writes and the store copies onto the item, so
# the person's list of sessions needs no decoding of anyone's session data.
DEVICE_KEY = "_device"
LOGGED_IN_AT_KEY = "_logged_in_at"


def _logged_in_at(data: dict[str, Any]) -> datetime | None:
    value = data.get(LOGGED_IN_AT_KEY)
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def _account_key(data: dict[str, Any]) -> str | None:
    # Our user ids are already "<kind>:<accountId>", which is the index's key.
    user_id = data.get(SESSION_KEY)
    if user_id is None or user_id == "":
        return None
    return str(user_id)


class SessionStore(SessionBase):
    def __init__(
        self,
        session_key: str | None = None,
        *,
        repository: WebSessionRepository | None = None,
    ) -> None:
        super().__init__(session_key)
        # Built lazily on use by the repository itself: no connection at import.
        self._repository = repository or WebSessionRepository()
        # The expiry of the stored session as loaded (None until loaded, or when
        # there was none): tells when it was last pushed forward.
        self._stored_expiry: datetime | None = None
        # A key drawn by cycle_key and not stored yet: the next save creates the item.
        self._create_on_save = False

    def stored_expiry(self) -> datetime | None:
        """When the stored session ends unless pushed again (None for a new or absent one)."""
        self._get_session()  # type: ignore[attr-defined]
        return self._stored_expiry

    def _validate_session_key(self, key: str | None) -> bool:
        # A forged cookie becomes "no session" (a fresh one is issued) rather than
        # a request DynamoDB rejects.
        return bool(
            key
            and 8 <= len(key) <= _MAX_KEY_LENGTH
            and set(key) <= _KEY_CHARS
        )

    def _decode_or_none(self, session_data: str) -> dict[str, Any] | None:
        # SessionBase.decode() answers {} both for a valid empty session and for
        # tampered data; only the latter must drop the key.
        try:
            data = signing.loads(session_data, salt=self.key_salt, serializer=self.serializer)
        except signing.BadSignature:
            # Same logger Django's own decode() uses; the message carries no data.
            logging.getLogger("django.security.SuspiciousSession").warning(
                "Session data corrupted"
            )
            return None
        except Exception:
            return None
        return data if isinstance(data, dict) else None

    def load(self) -> dict[str, Any]:
        session_key = self.session_key
        record = self._repository.get(session_key) if session_key else None
        data = self._decode_or_none(record.session_data) if record else None
        if data is None:
            # Missing, expired or undecodable: the next save draws a new key, so a
            # client can never choose (fixate) the key its session is stored under.
            self._session_key = None
            self._stored_expiry = None
            return {}
        self._stored_expiry = record.expires_at if record else None
        return data

    def exists(self, session_key: str) -> bool:
        if not self._validate_session_key(session_key):
            return False
        return self._repository.get(session_key) is not None

    def _get_new_session_key(self) -> str:
        # Django's own loop asks exists() first: a strongly consistent read per new
        # key that decides nothing, as the item is stored under the condition that
        # the key is not taken (CreateError, and another draw, if it is).
        return get_random_string(32, VALID_KEY_CHARS)

    def cycle_key(self) -> None:
        # Django's cycle_key stores the old data under the new key at once, and the
        # request's save (a login's, always) writes the item again a moment later.
        # Only drawing the key here and creating the item on that save halves the
        # writes of a login; the key is unknown to the browser until then, and the
        # conditional create still refuses a key that is taken.
        data = self._session  # type: ignore[attr-defined]
        old_key = self.session_key
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        self._create_on_save = True
        self.modified = True
        if old_key:
            self.delete(old_key)

    def create(self) -> None:
        for _ in range(_CREATE_ATTEMPTS):
            self._session_key = self._get_new_session_key()  # type: ignore[attr-defined]
            try:
                # Stored at once (with empty data) so the key is ours before anyone
                # else can draw it.
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return
        raise RuntimeError("could not draw an unused session key")

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        if self._create_on_save and not must_create:
            return self._create_cycled()
        data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]
        record = WebSessionRecord(
            # As Django's database backend: if loading just found the session gone,
            # a fresh key is drawn and the update below fails with UpdateError.
            session_key=self._get_or_create_session_key(),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expires_at=self._expiry_date(data),
            account_key=_account_key(data),
            device=str(data[DEVICE_KEY])[:80] if data.get(DEVICE_KEY) else None,
            logged_in_at=_logged_in_at(data),
        )
        if must_create:
            try:
                self._repository.create(record)
            except Conflict as exc:
                raise CreateError from exc
        else:
            try:
                self._repository.save(record)
            except NotFound as exc:
                # Deleted while this request ran (logout elsewhere, sessions ended
                # after a password change): Django turns this into SessionInterrupted
                # instead of letting the request resurrect the session.
                raise UpdateError from exc
        self._create_on_save = False
        self._stored_expiry = record.expires_at

    def _create_cycled(self) -> None:
        # The browser has not seen the key cycle_key drew, so a taken one is simply redrawn.
        for _ in range(_CREATE_ATTEMPTS):
            try:
                self.save(must_create=True)
            except CreateError:
                self._session_key = self._get_new_session_key()
                continue
            return
        raise RuntimeError("could not draw an unused session key")

    def _expiry_date(self, data: dict[str, Any]) -> datetime:
        # Passing expiry explicitly keeps get_expiry_date() from loading again.
        return self.get_expiry_date(expiry=data.get("_session_expiry"))

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        if not self._validate_session_key(session_key):
            return
        self._repository.delete(session_key)

    @classmethod
    def clear_expired(cls) -> None:
        # DynamoDB's TTL on expiresAt removes expired sessions; load() already
        # ignores the ones it has not reached yet.
        return None


def end_other_sessions(account_key: str, keep_session_key: str | None) -> int:
    """End every session of ``account_key`` except ``keep_session_key``; return how many.

    Used after a password change so a stolen or forgotten device is logged out
    while the person changing the password stays in.
    """
    return WebSessionRepository().delete_for_account(
        account_key, except_session_key=keep_session_key
    )
