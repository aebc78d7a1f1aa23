"""The one CSV writer for every CSV file the product makes.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula, and some also after a leading tab or carriage return. The files
we write mix people's text (a therapist's message lands in the client's
``messages.csv``), so one person could plant ``=HYPERLINK(...)`` that runs on
the other's machine. Every text cell that starts with one of those characters
is written with a leading apostrophe, which spreadsheets show as plain text.

Numbers, booleans and empty cells are written as they are: a negative number
is data, not a formula, and they never carry anyone's text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet will show it without running it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """A file whose ``write`` returns what it was given: csv.writer then returns the line."""

    def write(self, value: str) -> str:
        return value


class SafeCsvWriter:
    """Formats rows as CSV text, neutralising every cell; the caller sends or stores the text.

    Returning text (not writing to a file) lets a streamed response or a ZIP
    member yield each line or page as it is made, so memory stays flat.
    """

    def __init__(self) -> None:
        self._writer = csv.writer(_Echo())

    def row(self, values: Iterable[object]) -> str:
        """One line of CSV text (with its line ending)."""
        line: str = self._writer.writerow([safe_cell(value) for value in values])
        return line

    def dict_rows(self, header: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
        """The lines of ``rows`` in ``header``'s order; a missing key is an empty cell, extra keys are left out."""
        return "".join(self.row(row.get(name, "") for name in header) for row in rows)
