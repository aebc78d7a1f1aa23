"""The mood chart: how a client felt over a range of days, laid out for server-rendered SVG.

Three views of one list of entries, all computed here in plain Python so the
template only prints numbers and strings (the CSP forbids chart scripts, and
the geometry can be tested without a browser):

- a daily mood line: each entry's intensity signed by its feeling's valence
  (portal.domain.VOCABULARY), averaged per local day, with every entry drawn as
  a point whose colour AND shape name its feeling (a legend says which);
- how often each feeling appeared (bars, labelled with the word and the count);
- a month calendar where each day shows that day's mood as a number and a tint.

Pure: no DynamoDB, no clock, no request. The caller fetches the entries (one
Query for the range) and passes them in, so the client's chart page, the
therapist's view of a client and a "since last session" panel share it.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

from portal.domain import FEELING_BY_NAME, FEELINGS, JournalEntry, MoodReading, feeling_valence, mood_value
from portal.timeutil import MONTHS, MONTHS_SHORT, WEEKDAYS_SHORT

# --- geometry, in viewBox units ------------------------------------------------
# The SVG carries only a viewBox, so the browser scales it to the width it is
# given. 320 units is about the chart's width inside a card on a small phone,
# so one unit stays close to one CSS pixel and the 12-unit axis text stays legible.
WIDTH = 320
HEIGHT = 220
# Room for the y tick labels on the left, the x tick labels below, and half a
# date label plus a point's radius on the right and top.
PLOT_LEFT = 34
PLOT_RIGHT = WIDTH - 24
PLOT_TOP = 14
PLOT_BOTTOM = HEIGHT - 36

# The mood scale: valence-signed intensity.
MOOD_MIN = -10.0
MOOD_MAX = 10.0
Y_TICK_VALUES: tuple[int, ...] = (-10, -5, 0, 5, 10)
# More date labels than this collide on a phone-width axis.
MAX_X_TICKS = 5
# A fitted change of the daily mood smaller than this, across the whole period,
# reads as "steady": one step on a 1-10 scale is within the noise of how people
# rate a feeling.
TREND_THRESHOLD = 1.0
# The half-width of a day's mark on the line, and an entry marker's radius.
DAY_MARK = 5.0
MARKER = 4.5

# Frequency bars: one row per feeling that appeared.
BAR_ROW = 24
BAR_LABEL_WIDTH = 76
BAR_LEFT = BAR_LABEL_WIDTH + 8
BAR_MAX = WIDTH - BAR_LEFT - 36  # room for the count after the longest bar
BAR_HEIGHT = 14

# A long range would print a wall of calendars; the most recent months tell the story.
MAX_CALENDAR_MONTHS = 3

EMPTY_SENTENCE = "No entries in this range yet."

# Each feeling's marker shape, so a feeling is told apart without its colour.
# Pleasant feelings have shapes pointing up or filled round, unpleasant ones
# pointing down or angular, in-between ones are hollow.
SHAPES: dict[str, str] = {
    "calm": "circle",
    "happy": "star",
    "grateful": "diamond",
    "hopeful": "triangle-up",
    "tired": "hollow-square",
    "numb": "hollow-circle",
    "sad": "triangle-down",
    "lonely": "plus",
    "anxious": "cross",
    "stressed": "square",
    "angry": "hexagon",
    "ashamed": "hourglass",
}
UNKNOWN_SHAPE = "hollow-diamond"



# What the chart reads of an entry: a journal entry, or just its reading (no note).
Felt = JournalEntry | MoodReading


# --- what the template prints ----------------------------------------------------
# What one chart is made of is built for that chart and read once by the tags that
# write it: plain classes with slots, quicker to make than frozen ones. What is
# remembered between charts (a calendar's cells, the axes' ticks, a feeling's look)
# is frozen, so nothing can change it for the next one.


@dataclass(slots=True)
class ChartPoint:
    """One journal entry, placed on the chart and labelled in the client's zone."""

    x: float
    y: float
    when: str  # "Tue 3 Mar, 21:40", local to the client
    when_iso: str  # local ISO-8601 with offset, for <time datetime="...">
    feeling: str
    intensity: int
    mood: float = 0.0
    marker: str = ""  # an SVG path "d" drawing the feeling's shape around (x, y)
    key: str = "other"  # the feeling as a CSS class suffix: a vocabulary word, else "other"
    hollow: bool = False
    # Worked out once here rather than at each read: the table and the tooltip both print them.
    mood_text: str = field(init=False)
    label: str = field(init=False)  # the point's tooltip (its SVG <title>)

    def __post_init__(self) -> None:
        self.mood_text = signed(self.mood)
        self.label = f"{self.when} — {self.feeling}, {self.intensity} (mood {self.mood_text})"


@dataclass(slots=True)
class DayMood:
    """One local day with entries: its average mood, placed on the line."""

    day: date
    label: str  # "Tue 3 Mar"
    count: int
    mood: float
    x: float = 0.0
    y: float = 0.0
    # Worked out once here rather than at each read by the drawing and the table.
    iso: str = field(init=False)
    mood_text: str = field(init=False)
    left: float = field(init=False)  # the day's mark on the line, from left to right
    right: float = field(init=False)

    def __post_init__(self) -> None:
        self.iso = self.day.isoformat()
        self.mood_text = signed(self.mood)
        self.left = round(self.x - DAY_MARK, 1)
        self.right = round(self.x + DAY_MARK, 1)


@dataclass(slots=True)
class LegendItem:
    feeling: str
    key: str
    valence: str
    marker: str  # drawn around (0, 0) in a small viewBox of its own
    hollow: bool
    count: int


@dataclass(slots=True)
class FrequencyBar:
    feeling: str
    key: str
    valence: str
    count: int
    y: float  # the row's top
    width: float
    text_y: float = field(init=False)
    count_x: float = field(init=False)

    def __post_init__(self) -> None:
        self.text_y = self.y + BAR_HEIGHT / 2
        self.count_x = BAR_LEFT + self.width + 6


@dataclass(frozen=True)
class CalendarDay:
    day: int
    iso: str
    in_range: bool
    count: int = 0
    mood: float | None = None
    bucket: str = "none"  # "very-low" | "low" | "mixed" | "good" | "very-good" | "none"
    mood_words: str = ""  # "quite pleasant", for the cell's hidden text
    # What the cell prints, worked out once per cell rather than per read: its classes,
    # its mood as a number ("" without entries) and what only a screen reader hears after the
    # day's number (", pleasant, 3 entries"; ", no entries"; "" outside the range).
    css: str = "mood-day mood-none"
    mood_text: str = ""
    hidden_text: str = ""


@dataclass(slots=True)
class CalendarMonth:
    title: str  # "March 2026"
    weeks: Sequence[Sequence[CalendarDay | None]]  # Monday first; None pads days of other months
    # (year, month, first day, last day of the range): everything the cells of a day
    # without entries depend on, so a writer may reuse what it wrote for them.
    days_key: tuple[int, int, date, date] | None = None
    # The month's weeks as they are without entries. A week of `weeks` with no entries
    # is the very tuple here, and `weeks` is this tuple when no day has entries.
    plain_weeks: tuple[tuple[CalendarDay | None, ...], ...] = ()

    @property
    def has_entries(self) -> bool:
        return self.weeks is not self.plain_weeks


@dataclass(frozen=True)
class YTick:
    value: int
    y: float

    @property
    def label(self) -> str:
        return signed(self.value)


@dataclass(frozen=True)
class XTick:
    x: float
    label: str  # "3 Mar" (with the year when the range spans years)
    iso_date: str  # the local date, "2026-03-03"


@dataclass(slots=True)
class MoodChart:
    title: str
    description: str  # for screen readers: count, days, mood range and average, trend, most frequent
    y_ticks: Sequence[YTick]
    points: list[ChartPoint] = field(default_factory=list)
    days: list[DayMood] = field(default_factory=list)
    polyline: str = ""  # the daily means, "x1,y1 x2,y2 ...", day order
    x_ticks: tuple[XTick, ...] = ()
    # The range is whole local days: its axis depends on the days alone, never on an entry.
    whole_days: bool = False
    legend: list[LegendItem] = field(default_factory=list)
    bars: list[FrequencyBar] = field(default_factory=list)
    bars_description: str = ""
    months: list[CalendarMonth] = field(default_factory=list)
    months_cut: bool = False  # the range had more months than the calendar shows
    # The numbers behind the description, for callers that want them bare.
    count: int = 0
    lowest: float | None = None  # of the daily means
    highest: float | None = None
    average: float | None = None  # of the daily means
    trend: str | None = None  # "rising" | "falling" | "steady"; None below two days
    # The drawing's fixed geometry, for the template.
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_BOTTOM
    bar_left: int = BAR_LEFT
    bar_label_right: int = BAR_LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def empty(self) -> bool:
        return not self.points

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def zero_y(self) -> float:
        return _y(0)

    @property
    def bars_height(self) -> int:
        return len(self.bars) * BAR_ROW + 4

    @property
    def bars_view_box(self) -> str:
        return f"0 0 {self.width} {self.bars_height}"


def signed(value: float) -> str:
    """'+4', '−3.5', '0': one decimal at most, a real minus sign (read aloud as "minus")."""
    rounded = round(value, 1)
    if rounded == 0:
        return "0"
    text = f"{abs(rounded):.1f}".removesuffix(".0")
    return f"+{text}" if rounded > 0 else f"\u2212{text}"


def mood_words(value: float) -> str:
    """The daily mood in words: the same five bands the calendar tints."""
    return _BUCKET_WORDS[_bucket(value)]


# --- building it -------------------------------------------------------------------

# The chart's range when the filter leaves its start open: this many days before its last day.
DAYS_SHOWN = 30


def chart_range(
    *, start: datetime | None, end: datetime | None, now: datetime, time_zone: str
) -> tuple[datetime, datetime]:
    """The range a chart shows when the filter leaves either end open: whole local days.

    No end means up to the end of today; no start, from the first moment of the day
    `DAYS_SHOWN` days before the last one. These are the days the title names, and
    a filter's own dates (JournalFilterForm.bounds) are whole days too, so a chart
    draws the same axis for the same days all day long rather than one that moves
    every minute.
    """
    zone = ZoneInfo(time_zone)
    if end is None:
        end = _end_of_day(now.astimezone(zone).date(), zone)
    if start is None:
        start = datetime.combine(end.astimezone(zone).date() - timedelta(days=DAYS_SHOWN), time(0), tzinfo=zone)
    return start, end


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    # The last microsecond of the local day, as JournalFilterForm.bounds gives it.
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) - timedelta(microseconds=1)


def mood_chart(
    *,
    entries: Sequence[Felt],
    time_zone: str,
    start: datetime | None,
    end: datetime | None,
    feeling: str | None,
) -> MoodChart:
    """Lay out `entries` as a daily mood line, feeling frequencies and a month calendar.

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
    # Every place on the axis is time elapsed from its start, as the entries' UTC times give it:
    # two times in one zone subtract as wall-clock times, an hour out across a change of clocks.
    first = first.astimezone(UTC) if first is not None else None
    last = last.astimezone(UTC) if last is not None else None

    whole_days = first is not None and last is not None and _whole_days(first, last, zone)
    # A title of whole days names only them and the feeling chosen: it is remembered for them.
    title = (_title_of_whole_days if whole_days else _title)(feeling, first, last, zone)
    y_ticks = _Y_TICKS
    if not kept:
        return MoodChart(title=title, description=EMPTY_SENTENCE, y_ticks=y_ticks)
    assert first is not None and last is not None  # kept is not empty

    # One pass over the entries: each one's point, and what its day and its feeling add up to.
    points = []
    moods_by_day: dict[date, list[float]] = {}
    counts: dict[str, int] = {}
    for entry in kept:
        local = entry.time_of_emotion.astimezone(zone)
        mood = mood_value(entry.feeling, entry.intensity)
        points.append(_point(entry, local, mood, first, last))
        moods_by_day.setdefault(local.date(), []).append(mood)
        counts[entry.feeling] = counts.get(entry.feeling, 0) + 1
    days = _days(moods_by_day, first, last, zone)
    means = [day.mood for day in days]
    legend, bars = _legend(counts), _bars(counts)
    months, cut = _calendar(days, first.astimezone(zone).date(), last.astimezone(zone).date())
    trend = _trend(days)
    average = sum(means) / len(means)
    return MoodChart(
        title=title,
        description=_description(len(kept), days, average, trend, bars),
        points=points,
        days=days,
        polyline=" ".join(f"{_num(day.x)},{_num(day.y)}" for day in days),
        y_ticks=y_ticks,
        x_ticks=_x_ticks(first, last, zone, whole_days),
        whole_days=whole_days,
        legend=legend,
        bars=bars,
        bars_description=_bars_description(bars),
        months=months,
        months_cut=cut,
        count=len(kept),
        lowest=min(means),
        highest=max(means),
        average=average,
        trend=trend,
    )


def _point(entry: Felt, local: datetime, mood: float, first: datetime, last: datetime) -> ChartPoint:
    """The entry placed on the chart: `local` is its time in the client's zone, `mood` its signed intensity."""
    x, y = _x(entry.time_of_emotion, first, last), _y(mood)
    look = _look(entry.feeling)
    return ChartPoint(
        x=x,
        y=y,
        when=_when(local),
        when_iso=local.isoformat(timespec="minutes"),
        feeling=entry.feeling,
        intensity=entry.intensity,
        mood=mood,
        marker=marker_path(look.shape, x, y, MARKER),
        key=look.key,
        hollow=look.hollow,
    )


@dataclass(frozen=True)
class _Look:
    """How a feeling is drawn: the same on every chart."""

    shape: str
    key: str
    hollow: bool
    valence: str
    legend_marker: str


@lru_cache(maxsize=128)
def _look(feeling: str) -> _Look:
    shape = _shape(feeling)
    return _Look(
        shape=shape,
        key=_key(feeling),
        hollow=shape.startswith("hollow-"),
        valence=feeling_valence(feeling).value,
        legend_marker=marker_path(shape, 0, 0, MARKER),
    )


def _days(moods_by_day: dict[date, list[float]], first: datetime, last: datetime, zone: ZoneInfo) -> list[DayMood]:
    """Each local day's mean mood, drawn at the day's local noon (kept inside the axis)."""
    days = []
    for day in sorted(moods_by_day):
        values = moods_by_day[day]
        mean = sum(values) / len(values)
        noon = min(max(datetime.combine(day, time(12), tzinfo=zone), first), last)
        days.append(
            DayMood(
                day=day,
                label=f"{WEEKDAYS_SHORT[day.weekday()]} {day.day} {MONTHS_SHORT[day.month - 1]}",
                count=len(values),
                mood=mean,
                x=_x(noon, first, last),
                y=_y(mean),
            )
        )
    return days


def _legend(counts: dict[str, int]) -> list[LegendItem]:
    # The vocabulary's order (pleasant first), then any retired word, so the legend reads the same every time.
    order = [name for name in FEELINGS if name in counts] + sorted(name for name in counts if name not in FEELINGS)
    items = []
    for name in order:
        look = _look(name)
        items.append(
            LegendItem(
                feeling=name,
                key=look.key,
                valence=look.valence,
                marker=look.legend_marker,
                hollow=look.hollow,
                count=counts[name],
            )
        )
    return items


_VOCABULARY_RANK = {name: rank for rank, name in enumerate(FEELINGS)}


def _bars(counts: dict[str, int]) -> list[FrequencyBar]:
    most = max(counts.values())
    # Most frequent first; ties in the vocabulary's order.
    ranked = sorted(counts, key=lambda name: (-counts[name], _VOCABULARY_RANK.get(name, len(FEELINGS)), name))
    return [
        FrequencyBar(
            feeling=name,
            key=_look(name).key,
            valence=_look(name).valence,
            count=counts[name],
            y=2 + row * BAR_ROW,
            width=round(max(2.0, counts[name] / most * BAR_MAX), 1),
        )
        for row, name in enumerate(ranked)
    ]


def _calendar(days: Sequence[DayMood], first_day: date, last_day: date) -> tuple[list[CalendarMonth], bool]:
    months: list[tuple[int, int]] = []
    year, month = first_day.year, first_day.month
    while (year, month) <= (last_day.year, last_day.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    cut = len(months) > MAX_CALENDAR_MONTHS
    shown = []
    for year, month in months[-MAX_CALENDAR_MONTHS:]:
        # The month as it is without entries; only the weeks with entries are made anew.
        plain = _month_without_entries(year, month, first_day, last_day)
        moods = {day.day.day: day for day in days if day.day.year == year and day.day.month == month}
        weeks: Sequence[Sequence[CalendarDay | None]] = plain
        if moods:
            changed = list(plain)
            week_of = _week_of_day(year, month)
            for number in {week_of[day] for day in moods}:
                changed[number] = tuple(
                    cell if cell is None or cell.day not in moods else _day_with_entries(cell, moods[cell.day])
                    for cell in plain[number]
                )
            weeks = tuple(changed)
        shown.append(
            CalendarMonth(
                title=f"{MONTHS[month - 1]} {year}",
                weeks=weeks,
                days_key=(year, month, first_day, last_day),
                plain_weeks=plain,
            )
        )
    return shown, cut


def _day_with_entries(cell: CalendarDay, mood: DayMood) -> CalendarDay:
    bucket = _bucket(mood.mood)
    return CalendarDay(
        day=cell.day,
        iso=cell.iso,
        in_range=cell.in_range,
        count=mood.count,
        mood=mood.mood,
        bucket=bucket,
        mood_words=_BUCKET_WORDS[bucket],
        css=_cell_css(bucket, cell.in_range),
        mood_text=mood.mood_text,
        hidden_text=f", {_BUCKET_WORDS[bucket]}, {_plural(mood.count, 'entry')}",
    )


def _cell_css(bucket: str, in_range: bool) -> str:
    return f"mood-day mood-{bucket}" if in_range else f"mood-day mood-{bucket} out-of-range"


# Most of a calendar's cells are days without entries, the same for every chart
# of the same days: a month's cells are worked out once per month and range, not
# once per cell of every chart.
@lru_cache(maxsize=64)
def _month_weeks(year: int, month: int) -> tuple[tuple[date | None, ...], ...]:
    """The month's weeks, Monday first, with None for the days of the months around it."""
    return tuple(
        tuple(day if day.month == month else None for day in week)
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    )


@lru_cache(maxsize=64)
def _week_of_day(year: int, month: int) -> Mapping[int, int]:
    """Which of the month's weeks (counted from 0) each of its days falls in."""
    return MappingProxyType(
        {day.day: number for number, week in enumerate(_month_weeks(year, month)) for day in week if day is not None}
    )


@lru_cache(maxsize=64)
def _month_without_entries(
    year: int, month: int, first_day: date, last_day: date
) -> tuple[tuple[CalendarDay | None, ...], ...]:
    """The month's cells when no day has entries: the same for every chart of the same days."""
    return tuple(
        tuple(
            None
            if day is None
            else CalendarDay(
                day=day.day,
                iso=day.isoformat(),
                in_range=first_day <= day <= last_day,
                css=_cell_css("none", first_day <= day <= last_day),
                hidden_text=", no entries" if first_day <= day <= last_day else "",
            )
            for day in week
        )
        for week in _month_weeks(year, month)
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


def _y(mood: float) -> float:
    # SVG's y grows downwards: the most pleasant mood maps to the top of the plot.
    # Clamped so a stray out-of-range value still draws inside the axes
    # (its label keeps the real number).
    clamped = min(max(mood, MOOD_MIN), MOOD_MAX)
    fraction = (clamped - MOOD_MIN) / (MOOD_MAX - MOOD_MIN)
    return round(PLOT_BOTTOM - fraction * (PLOT_BOTTOM - PLOT_TOP), 1)


# The same for every chart.
_Y_TICKS = tuple(YTick(value=value, y=_y(value)) for value in Y_TICK_VALUES)


def _num(value: float) -> str:
    # "36" rather than "36.0": shorter markup, and never a locale's decimal comma.
    return f"{value:.1f}".removesuffix(".0")


def _key(feeling: str) -> str:
    return feeling if feeling in FEELING_BY_NAME else "other"


def _shape(feeling: str) -> str:
    return SHAPES.get(feeling, UNKNOWN_SHAPE)


def marker_path(shape: str, x: float, y: float, r: float) -> str:
    """An SVG path drawing `shape` centred on (x, y), about 2r across.

    Only the first corner is absolute; the outline goes on from it in relative
    steps, which are the same for every marker of a shape and size and so are
    written once per process. A chart of a month's entries draws many markers.
    """
    (dx, dy), outline = _outline(shape, r)
    return f"M{_num(x + dx)} {_num(y + dy)}{outline}"


@lru_cache(maxsize=64)
def _outline(shape: str, r: float) -> tuple[tuple[float, float], str]:
    """Where a marker starts (from its centre), and its outline from there in relative steps."""
    if shape in ("circle", "hollow-circle"):
        return (-r, 0.0), f"a{_num(r)} {_num(r)} 0 1 0 {_num(2 * r)} 0a{_num(r)} {_num(r)} 0 1 0 {_num(-2 * r)} 0Z"
    corners = _corners(shape, r)
    # Two decimals: over a dozen steps the outline drifts less than a tenth of a unit.
    steps = "".join(
        f"l{_step(bx - ax)} {_step(by - ay)}" for (ax, ay), (bx, by) in zip(corners, corners[1:], strict=False)
    )
    return corners[0], f"{steps}Z"


def _step(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").removesuffix(".")
    return "0" if text in ("", "-0") else text


@lru_cache(maxsize=64)
def _corners(shape: str, r: float) -> tuple[tuple[float, float], ...]:
    """A polygon marker's corners as offsets from its centre: worked out once per shape and size, not per
    point (the trigonometry was most of drawing a chart). x + (-d) is x - d exactly, so the path is the same."""
    if shape in ("square", "hollow-square"):
        s = r * 0.85
        return ((-s, -s), (s, -s), (s, s), (-s, s))
    if shape in ("diamond", "hollow-diamond"):
        return ((0, -(r * 1.2)), (r, 0), (0, r * 1.2), (-r, 0))
    if shape == "triangle-up":
        return ((0, -(r * 1.15)), (r * 1.1, r * 0.8), (-(r * 1.1), r * 0.8))
    if shape == "triangle-down":
        return ((0, r * 1.15), (r * 1.1, -(r * 0.8)), (-(r * 1.1), -(r * 0.8)))
    if shape == "hourglass":
        return ((-r, -r), (r, -r), (-r, r), (r, r))
    if shape == "hexagon":
        return tuple((r * math.cos(a), r * math.sin(a)) for a in (k * math.pi / 3 for k in range(6)))
    if shape == "star":
        outer, inner = r * 1.25, r * 0.55
        return tuple(
            (
                (outer if k % 2 == 0 else inner) * math.sin(k * math.pi / 5),
                -((outer if k % 2 == 0 else inner) * math.cos(k * math.pi / 5)),
            )
            for k in range(10)
        )
    if shape in ("plus", "cross"):
        w = r * 0.38
        arms = [(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w), (-r, w), (-r, -w), (-w, -w)]
        if shape == "cross":
            c = math.cos(math.pi / 4)
            arms = [((dx - dy) * c, (dx + dy) * c) for dx, dy in arms]
        return tuple(arms)
    raise ValueError(f"unknown marker shape {shape!r}")


_END_OF_DAY = time(23, 59, 59, 999999)


def _whole_days(first: datetime, last: datetime, zone: ZoneInfo) -> bool:
    """Whether the range runs from a local midnight to the last moment of a local day
    (every chart of a filter's dates or of chart_range's): then its axis is the same
    for everyone who looks at those days in that zone."""
    return first.astimezone(zone).time() == time(0) and last.astimezone(zone).time() == _END_OF_DAY


def _x_ticks(first: datetime, last: datetime, zone: ZoneInfo, whole_days: bool | None = None) -> tuple[XTick, ...]:
    """A few local dates along the x axis, at local midnight."""
    if _whole_days(first, last, zone) if whole_days is None else whole_days:
        return _whole_day_ticks(first, last, zone)
    return _ticks(first, last, zone)


@lru_cache(maxsize=256)
def _whole_day_ticks(first: datetime, last: datetime, zone: ZoneInfo) -> tuple[XTick, ...]:
    # Only ever called with a range of whole local days: the key holds no entry's time.
    return _ticks(first, last, zone)


def _ticks(first: datetime, last: datetime, zone: ZoneInfo) -> tuple[XTick, ...]:
    first_local, last_local = first.astimezone(zone), last.astimezone(zone)
    with_year = first_local.year != last_local.year
    if first == last:
        # A single instant: one label under the centred point.
        day = first_local.date()
        return (XTick(x=_x(first, first, last), label=_date_short(day, with_year), iso_date=day.isoformat()),)

    first_day = first_local.date()
    starts_after_midnight = datetime.combine(first_day, time(0), tzinfo=zone) < first
    ticks = _tick_days(first_day, starts_after_midnight, last_local.date(), with_year)
    if not ticks:
        # The range sits inside one local day: label where it starts.
        return (XTick(x=_x(first, first, last), label=_date_short(first_day, with_year), iso_date=first_day.isoformat()),)
    # Each midnight in the zone itself: across a change of clocks, an axis in local
    # time places it as the points' own local times are placed.
    return tuple(
        XTick(x=_x(datetime.combine(day, time(0), tzinfo=zone), first, last), label=label, iso_date=iso)
        for day, label, iso in ticks
    )


@lru_cache(maxsize=256)
def _tick_days(first_day: date, starts_after_midnight: bool, last_day: date, with_year: bool) -> tuple[tuple[date, str, str], ...]:
    """The days whose midnights are labelled on the axis, with their labels and ISO dates.

    Every chart of the same days has the same ones: worked out once per range of
    days, and only placed along the axis per chart.
    """
    # The local midnights inside the range are every day from the first whole day to
    # the last: counted, not walked, so a range of years costs no more than a week.
    if starts_after_midnight:
        first_day += timedelta(days=1)
    count = (last_day - first_day).days + 1
    if count <= 0:
        return ()
    # Years make labels wider, so fewer of them fit.
    limit = MAX_X_TICKS - 1 if with_year else MAX_X_TICKS
    step = -(-count // limit)  # ceiling division
    days = [first_day + timedelta(days=offset) for offset in range(0, count, step)]
    return tuple((day, _date_short(day, with_year), day.isoformat()) for day in days)


# --- words ---------------------------------------------------------------------

_BUCKET_WORDS = {
    "very-low": "very unpleasant",
    "low": "unpleasant",
    "mixed": "mixed or neutral",
    "good": "pleasant",
    "very-good": "very pleasant",
}


def _bucket(value: float) -> str:
    if value <= -6:
        return "very-low"
    if value <= -2:
        return "low"
    if value < 2:
        return "mixed"
    if value < 6:
        return "good"
    return "very-good"


def _when(local: datetime) -> str:
    # The hour and minute by hand: strftime costs more than the rest of a point.
    return f"{WEEKDAYS_SHORT[local.weekday()]} {local.day} {MONTHS_SHORT[local.month - 1]}, {local.hour:02}:{local.minute:02}"


def _date_short(day: date, with_year: bool) -> str:
    text = f"{day.day} {MONTHS_SHORT[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def _date_long(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _date_range(first: date, last: date) -> str:
    """ "1 to 14 March 2026": say the month and year once when they are shared."""
    if first == last:
        return _date_long(first)
    if first.year != last.year:
        return f"{_date_long(first)} to {_date_long(last)}"
    if first.month != last.month:
        return f"{first.day} {MONTHS[first.month - 1]} to {_date_long(last)}"
    return f"{first.day} to {_date_long(last)}"


def _title(feeling: str | None, first: datetime | None, last: datetime | None, zone: ZoneInfo) -> str:
    subject = f"Mood from feeling {feeling}" if feeling else "Mood"
    if first is not None and last is not None:
        return f"{subject}, {_date_range(first.astimezone(zone).date(), last.astimezone(zone).date())}"
    if first is not None:
        return f"{subject}, from {_date_long(first.astimezone(zone).date())}"
    if last is not None:
        return f"{subject}, up to {_date_long(last.astimezone(zone).date())}"
    return subject


_title_of_whole_days = lru_cache(maxsize=256)(_title)


def _trend(days: Sequence[DayMood]) -> str | None:
    """Rising, falling or steady, from a least-squares line of the daily mood against the day.

    A fitted line, not first-versus-last, so one unusual day at either end
    does not decide the story told to the reader.
    """
    if len(days) < 2:
        return None
    origin = days[0].day
    xs = [float((day.day - origin).days) for day in days]
    ys = [day.mood for day in days]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    change = slope * (xs[-1] - xs[0])
    if change >= TREND_THRESHOLD:
        return "rising"
    if change <= -TREND_THRESHOLD:
        return "falling"
    return "steady"


_TREND_WORDS = {
    "rising": "getting more pleasant over the period",
    "falling": "getting less pleasant over the period",
    "steady": "staying about level over the period",
}


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"1 {word}"
    return f"{count} {word[:-1]}ies" if word.endswith("y") else f"{count} {word}s"


def _description(
    count: int, days: Sequence[DayMood], average: float, trend: str | None, bars: Sequence[FrequencyBar]
) -> str:
    scale = "Mood runs from \u221210, the most unpleasant, to +10, the most pleasant."
    most = ", ".join(f"{bar.feeling} ({bar.count})" for bar in bars[:3])
    if len(days) == 1:
        day = days[0]
        return (
            f"{_plural(count, 'entry')} on 1 day, {day.label}: mood {signed(day.mood)}, {mood_words(day.mood)}. "
            f"{scale} Most often: {most}."
        )
    means = [day.mood for day in days]
    return (
        f"{_plural(count, 'entry')} on {len(days)} days. Daily mood from {signed(min(means))} to "
        f"{signed(max(means))}, average {signed(average)}, {_TREND_WORDS[trend or 'steady']}. "
        f"{scale} Most often: {most}."
    )


def _bars_description(bars: Sequence[FrequencyBar]) -> str:
    return "; ".join(f"{bar.feeling}: {_plural(bar.count, 'time')}" for bar in bars) + "."
