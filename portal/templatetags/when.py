"""Dates for people, in the active time zone (the viewer's own, or one set with {% timezone %}).

Django's ``date`` filter goes through lazily translated month and day names
on every call, and strftime's %a/%b build a time tuple for each name; a
journal page formats dozens of times, and that cost showed as the page's
largest per-row expense. The product speaks English only, so the names come
from our own tables (portal.timeutil), the same text whatever the locale.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from django import template
from django.utils import timezone

from portal.timeutil import MONTHS_SHORT, WEEKDAYS_SHORT

register = template.Library()


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _when(local: datetime) -> str:
    return (
        f"{WEEKDAYS_SHORT[local.weekday()]} {local.day} {MONTHS_SHORT[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d}"
    )


def _when_short(local: datetime) -> str:
    return f"{local.day} {MONTHS_SHORT[local.month - 1]}, {local.hour:02d}:{local.minute:02d}"


def _iso(local: datetime) -> str:
    return local.isoformat(timespec="minutes")


@register.filter
def when(moment: datetime | None) -> str:
    """'Tue 3 Mar 2026, 21:40'."""
    return "" if moment is None else _when(_local(moment))


@register.filter
def when_short(moment: datetime | None) -> str:
    """'3 Mar, 21:40'."""
    return "" if moment is None else _when_short(_local(moment))


@register.filter
def iso(moment: datetime | None) -> str:
    """For <time datetime="...">: machine-readable, with the offset."""
    return "" if moment is None else _iso(_local(moment))


def every_form(moment: datetime, zone: tzinfo | None = None) -> tuple[str, str, str]:
    """(iso, when, when_short) of one moment, put in the time zone once (a lookup of the active zone each time
    otherwise, the larger part of formatting a row). A list passes ``zone``, the active zone it looked up once
    for all its rows."""
    local = moment.astimezone(zone) if zone is not None and timezone.is_aware(moment) else _local(moment)
    return _iso(local), _when(local), _when_short(local)
