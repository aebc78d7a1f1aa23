"""Throttle counters (LoginThrottle): atomic counts shared by every server process.

Each counter is one item ``{throttleKey, count, expiresAt}``. DynamoDB's TTL
deletes expired items eventually (often many minutes late), so a counter whose
``expiresAt`` has passed is treated as absent: it reads as zero and the next
increment starts it again from one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from boto3.dynamodb.conditions import Attr

from portal.domain import Conflict
from portal.dynamo.base import Repository
from portal.dynamo.gateway import Item, new_request_token
from portal.dynamo.schema import LOGIN_THROTTLE
from portal.timeutil import epoch_seconds, utcnow

_KEY = LOGIN_THROTTLE.hash_key
_COUNT = "count"
_EXPIRES = LOGIN_THROTTLE.ttl_attribute or "expiresAt"

# Each lost race costs one extra UpdateItem; more than a couple in a row means
# something odd, and over-counting is the safe side for a throttle.
_RESET_ATTEMPTS = 3


def _live_count(item: Item, now_epoch: int) -> int:
    expires = item.get(_EXPIRES)
    if expires is not None and int(expires) <= now_epoch:
        return 0
    return int(item.get(_COUNT, 0))


class ThrottleRepository(Repository):
    def increment(self, key: str, *, expires_at: datetime, now: datetime | None = None) -> int:
        """Add one to ``key`` atomically and return the new count.

        One UpdateItem in the usual case. ``expires_at`` becomes the item's TTL.
        """
        now_epoch = epoch_seconds(now or utcnow())
        expires_epoch = epoch_seconds(expires_at)
        for _ in range(_RESET_ATTEMPTS):
            try:
                item = self.db.update(
                    LOGIN_THROTTLE,
                    {_KEY: key},
                    set_values={_EXPIRES: expires_epoch},
                    add={_COUNT: 1},
                    condition=Attr(_KEY).not_exists() | Attr(_EXPIRES).gt(now_epoch),
                    # A retry of an ADD that landed would count one attempt twice.
                    token=new_request_token(),
                )
                return int(item[_COUNT])
            except Conflict:
                pass
            # The item is expired but TTL has not removed it yet: start it over,
            # unless another process already did (then the ADD above wins next time).
            try:
                item = self.db.update(
                    LOGIN_THROTTLE,
                    {_KEY: key},
                    set_values={_COUNT: 1, _EXPIRES: expires_epoch},
                    condition=Attr(_EXPIRES).lte(now_epoch),
                    token=new_request_token(),
                )
                return int(item[_COUNT])
            except Conflict:
                pass
        item = self.db.update(
            LOGIN_THROTTLE,
            {_KEY: key},
            set_values={_EXPIRES: expires_epoch},
            add={_COUNT: 1},
            token=new_request_token(),
        )
        return int(item[_COUNT])

    def decrement(self, key: str) -> int | None:
        """Take one back from ``key`` atomically and return the new count.

        One UpdateItem. It never creates a counter and never takes a count below
        zero (both would hand out attempts nobody made): then it does nothing and
        returns None. The TTL is left as it is.
        """
        try:
            item = self.db.update(
                LOGIN_THROTTLE,
                {_KEY: key},
                add={_COUNT: -1},
                condition=Attr(_KEY).exists() & Attr(_COUNT).gt(0),
                token=new_request_token(),
            )
        except Conflict:
            return None
        return int(item[_COUNT])

    def delete(self, key: str) -> None:
        """Remove a counter (absent is fine): one DeleteItem."""
        self.db.delete(LOGIN_THROTTLE, {_KEY: key})

    def counts(self, keys: Sequence[str], *, now: datetime | None = None) -> dict[str, int]:
        """The live count of every key in one BatchGetItem (per 100 keys).

        Missing and expired counters are zero; every requested key is in the result.
        """
        if not keys:
            return {}
        now_epoch = epoch_seconds(now or utcnow())
        items = self.db.batch_get(LOGIN_THROTTLE, [{_KEY: key} for key in keys], consistent=True)
        found = {item[_KEY]: _live_count(item, now_epoch) for item in items}
        return {key: found.get(key, 0) for key in keys}
