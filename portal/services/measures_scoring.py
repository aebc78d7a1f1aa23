"""The PHQ-9 and GAD-7: their published wording, totals, bands and meaningful change.

The wording is the published instruments' own, unaltered (English only: machine
translations are not validated). Every rule about a score lives here, so the
form, the result page, the therapist's history, the chart and the export agree.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from portal.domain_measures import MeasureKind


class IncompleteAnswers(ValueError):
    """An item was left blank or holds something other than 0-3: the measure is not scored."""


# The four answers of every item, worth 0 to 3.
ANSWER_LABELS: tuple[str, ...] = ("Not at all", "Several days", "More than half the days", "Nearly every day")
DIFFICULTY_LABELS: tuple[str, ...] = (
    "Not difficult at all",
    "Somewhat difficult",
    "Very difficult",
    "Extremely difficult",
)
NOTICE = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, translate, "
    "display or distribute."
)

PHQ9_STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
PHQ9_ITEMS: tuple[str, ...] = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself \u2014 or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite \u2014 being so "
    "fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
PHQ9_DIFFICULTY = (
    "If you checked off any problems, how difficult have these problems made it for you to do your work, "
    "take care of things at home, or get along with other people?"
)
# The GAD-7's own published stem says "the following problems" (without "any of").
GAD7_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"
GAD7_ITEMS: tuple[str, ...] = (
    "Feeling nervous, anxious or on edge",
    "Not being able to stop worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)

# The PHQ-9 item about self-harm (its ninth, index 8): any answer above 0 starts the safety loop.
SELF_HARM_ITEM = 8


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str
    # What the band means, in plain words, for the client's result page.
    plain: str


@dataclass(frozen=True)
class Instrument:
    kind: MeasureKind
    name: str
    title: str
    stem: str
    items: tuple[str, ...]
    bands: tuple[Band, ...]
    # A change from the first score at least this large is meaningful (improvement or deterioration).
    meaningful_change: int
    loinc_total: str
    difficulty: str | None = None

    @property
    def max_total(self) -> int:
        return 3 * len(self.items)


PHQ9 = Instrument(
    kind=MeasureKind.PHQ9,
    name="PHQ-9",
    title="Mood questionnaire (PHQ-9)",
    stem=PHQ9_STEM,
    items=PHQ9_ITEMS,
    bands=(
        Band(0, 4, "minimal", "Minimal or no signs of depression."),
        Band(5, 9, "mild", "Mild signs of depression."),
        Band(10, 14, "moderate", "Moderate signs of depression."),
        Band(15, 19, "moderately severe", "Moderately severe signs of depression."),
        Band(20, 27, "severe", "Severe signs of depression."),
    ),
    meaningful_change=5,
    loinc_total="44261-6",
    difficulty=PHQ9_DIFFICULTY,
)

GAD7 = Instrument(
    kind=MeasureKind.GAD7,
    name="GAD-7",
    title="Anxiety questionnaire (GAD-7)",
    stem=GAD7_STEM,
    items=GAD7_ITEMS,
    bands=(
        Band(0, 4, "minimal", "Minimal or no signs of anxiety."),
        Band(5, 9, "mild", "Mild signs of anxiety."),
        Band(10, 14, "moderate", "Moderate signs of anxiety."),
        Band(15, 21, "severe", "Severe signs of anxiety."),
    ),
    meaningful_change=4,
    loinc_total="70274-6",
)

INSTRUMENTS: dict[MeasureKind, Instrument] = {PHQ9.kind: PHQ9, GAD7.kind: GAD7}


def instrument(kind: MeasureKind | str) -> Instrument:
    """The instrument of ``kind``; ValueError for anything else (a URL's value included)."""
    return INSTRUMENTS[MeasureKind(kind)]


def total(kind: MeasureKind | str, answers: Sequence[int | None]) -> int:
    """The sum of the item answers; IncompleteAnswers unless every item holds 0-3.

    The PHQ-9's difficulty question is not an item and never counts.
    """
    measure = instrument(kind)
    if len(answers) != len(measure.items):
        raise IncompleteAnswers(f"The {measure.name} has {len(measure.items)} questions.")
    missing = [n for n, value in enumerate(answers, start=1) if value is None]
    if missing:
        raise IncompleteAnswers(missing_sentence(missing))
    if any(not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 3 for v in answers):
        raise IncompleteAnswers("Each answer is one of the four choices.")
    return sum(int(v) for v in answers if v is not None)


def missing_sentence(missing: Sequence[int]) -> str:
    if len(missing) == 1:
        return f"Please answer question {missing[0]}: every question needs an answer."
    listed = ", ".join(str(n) for n in missing[:-1]) + f" and {missing[-1]}"
    return f"Please answer questions {listed}: every question needs an answer."


def missing_items(answers: Sequence[int | None]) -> list[int]:
    """The 1-based numbers of the items left blank."""
    return [n for n, value in enumerate(answers, start=1) if value is None]


def band(kind: MeasureKind | str, score: int) -> Band:
    measure = instrument(kind)
    for candidate in measure.bands:
        if candidate.low <= score <= candidate.high:
            return candidate
    raise ValueError(f"{score} is outside the {measure.name}'s 0-{measure.max_total}.")


class Change(enum.StrEnum):
    IMPROVEMENT = "improvement"
    DETERIORATION = "deterioration"
    NONE = "no meaningful change"


def change_since_first(kind: MeasureKind | str, first: int, latest: int) -> Change:
    """A drop by the instrument's threshold or more is improvement; a rise as large, deterioration."""
    threshold = instrument(kind).meaningful_change
    if first - latest >= threshold:
        return Change.IMPROVEMENT
    if latest - first >= threshold:
        return Change.DETERIORATION
    return Change.NONE


def needs_safety_follow_up(kind: MeasureKind | str, answers: Sequence[int | None]) -> bool:
    """PHQ-9 item 9 answered above "Not at all": the client is answered at once and the therapist alerted."""
    if MeasureKind(kind) is not MeasureKind.PHQ9 or len(answers) <= SELF_HARM_ITEM:
        return False
    value = answers[SELF_HARM_ITEM]
    return value is not None and value > 0
