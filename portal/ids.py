"""Identifiers: ULIDs, sortable by time, strictly increasing within a process.

Plain ULIDs made in the same millisecond order by their random part; two
messages sent back to back by one sender could then list in the wrong order.
Within a millisecond we therefore increment the previous ULID instead.
"""

from __future__ import annotations

import re
import threading

from ulid import ULID

_lock = threading.Lock()
_last: ULID | None = None


def new_ulid() -> ULID:
    global _last
    with _lock:
        candidate = ULID()
        if _last is not None and candidate.milliseconds <= _last.milliseconds:
            candidate = ULID.from_int(int(_last) + 1)
        _last = candidate
        return candidate


def new_id() -> str:
    return str(new_ulid())


# What ULID.from_str accepts, said once: 26 letters of Crockford's base32 in either case,
# the first at most 7 so the value fits 128 bits. Every page checks the signed-in
# person's id, and decoding it into a ULID only to drop the result cost more than the check.
_ULID_TEXT = re.compile(r"[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}")


def is_valid_id(value: str) -> bool:
    return _ULID_TEXT.fullmatch(value) is not None
