"""Scoring of the PHQ-9 and GAD-7: totals, every band boundary, meaningful change, the self-harm item."""

from __future__ import annotations

import pytest

from portal.services import measures_scoring as scoring
from portal.services.measures_scoring import Change, IncompleteAnswers, MeasureKind


def _answers_summing_to(count: int, target: int) -> list[int]:
    answers = []
    for _ in range(count):
        step = min(3, target)
        answers.append(step)
        target -= step
    assert target == 0
    return answers


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_it_bands_the_phq9_at_each_boundary(score, label):
    answers = _answers_summing_to(9, score)
    assert scoring.total(MeasureKind.PHQ9, answers) == score
    assert scoring.band(MeasureKind.PHQ9, score).label == label


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_it_bands_the_gad7_at_each_boundary(score, label):
    answers = _answers_summing_to(7, score)
    assert scoring.total(MeasureKind.GAD7, answers) == score
    assert scoring.band(MeasureKind.GAD7, score).label == label


def test_it_refuses_a_score_outside_the_range():
    with pytest.raises(ValueError):
        scoring.band(MeasureKind.GAD7, 22)


def test_it_refuses_a_blank_item_naming_it():
    answers: list[int | None] = [1] * 9
    answers[3] = None
    with pytest.raises(IncompleteAnswers, match="question 4"):
        scoring.total(MeasureKind.PHQ9, answers)
    assert scoring.missing_items(answers) == [4]


def test_it_names_every_blank_item():
    with pytest.raises(IncompleteAnswers, match="questions 1, 2 and 7"):
        scoring.total(MeasureKind.GAD7, [None, None, 0, 0, 0, 0, None])


@pytest.mark.parametrize("bad", [4, -1, True])
def test_it_refuses_an_answer_outside_the_four_choices(bad):
    with pytest.raises(IncompleteAnswers):
        scoring.total(MeasureKind.GAD7, [bad, 0, 0, 0, 0, 0, 0])


def test_it_refuses_the_wrong_number_of_items():
    with pytest.raises(IncompleteAnswers):
        scoring.total(MeasureKind.PHQ9, [0] * 8)


@pytest.mark.parametrize(
    ("kind", "first", "latest", "expected"),
    [
        (MeasureKind.PHQ9, 15, 10, Change.IMPROVEMENT),
        (MeasureKind.PHQ9, 15, 11, Change.NONE),
        (MeasureKind.PHQ9, 10, 15, Change.DETERIORATION),
        (MeasureKind.PHQ9, 10, 14, Change.NONE),
        (MeasureKind.GAD7, 12, 8, Change.IMPROVEMENT),
        (MeasureKind.GAD7, 12, 9, Change.NONE),
        (MeasureKind.GAD7, 8, 12, Change.DETERIORATION),
        (MeasureKind.GAD7, 8, 11, Change.NONE),
    ],
)
def test_it_marks_meaningful_change_from_the_first_score(kind, first, latest, expected):
    assert scoring.change_since_first(kind, first, latest) is expected


def test_it_holds_the_published_wording():
    assert len(scoring.PHQ9.items) == 9 and len(scoring.GAD7.items) == 7
    assert (
        scoring.PHQ9.stem == "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert scoring.ANSWER_LABELS == ("Not at all", "Several days", "More than half the days", "Nearly every day")
    assert scoring.PHQ9.items[8] == "Thoughts that you would be better off dead or of hurting yourself in some way"
    assert scoring.NOTICE.startswith("Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke")
    assert scoring.NOTICE.endswith("No permission required to reproduce, translate, display or distribute.")
    assert (scoring.PHQ9.loinc_total, scoring.GAD7.loinc_total) == ("44261-6", "70274-6")


def test_the_difficulty_question_is_not_in_the_total():
    assert scoring.total(MeasureKind.PHQ9, [0] * 9) == 0
    assert scoring.PHQ9.difficulty and scoring.PHQ9.max_total == 27


@pytest.mark.parametrize(("item9", "expected"), [(0, False), (1, True), (3, True)])
def test_it_follows_up_any_answer_above_zero_on_item_nine(item9, expected):
    assert scoring.needs_safety_follow_up(MeasureKind.PHQ9, [0] * 8 + [item9]) is expected


def test_the_gad7_has_no_safety_item():
    assert scoring.needs_safety_follow_up(MeasureKind.GAD7, [3] * 7) is False
