"""{% entry_fields %} writes the journal entry form as the template it replaced did (tests/unit/reference/)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from django.template import Context, Engine
from django.utils import timezone

from portal.forms.journal import JournalEntryForm, NewJournalEntryForm
from portal.templatetags.entry_fields import entry_fields

REFERENCE = Path(__file__).parent / "reference" / "entry_fields.html"


def _with_error(form: NewJournalEntryForm) -> NewJournalEntryForm:
    form.is_valid()
    form.add_error(None, "Something about the <whole> form.")
    return form


FORMS: dict[str, Callable[[], JournalEntryForm]] = {
    "new": lambda: NewJournalEntryForm(),
    "new-mistyped": lambda: NewJournalEntryForm(
        data={"intensity": "11", "note": "<i>kept</i>\nline", "time_of_emotion": "yesterday", "idempotency_key": "k" * 26}
    ),
    "new-with-time": lambda: NewJournalEntryForm(
        data={"feeling": "calm", "intensity": "4", "time_of_emotion": "2026-03-04T21:40", "idempotency_key": "k" * 26}
    ),
    "new-non-field-error": lambda: _with_error(
        NewJournalEntryForm(data={"feeling": "sad", "intensity": "3", "idempotency_key": "k" * 26})
    ),
    "edit": lambda: JournalEntryForm(
        editing=True,
        initial={"feeling": "hopeful", "intensity": 7, "note": "a & b", "time_of_emotion": datetime(2026, 3, 4, 21, 40)},
    ),
    "edit-mistyped": lambda: JournalEntryForm(editing=True, data={"feeling": "nope", "time_of_emotion": ""}),
    # An edit in the list has ids of its own entry, so two open edits never share one.
    "edit-in-list": lambda: JournalEntryForm(
        editing=True, auto_id="entry-01A-%s", data={"feeling": "calm", "intensity": "0", "note": "x"}
    ),
}


def _normalized(html: str) -> str:
    # A run of whitespace reads as one space; where there was any, there must still be some.
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize("name", FORMS)
def test_it_writes_what_the_template_wrote(name: str) -> None:
    with timezone.override("Europe/Paris"):
        form = FORMS[name]()
        if form.is_bound:
            form.is_valid()
        expected = Engine.get_default().from_string(REFERENCE.read_text()).render(Context({"form": form}))
        assert _normalized(str(entry_fields(form))) == _normalized(expected)


def test_it_shows_what_was_typed_and_every_error_where_its_field_points() -> None:
    form = FORMS["new-mistyped"]()
    form.is_valid()
    html = str(entry_fields(form))
    assert "&lt;i&gt;kept&lt;/i&gt;" in html and "<i>" not in html
    for field in ("feeling", "intensity", "time_of_emotion"):
        assert f'id="id_{field}_error"' in html
    assert 'aria-describedby="id_feeling_error"' in html
    assert "<details class=\"when-field\" open>" in html


def test_it_refuses_another_form() -> None:
    from portal.forms.journal import JournalFilterForm

    with pytest.raises(TypeError):
        entry_fields(JournalFilterForm())
