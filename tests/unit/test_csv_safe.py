"""The one CSV writer: a text cell that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io

import pytest

from portal.services.csv_safe import SafeCsvWriter, safe_cell


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_with_a_formula_character_is_neutralised(start: str) -> None:
    assert safe_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


@pytest.mark.parametrize("value", ["", "calm", " =1", "a=b", "'=1", "100%", "2026-01-01T00:00:00Z"])
def test_other_text_is_left_as_it_is(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-3, 0, 2.5, True, None])
def test_numbers_and_flags_are_data_not_text(value: object) -> None:
    assert safe_cell(value) is value


def test_rows_are_csv_lines_with_every_cell_neutralised() -> None:
    writer = SafeCsvWriter()
    text = writer.row(["note", "intensity"]) + writer.dict_rows(
        ["note", "intensity"],
        [{"note": "=cmd|' /C calc'!A0", "intensity": -2, "ignored": "=1"}, {"note": 'said "hi",\nthen left'}],
    )

    assert list(csv.reader(io.StringIO(text))) == [
        ["note", "intensity"],
        ["'=cmd|' /C calc'!A0", "-2"],
        ['said "hi",\nthen left', ""],
    ]
