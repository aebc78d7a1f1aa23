"""Times are stored as fixed-width UTC ISO-8601 strings so that text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime

# English names of our own, not strftime's %a/%b/%B: those follow the process locale (a page must read
# the same whatever the server's locale is) and cost several times more than a tuple lookup.
WEEKDAYS_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are refused: times must carry a zone")
    # isoformat always writes four-digit years and six-digit fractions, so every
    # value has the same width (strftime's %Y would write "999" for year 999).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_iso(text: str) -> datetime:
    if not text.endswith("Z"):
        raise ValueError(f"not a UTC time: {text!r}")
    if text[4:5] == "-":
        # The common case, a four-digit year: read as it is ("Z" reads as UTC itself).
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    year, sep, rest = text[:-1].partition("-")
    # Values written before years were padded (strftime wrote "999-…") still read.
    return datetime.fromisoformat(year.zfill(4) + sep + rest).replace(tzinfo=UTC)


def maybe_from_iso(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def epoch_seconds(moment: datetime) -> int:
    """For TTL attributes, which DynamoDB wants as epoch seconds."""
    return int(moment.timestamp())
