"""Filters and helpers every template may use, in the words pages need (dates, plurals, text with breaks).

Dates are shown in the active time zone (the viewer's own, activated per request)
unless a template passes a zone: a therapist's view of a client's journal shows the
client's own clock. Names of months and days come from our own tables: the product
speaks English whatever the locale.
"""

from __future__ import annotations

from collections.abc import Sized
from datetime import date, datetime, tzinfo
from typing import Any
from urllib.parse import quote

from django.template.defaultfilters import linebreaks_filter as django_linebreaks
from django.template.defaultfilters import linebreaksbr as django_linebreaksbr
from django.template.defaultfilters import urlize as django_urlize
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString

from portal.timeutil import MONTHS_SHORT, WEEKDAYS_SHORT


def _local(moment: datetime, zone: tzinfo | None = None) -> datetime:
    if not timezone.is_aware(moment):
        return moment
    return moment.astimezone(zone) if zone is not None else timezone.localtime(moment)


def _when(local: datetime) -> str:
    return (
        f"{WEEKDAYS_SHORT[local.weekday()]} {local.day} {MONTHS_SHORT[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d}"
    )


def _when_short(local: datetime) -> str:
    return f"{local.day} {MONTHS_SHORT[local.month - 1]}, {local.hour:02d}:{local.minute:02d}"


def _iso(local: datetime) -> str:
    return local.isoformat(timespec="minutes")


def when(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """'Tue 3 Mar 2026, 21:40'."""
    return "" if moment is None else _when(_local(moment, zone))


def when_short(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """'3 Mar, 21:40'."""
    return "" if moment is None else _when_short(_local(moment, zone))


def iso(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """For <time datetime="...">: machine-readable, with the offset."""
    return "" if moment is None else _iso(_local(moment, zone))


def every_form(moment: datetime, zone: tzinfo | None = None) -> tuple[str, str, str]:
    """(iso, when, when_short) of one moment, put in the zone once: a list looks the zone up once for its rows."""
    local = _local(moment, zone)
    return _iso(local), _when(local), _when_short(local)


def date_format(value: date | datetime | None, pattern: str, zone: tzinfo | None = None) -> str:
    """Django's ``date`` filter: a datetime in the active zone (or ``zone``), formatted by ``pattern``."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = _local(value, zone)
    return dateformat.format(value, pattern)


def pluralize(count: Any, suffixes: str = "s") -> str:
    """Django's ``pluralize``: "s" by default; "y,ies" gives a singular and a plural ending."""
    singular, _, plural = suffixes.rpartition(",") if "," in suffixes else ("", "", suffixes)
    try:
        number = len(count) if isinstance(count, Sized) and not isinstance(count, str) else float(count)
    except (TypeError, ValueError):
        return ""
    return singular if number == 1 else plural


def yesno(value: Any, choices: str = "yes,no") -> str:
    """Django's ``yesno`` with two choices: the first when true."""
    yes, _, no = choices.partition(",")
    return yes if value else no


def capfirst(value: Any) -> str:
    text = "" if value is None else str(value)
    return text[:1].upper() + text[1:]


def linebreaksbr(value: Any) -> SafeString:
    """Line breaks as <br>, the text escaped first (Django's filter with autoescape on)."""
    return django_linebreaksbr(value, autoescape=True)


def linebreaks(value: Any) -> SafeString:
    """Paragraphs and <br>, the text escaped first."""
    return django_linebreaks(value, autoescape=True)


def urlize(value: Any) -> SafeString:
    """Web addresses as links (rel="nofollow"), the rest escaped."""
    return django_urlize(value, autoescape=True)


def urlencode(value: Any) -> str:
    """Django's ``urlencode``: quoted for a query, "/" kept."""
    return quote(str(value), safe="/")


def truncatechars(value: Any, length: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= length else text[: max(length - 1, 0)] + "…"


FILTERS: dict[str, Any] = {
    "when": when,
    "when_short": when_short,
    "iso": iso,
    "date": date_format,
    "pluralize": pluralize,
    "yesno": yesno,
    "capfirst": capfirst,
    "linebreaksbr": linebreaksbr,
    "linebreaks": linebreaks,
    "urlize": urlize,
    "urlencode": urlencode,
    "truncatechars": truncatechars,
}
