"""Throttling of failed logins and password-reset requests.

A sliding-window approximation over fixed windows: each identifier has one
counter per window, and the estimate of failures in the last ``window`` is

    current + previous * (1 - elapsed fraction of the current window)

Counters live in DynamoDB (atomic ADD, TTL), so every server process sees the
same numbers. Identifiers (an email, a client IP address) are hashed before they
become keys: the table never holds them in clear.

Callers check before the attempt and record after a failure::

    throttle_check(scope="login", identifiers=[email, ip])   # may raise Throttled
    ... if the password is wrong:
    throttle_record(scope="login", identifiers=[email, ip])
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.domain import DomainError
from portal.dynamo.throttle import ThrottleRepository
from portal.timeutil import utcnow

DEFAULT_LIMIT = 10
DEFAULT_WINDOW = timedelta(minutes=15)

_MESSAGES = {
    "login": "Too many failed sign-in attempts.",
    "password-reset": "Too many password reset requests.",
}


class Throttled(DomainError):
    """Too many recent failures for a key; ``retry_after`` is in seconds (>= 1)."""

    def __init__(self, *, scope: str, retry_after: int) -> None:
        self.scope = scope
        self.retry_after = max(1, int(retry_after))
        opening = _MESSAGES.get(scope, "Too many attempts.")
        super().__init__(f"{opening} Please try again {_describe_wait(self.retry_after)}.")


def _describe_wait(seconds: int) -> str:
    if seconds <= 60:
        return "in about a minute"
    minutes = math.ceil(seconds / 60)
    return f"in about {minutes} minutes"


@dataclass(frozen=True)
class _Window:
    index: int
    start: float  # epoch seconds
    length: float  # seconds

    @property
    def end(self) -> float:
        return self.start + self.length


def _window_at(moment: datetime, window: timedelta) -> _Window:
    length = window.total_seconds()
    if length <= 0:
        raise ValueError("the throttle window must be positive")
    index = math.floor(moment.timestamp() / length)
    return _Window(index=index, start=index * length, length=length)


def _normalize(identifiers: Sequence[str]) -> list[str]:
    """Drop empty identifiers and duplicates; one spelling per email or address."""
    if isinstance(identifiers, str):
        # A bare string is a Sequence[str] too; iterating it would throttle letters.
        raise TypeError("identifiers must be a sequence of strings, not a string")
    seen: dict[str, None] = {}
    for identifier in identifiers:
        cleaned = (identifier or "").strip().lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def _counter_key(scope: str, identifier: str, window_index: int) -> str:
    digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:32]
    return f"{scope}:{digest}:{window_index}"


def _seconds_until_allowed(
    *, current: int, previous: int, limit: int, window: _Window, now: float
) -> float:
    """Seconds from ``now`` until the estimate falls to ``limit`` if nothing else fails."""
    if current >= limit:
        # The current count cannot decay within its own window; in the next one it
        # becomes ``previous`` and decays: current * (1 - f) < limit when f > 1 - limit / current.
        return (window.end - now) + window.length * (1 - limit / current)
    # previous * (1 - f) < limit - current when f > 1 - (limit - current) / previous.
    return window.start + window.length * (1 - (limit - current) / previous) - now


def throttle_check(
    *,
    scope: str,
    identifiers: Sequence[str],
    limit: int = DEFAULT_LIMIT,
    window: timedelta = DEFAULT_WINDOW,
    now: datetime | None = None,
    throttles: ThrottleRepository | None = None,
) -> None:
    """Raise ``Throttled`` if any identifier has ``limit`` or more recent failures.

    One BatchGetItem for the current and previous windows of every identifier.
    """
    if limit < 1:
        raise ValueError("the throttle limit must be at least 1")
    keys = _normalize(identifiers)
    if not keys:
        return
    moment = now or utcnow()
    current_window = _window_at(moment, window)
    pairs = {
        identifier: (
            _counter_key(scope, identifier, current_window.index),
            _counter_key(scope, identifier, current_window.index - 1),
        )
        for identifier in keys
    }
    counts = (throttles or ThrottleRepository()).counts(
        [key for pair in pairs.values() for key in pair], now=moment
    )
    elapsed = (moment.timestamp() - current_window.start) / current_window.length
    waits: list[float] = []
    for current_key, previous_key in pairs.values():
        current, previous = counts[current_key], counts[previous_key]
        if current + previous * (1 - elapsed) >= limit:
            waits.append(
                _seconds_until_allowed(
                    current=current,
                    previous=previous,
                    limit=limit,
                    window=current_window,
                    now=moment.timestamp(),
                )
            )
    if waits:
        # Strictly after the moment the estimate reaches the limit, in whole seconds.
        raise Throttled(scope=scope, retry_after=math.floor(max(waits)) + 1)


def throttle_record(
    *,
    scope: str,
    identifiers: Sequence[str],
    window: timedelta = DEFAULT_WINDOW,
    now: datetime | None = None,
    throttles: ThrottleRepository | None = None,
) -> None:
    """Count one failure for each identifier (one UpdateItem each).

    A counter is needed while its window is current or previous, so it expires
    at the end of the next window.
    """
    keys = _normalize(identifiers)
    if not keys:
        return
    moment = now or utcnow()
    current_window = _window_at(moment, window)
    expires_at = datetime.fromtimestamp(current_window.end + current_window.length, tz=UTC)
    repository = throttles or ThrottleRepository()
    for identifier in keys:
        repository.increment(
            _counter_key(scope, identifier, current_window.index), expires_at=expires_at, now=moment
        )
