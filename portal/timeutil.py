"""Times are stored as fixed-width UTC ISO-8601 strings so that text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are refused: times must carry a zone")
    return moment.astimezone(UTC).strftime(_FORMAT)


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


def maybe_from_iso(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def epoch_seconds(moment: datetime) -> int:
    """For TTL attributes, which DynamoDB wants as epoch seconds."""
    return int(moment.timestamp())
