"""Identifiers: ULIDs, sortable by time, strictly increasing within a process.

Plain ULIDs made in the same millisecond order by their random part; two
messages sent back to back by one sender could then list in the wrong order.
Within a millisecond we therefore increment the previous ULID instead.
"""

from __future__ import annotations

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


def is_valid_id(value: str) -> bool:
    if len(value) != 26:
        return False
    try:
        ULID.from_str(value)
    except ValueError:
        return False
    return True
