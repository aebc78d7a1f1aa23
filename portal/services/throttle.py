"""Throttling of failed attempts: sign-ins, password resets and changes, MFA codes.

A sliding-window approximation over fixed windows: each identifier has one
counter per window, and the estimate of failures in the last ``window`` is

    current + previous * (1 - elapsed fraction of the current window)

Counters live in DynamoDB (atomic ADD, TTL), so every server process sees the
same numbers. Identifiers (an email, a client IP address) are hashed before they
become keys: the table never holds them in clear. Each scope ("login",
"password-reset", ...) has its own counters.

Callers count the attempt first and give it back if it succeeded::

    ticket = throttle_attempt(scope="login", identifiers=[email, ip])  # may raise Throttled
    ... if the password is right:
    throttle_release(ticket)

Counting first is what makes the limit hold under concurrency: each attempt's
atomic ADD returns a distinct count, so of N simultaneous attempts against a
fresh identifier exactly ``limit`` see a count within the limit. (Checking the
counts first and recording a failure afterwards would let parallel requests all
pass the check.)
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


def _digest(identifier: str) -> str:
    return hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:32]


def _key(scope: str, digest: str, window_index: int) -> str:
    return f"{scope}:{digest}:{window_index}"


def _expiry(window: _Window) -> datetime:
    """A counter is needed while its window is current or previous: until the end of the next."""
    return datetime.fromtimestamp(window.end + window.length, tz=UTC)


def _seconds_until_allowed(
    *, current: int, previous: int, limit: int, window: _Window, now: float
) -> float:
    """Seconds from ``now`` until the estimate falls to ``limit`` if nothing else fails.

    The moment it reaches ``limit`` exactly; callers round up strictly past it.
    """
    if current >= limit and current == 0:
        # Nothing may weigh anything: wait until the previous window has aged out.
        return window.end - now
    if current >= limit:
        # The current count cannot decay within its own window; in the next one it
        # becomes ``previous`` and decays: current * (1 - f) < limit when f > 1 - limit / current.
        return (window.end - now) + window.length * (1 - limit / current)
    # previous * (1 - f) < limit - current when f > 1 - (limit - current) / previous.
    return window.start + window.length * (1 - (limit - current) / previous) - now


@dataclass(frozen=True)
class ThrottleTicket:
    """One allowed attempt, already counted; pass it to ``throttle_release`` on success.

    It names the counters the attempt was added to (scope, window index and the
    hashed identifiers), so the release takes it back from exactly those, even
    if the window has rolled over meanwhile. Release a ticket at most once.
    """

    scope: str
    window_index: int
    digests: tuple[str, ...]

    @property
    def counter_keys(self) -> tuple[str, ...]:
        return tuple(_key(self.scope, digest, self.window_index) for digest in self.digests)


def throttle_attempt(
    *,
    scope: str,
    identifiers: Sequence[str],
    limit: int = DEFAULT_LIMIT,
    window: timedelta = DEFAULT_WINDOW,
    now: datetime | None = None,
    throttles: ThrottleRepository | None = None,
    refund_refused: bool = False,
) -> ThrottleTicket:
    """Count one attempt for every identifier, then refuse it if that goes over ``limit``.

    With ``refund_refused`` a refused attempt is given back before ``Throttled``
    is raised: it checked nothing, so it is not a guess, and someone who keeps
    trying (a stranger at another person's login) cannot push the lockout ever
    further away; it ends as the earlier failures age out of the window.

    The attempt is added first (one atomic UpdateItem ADD per identifier, which
    returns the new count), then the previous windows of all identifiers are
    read in one consistent BatchGetItem. If any identifier's estimate, this
    attempt included, exceeds ``limit``, ``Throttled`` is raised and the attempt
    stays counted: it was an attempt. So with ``limit`` 10 and 9 earlier
    failures the attempt is allowed, with 10 it is refused; and of N concurrent
    attempts on a fresh identifier exactly 10 are allowed, since each ADD returns
    a different count.

    ``retry_after`` is when a next attempt would be allowed if nothing else is
    tried meanwhile (refused attempts count, so trying during a refusal moves it
    further away). Returns the ticket to release if the attempt succeeds.
    """
    if limit < 1:
        raise ValueError("the throttle limit must be at least 1")
    moment = now or utcnow()
    current_window = _window_at(moment, window)
    ticket = ThrottleTicket(
        scope=scope,
        window_index=current_window.index,
        digests=tuple(_digest(identifier) for identifier in _normalize(identifiers)),
    )
    if not ticket.digests:
        return ticket
    repository = throttles or ThrottleRepository()
    expires_at = _expiry(current_window)
    currents = [
        repository.increment(key, expires_at=expires_at, now=moment) for key in ticket.counter_keys
    ]
    previous_keys = [
        _key(scope, digest, current_window.index - 1) for digest in ticket.digests
    ]
    previous_counts = repository.counts(previous_keys, now=moment)
    elapsed = (moment.timestamp() - current_window.start) / current_window.length
    over = [
        current + previous_counts[previous_key] * (1 - elapsed) > limit
        for current, previous_key in zip(currents, previous_keys, strict=True)
    ]
    if any(over) and refund_refused:
        for key in ticket.counter_keys:
            repository.decrement(key)
        currents = [current - 1 for current in currents]
    waits: list[float] = []
    for current, previous_key, is_over in zip(currents, previous_keys, over, strict=True):
        previous = previous_counts[previous_key]
        if is_over:
            # The next attempt adds one more, so it is allowed once these counts
            # weigh ``limit - 1`` or less.
            waits.append(
                _seconds_until_allowed(
                    current=current,
                    previous=previous,
                    limit=limit - 1,
                    window=current_window,
                    now=moment.timestamp(),
                )
            )
    if waits:
        # At or after the moment the next attempt fits, in whole seconds.
        raise Throttled(scope=scope, retry_after=math.floor(max(waits)) + 1)
    return ticket


def throttle_release(
    ticket: ThrottleTicket, *, throttles: ThrottleRepository | None = None
) -> None:
    """Give back a successful attempt: one UpdateItem ADD -1 per counter the ticket names.

    A success is not a failure, so successful sign-ins never lock anyone out.
    A counter that is gone (expired and deleted) or already at zero is left alone.
    """
    if not ticket.digests:
        return
    repository = throttles or ThrottleRepository()
    for key in ticket.counter_keys:
        repository.decrement(key)


def throttle_clear(
    *,
    scope: str,
    identifiers: Sequence[str],
    window: timedelta = DEFAULT_WINDOW,
    now: datetime | None = None,
    throttles: ThrottleRepository | None = None,
) -> None:
    """Forget the failures of ``identifiers`` in ``scope`` (both windows that still weigh).

    For example after a completed password reset: whoever guessed before
    guessed at a password that no longer exists.
    """
    digests = [_digest(identifier) for identifier in _normalize(identifiers)]
    if not digests:
        return
    current = _window_at(now or utcnow(), window)
    repository = throttles or ThrottleRepository()
    for digest in digests:
        for index in (current.index, current.index - 1):
            repository.delete(_key(scope, digest, index))
