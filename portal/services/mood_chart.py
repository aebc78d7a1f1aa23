"""The client's mood chart: journal intensity over time, laid out for a server-rendered SVG.

Everything is computed here, in plain Python, so the template only prints
numbers and strings: the page needs no chart script (the CSP forbids inline
ones anyway) and the geometry can be tested without a browser.

Pure: no DynamoDB, no clock, no request. The caller fetches the entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.domain import MAX_INTENSITY, MIN_INTENSITY, JournalEntry

# --- geometry, in viewBox units ------------------------------------------------
# The SVG carries only a viewBox, so the browser scales it to the width it is
# given. 320 units is about the chart's width inside a card on a small phone,
# so one unit stays close to one CSS pixel and the 12-unit axis text stays legible.
WIDTH = 320
HEIGHT = 200
# Room for the y tick labels on the left, the x tick labels below, and half a
# date label plus a point's radius on the right and top.
PLOT_LEFT = 32
PLOT_RIGHT = WIDTH - 24
PLOT_TOP = 16
PLOT_BOTTOM = HEIGHT - 36

Y_TICK_VALUES: tuple[int, ...] = (1, 5, 10)
# More date labels than this collide on a phone-width axis.
MAX_X_TICKS = 5
# A fitted change smaller than this, across the whole period, reads as "steady":
# one step on a 1-10 scale is within the noise of how people rate a feeling.
TREND_THRESHOLD = 1.0

EMPTY_SENTENCE = "No entries in this range yet."

# Our own names, not strftime's %a/%b/%B: those follow the process locale and
# the chart must read the same whatever the server's locale is.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class ChartPoint:
    """One journal entry, placed on the chart and labelled in the client's zone."""

    x: float
    y: float
    when: str  # "Tue 3 Mar, 21:40", local to the client
    when_iso: str  # local ISO-8601 with offset, for <time datetime="...">
    feeling: str
    intensity: int

    @property
    def label(self) -> str:
        """The point's tooltip (its SVG <title>)."""
        return f"{self.when} — {self.feeling}, {self.intensity}"


@dataclass(frozen=True)
class YTick:
    value: int
    y: float


@dataclass(frozen=True)
class XTick:
    x: float
    label: str  # "3 Mar" (with the year when the range spans years)
    iso_date: str  # the local date, "2026-03-03"


@dataclass(frozen=True)
class MoodChart:
    title: str
    description: str  # one sentence for screen readers: count, min/max/average, trend
    y_ticks: list[YTick]
    points: list[ChartPoint] = field(default_factory=list)
    polyline: str = ""  # "x1,y1 x2,y2 ...", time order
    x_ticks: list[XTick] = field(default_factory=list)
    # The numbers behind the description, for callers that want them bare.
    count: int = 0
    lowest: int | None = None
    highest: int | None = None
    average: float | None = None
    trend: str | None = None  # "rising" | "falling" | "steady"; None below two entries
    # The drawing's fixed geometry, for the template.
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_BOTTOM

    @property
    def empty(self) -> bool:
        return not self.points

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def mood_chart(
    *,
    entries: Sequence[JournalEntry],
    time_zone: str,
    start: datetime | None,
    end: datetime | None,
    feeling: str | None,
) -> MoodChart:
    """Lay out `entries` as a line chart of intensity over time.

    Entries outside [start, end] (both inclusive) or of another feeling than
    `feeling` are left out, so a caller that over-fetches cannot draw points
    outside the axes or under the wrong title. Times are shown in `time_zone`,
    which must be a zoneinfo key (the client's stored, validated zone).
    """
    zone = ZoneInfo(time_zone)
    for moment in (start, end, *(entry.time_of_emotion for entry in entries)):
        _require_aware(moment)
    if start is not None and end is not None and start > end:
        raise ValueError("the chart's start is after its end")

    kept = sorted(
        (
            entry
            for entry in entries
            if (feeling is None or entry.feeling == feeling)
            and (start is None or entry.time_of_emotion >= start)
            and (end is None or entry.time_of_emotion <= end)
        ),
        # The entry id (a ULID) breaks ties so equal times still draw in a stable order.
        key=lambda entry: (entry.time_of_emotion, entry.entry_id),
    )

    # The x axis runs from start to end when given, otherwise from the first to the last entry.
    first = start if start is not None else (kept[0].time_of_emotion if kept else None)
    last = end if end is not None else (kept[-1].time_of_emotion if kept else None)

    title = _title(feeling, first, last, zone)
    y_ticks = [YTick(value=value, y=_y(value)) for value in Y_TICK_VALUES]
    if not kept:
        return MoodChart(title=title, description=EMPTY_SENTENCE, y_ticks=y_ticks)
    assert first is not None and last is not None  # kept is not empty

    points = [
        ChartPoint(
            x=_x(entry.time_of_emotion, first, last),
            y=_y(entry.intensity),
            when=_when(entry.time_of_emotion.astimezone(zone)),
            when_iso=entry.time_of_emotion.astimezone(zone).isoformat(timespec="minutes"),
            feeling=entry.feeling,
            intensity=entry.intensity,
        )
        for entry in kept
    ]
    intensities = [entry.intensity for entry in kept]
    lowest, highest = min(intensities), max(intensities)
    average = sum(intensities) / len(intensities)
    trend = _trend(kept)
    return MoodChart(
        title=title,
        description=_description(len(kept), lowest, highest, average, trend),
        points=points,
        polyline=" ".join(f"{_num(point.x)},{_num(point.y)}" for point in points),
        y_ticks=y_ticks,
        x_ticks=_x_ticks(first, last, zone),
        count=len(kept),
        lowest=lowest,
        highest=highest,
        average=average,
        trend=trend,
    )


# --- mapping -------------------------------------------------------------------


def _require_aware(moment: datetime | None) -> None:
    # A naive time has no place on a chart read in another zone; refuse it
    # loudly, as portal.timeutil does, rather than guess UTC.
    if moment is not None and moment.tzinfo is None:
        raise ValueError("naive datetimes are refused: times must carry a zone")


def _x(moment: datetime, first: datetime, last: datetime) -> float:
    span = (last - first).total_seconds()
    if span <= 0:
        # One instant (a single entry, or all at the same minute): centre it
        # rather than pin it to an edge where it looks like a range boundary.
        return round((PLOT_LEFT + PLOT_RIGHT) / 2, 1)
    fraction = (moment - first).total_seconds() / span
    return round(PLOT_LEFT + fraction * (PLOT_RIGHT - PLOT_LEFT), 1)


def _y(intensity: int) -> float:
    # SVG's y grows downwards: MAX_INTENSITY maps to the top of the plot.
    # Clamped so a stray out-of-range value still draws inside the axes
    # (its label keeps the real number).
    clamped = min(max(intensity, MIN_INTENSITY), MAX_INTENSITY)
    fraction = (clamped - MIN_INTENSITY) / (MAX_INTENSITY - MIN_INTENSITY)
    return round(PLOT_BOTTOM - fraction * (PLOT_BOTTOM - PLOT_TOP), 1)


def _num(value: float) -> str:
    # "36" rather than "36.0": shorter markup, and never a locale's decimal comma.
    return f"{value:.1f}".removesuffix(".0")


def _x_ticks(first: datetime, last: datetime, zone: ZoneInfo) -> list[XTick]:
    """A few local dates along the x axis, at local midnight."""
    first_local, last_local = first.astimezone(zone), last.astimezone(zone)
    with_year = first_local.year != last_local.year
    if first == last:
        # A single instant: one label under the centred point.
        day = first_local.date()
        return [XTick(x=_x(first, first, last), label=_date_short(day, with_year), iso_date=day.isoformat())]

    midnights: list[tuple[date, datetime]] = []
    day = first_local.date()
    while day <= last_local.date():
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        if first <= midnight <= last:
            midnights.append((day, midnight))
        day += timedelta(days=1)
    if not midnights:
        # The range sits inside one local day: label where it starts.
        day = first_local.date()
        return [XTick(x=_x(first, first, last), label=_date_short(day, with_year), iso_date=day.isoformat())]

    # Years make labels wider, so fewer of them fit.
    limit = MAX_X_TICKS - 1 if with_year else MAX_X_TICKS
    step = -(-len(midnights) // limit)  # ceiling division
    return [
        XTick(x=_x(midnight, first, last), label=_date_short(day, with_year), iso_date=day.isoformat())
        for day, midnight in midnights[::step]
    ]


# --- words ---------------------------------------------------------------------


def _when(local: datetime) -> str:
    return f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS_SHORT[local.month - 1]}, {local:%H:%M}"


def _date_short(day: date, with_year: bool) -> str:
    text = f"{day.day} {_MONTHS_SHORT[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def _date_long(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _date_range(first: date, last: date) -> str:
    """"1 to 14 March 2026": say the month and year once when they are shared."""
    if first == last:
        return _date_long(first)
    if first.year != last.year:
        return f"{_date_long(first)} to {_date_long(last)}"
    if first.month != last.month:
        return f"{first.day} {_MONTHS[first.month - 1]} to {_date_long(last)}"
    return f"{first.day} to {_date_long(last)}"


def _title(feeling: str | None, first: datetime | None, last: datetime | None, zone: ZoneInfo) -> str:
    subject = f"Intensity of feeling {feeling}" if feeling else "Intensity of all feelings"
    if first is not None and last is not None:
        return f"{subject}, {_date_range(first.astimezone(zone).date(), last.astimezone(zone).date())}"
    if first is not None:
        return f"{subject}, from {_date_long(first.astimezone(zone).date())}"
    if last is not None:
        return f"{subject}, up to {_date_long(last.astimezone(zone).date())}"
    return subject


def _trend(entries: Sequence[JournalEntry]) -> str | None:
    """Rising, falling or steady, from a least-squares line of intensity against time.

    A fitted line, not first-versus-last, so one unusual entry at either end
    does not decide the story told to the reader.
    """
    if len(entries) < 2:
        return None
    origin = entries[0].time_of_emotion
    xs = [(entry.time_of_emotion - origin).total_seconds() for entry in entries]
    ys = [float(entry.intensity) for entry in entries]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return "steady"  # all at one instant: there is no "over time"
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    change = slope * (xs[-1] - xs[0])
    if change >= TREND_THRESHOLD:
        return "rising"
    if change <= -TREND_THRESHOLD:
        return "falling"
    return "steady"


_TREND_WORDS = {
    "rising": "rising over the period",
    "falling": "falling over the period",
    "steady": "staying about level over the period",
}


def _description(count: int, lowest: int, highest: int, average: float, trend: str | None) -> str:
    if count == 1:
        return f"1 entry, with intensity {lowest}."
    return (
        f"{count} entries: lowest intensity {lowest}, highest {highest}, "
        f"average {average:.1f}, {_TREND_WORDS[trend or 'steady']}."
    )
