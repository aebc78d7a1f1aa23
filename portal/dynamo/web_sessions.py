"""Server-side web sessions (a supporting table with TTL: WebSessions).

One item per session key: ``sessionKey``, ``sessionData`` (Django's signed,
encoded string, opaque here), ``expiresAt`` (epoch seconds, the TTL
attribute) and, only while someone is logged in, ``accountKey``
("<kind>:<accountId>"). Anonymous sessions carry no ``accountKey`` so
``GSI_WebSessions_ByAccount`` holds logged-in sessions only.

Session data and session keys are bearer secrets: nothing here logs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import Conflict, NotFound
from portal.dynamo.base import Repository
from portal.dynamo.gateway import DynamoGateway, Item, new_request_token
from portal.dynamo.schema import WEB_SESSIONS
from portal.timeutil import epoch_seconds, utcnow

logger = logging.getLogger(__name__)

_BY_ACCOUNT = "GSI_WebSessions_ByAccount"
# One Query page when ending an account's sessions.
_PAGE_SIZE = 100


@dataclass(frozen=True)
class WebSessionRecord:
    # Both are bearer secrets: kept out of repr so tracebacks and logs never show them.
    session_key: str = field(repr=False)
    # Django's encoded session (signed, compressed).
    session_data: str = field(repr=False)
    # Whole seconds: DynamoDB TTL works in epoch seconds, so finer is not kept.
    expires_at: datetime
    # "<kind>:<accountId>" while logged in, None for an anonymous session.
    account_key: str | None = None
    # A coarse label of the browser ("Firefox on Windows") and when it logged
    # in, so a person can recognise their sessions; never the full user agent.
    device: str | None = None
    logged_in_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        # The moment expiresAt names is already past the session's life,
        # as Django's own database backend treats expire_date (it keeps > now).
        return epoch_seconds(self.expires_at) <= now.timestamp()


def _to_item(record: WebSessionRecord) -> dict[str, Any]:
    return {
        "sessionKey": record.session_key,
        "sessionData": record.session_data,
        "expiresAt": epoch_seconds(record.expires_at),
        # None is dropped by the gateway's serializer, keeping the GSI sparse.
        "accountKey": record.account_key or None,
        "deviceLabel": record.device or None,
        "loggedInAt": epoch_seconds(record.logged_in_at) if record.logged_in_at else None,
    }


def _from_item(item: Item) -> WebSessionRecord:
    return WebSessionRecord(
        session_key=item["sessionKey"],
        # Absent in the account index, which never copies the signed session data.
        session_data=item.get("sessionData", ""),
        # Numbers come back as Decimal.
        expires_at=datetime.fromtimestamp(int(item["expiresAt"]), tz=UTC),
        account_key=item.get("accountKey"),
        device=item.get("deviceLabel"),
        logged_in_at=(
            datetime.fromtimestamp(int(item["loggedInAt"]), tz=UTC) if "loggedInAt" in item else None
        ),
    )


class WebSessionRepository(Repository):
    def __init__(
        self,
        gateway: DynamoGateway | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(gateway)
        # Injectable so tests can move time past expiresAt without sleeping.
        self._clock = clock

    def get(self, session_key: str) -> WebSessionRecord | None:
        """The live session under ``session_key``, or None (absent or expired)."""
        # Strongly consistent: a session written by the previous request (a login,
        # a logout on another worker) must be seen by this one.
        item = self.db.get(WEB_SESSIONS, {"sessionKey": session_key}, consistent=True)
        if item is None:
            return None
        record = _from_item(item)
        # TTL deletion lags by up to days, so an expired item may still be there.
        if record.is_expired(self._clock()):
            return None
        return record

    def create(self, record: WebSessionRecord) -> None:
        """Store a new session; raises Conflict if the key is already taken."""
        # Even an expired-but-not-yet-deleted item blocks the key: a key is never
        # handed out twice, and the caller simply draws another one.
        self.db.put(
            WEB_SESSIONS,
            _to_item(record),
            condition=Attr("sessionKey").not_exists(),
            # A retry after the first attempt stored it must not look like a taken key.
            token=new_request_token(),
        )

    def save(self, record: WebSessionRecord) -> None:
        """Overwrite an existing session; raises NotFound if it was deleted meanwhile.

        Never creates: a request still holding a session that was logged out
        elsewhere (or ended after a password change) must not bring it back.
        """
        try:
            # A whole-item put, so an attribute dropped at logout (accountKey) goes too.
            self.db.put(
                WEB_SESSIONS, _to_item(record), condition=Attr("sessionKey").exists()
            )
        except Conflict as exc:
            raise NotFound("web session no longer exists") from exc

    def delete(self, session_key: str) -> bool:
        """Delete one session; False if there was none (not an error)."""
        return self.db.delete(WEB_SESSIONS, {"sessionKey": session_key}) is not None

    def list_for_account(self, account_key: str, *, limit: int = 50) -> list[WebSessionRecord]:
        """The account's live sessions, newest login first: one Query of the account
        index and one BatchGetItem of their expiries.

        The index is eventually consistent: a session made a moment ago may be
        missing, one ended a moment ago may still show (it is dead all the same).
        """
        result = self.db.query(
            WEB_SESSIONS, Key("accountKey").eq(account_key), index=_BY_ACCOUNT, limit=limit
        )
        # The index holds no expiry (it would be rewritten at every push): one
        # BatchGetItem of the expiries alone, never the session data.
        expiries = {
            item["sessionKey"]: item["expiresAt"]
            for item in self.db.batch_get(
                WEB_SESSIONS,
                [{"sessionKey": item["sessionKey"]} for item in result.items],
                attributes=("sessionKey", "expiresAt"),
            )
        }
        now = self._clock()
        # A session gone from the table since the index listed it is left out too.
        found = [
            _from_item({**item, "expiresAt": expiries[item["sessionKey"]]})
            for item in result.items
            if item["sessionKey"] in expiries
        ]
        records = [r for r in found if not r.is_expired(now)]
        epoch = datetime.fromtimestamp(0, tz=UTC)
        return sorted(records, key=lambda r: r.logged_in_at or epoch, reverse=True)

    def delete_for_account(
        self, account_key: str, *, except_session_key: str | None = None
    ) -> int:
        """Delete every session of ``account_key`` but ``except_session_key``; return how many.

        The index is eventually consistent, so a session created a moment ago
        may be missed; the sessions that matter (older ones, e.g. on a stolen
        device) are there.
        """
        deleted = 0
        start_key: dict[str, Any] | None = None
        while True:
            # Page by page and deleting as we go, so memory stays flat however
            # many sessions an account has piled up. Continuing from the last key
            # of a page is safe after deleting it: the key is a position, not an item.
            result = self.db.query(
                WEB_SESSIONS,
                Key("accountKey").eq(account_key),
                index=_BY_ACCOUNT,
                limit=_PAGE_SIZE,
                start_key=start_key,
            )
            for item in result.items:
                session_key = item["sessionKey"]
                if session_key == except_session_key:
                    continue
                # The index lags the table: it may still list a session deleted a
                # moment ago (e.g. the old key cycle_key just dropped); count only
                # what this call really ended.
                if self.delete(session_key):
                    deleted += 1
            if not result.last_key:
                break
            start_key = result.last_key
        # An account key and a count: no session keys (bearer secrets) in logs.
        logger.debug("deleted %d web sessions of %s", deleted, account_key)
        return deleted
