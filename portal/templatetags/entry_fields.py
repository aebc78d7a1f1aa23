"""The journal entry form's fields, written in Python: ``{% entry_fields form %}``.

Built for a phone: the feeling as large radio chips grouped by valence, the
intensity as a 1-10 choice, "when" tucked away until changed. Every field error
has the id its field's aria-describedby points at ("<field id>_error").

The 28 chips were, as a template, a loop, a label and three lookups each: the
largest part of the journal page's own rendering after its entries. Django
still builds every radio (its id, value, checked state); only the writing is
here. ``tests/unit/test_entry_fields_markup.py`` holds it to the template it
replaced, kept beside that test, for new, edited and mistyped forms.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms, template
from django.forms import BoundField
from django.forms.boundfield import BoundWidget
from django.utils.safestring import SafeString

from portal.escaping import esc, safe
from portal.forms.journal import JournalEntryForm
from portal.forms.renderer import input_tag
from portal.templatetags.form_fields import blank_form_markup, field_errors, labelled_field, non_field_errors

register = template.Library()


def _described(field: BoundField) -> str:
    return f' aria-describedby="{esc(field.auto_id)}_error"' if field.errors else ""


def _chips(radios: Iterable[BoundWidget], label_class: str) -> str:
    return "".join(
        f'<label class="{label_class}" for="{esc(radio.data["attrs"].get("id"))}">'
        f'{input_tag(radio.data)} {esc(radio.data["label"])}</label>'
        for radio in radios
    )


def _feeling(form: JournalEntryForm) -> str:
    field = form["feeling"]
    auto_id = esc(field.auto_id)
    groups = "".join(
        f'\n  <div class="chip-group" role="group" aria-labelledby="{auto_id}-{esc(group.slug)}">'
        f'\n    <p class="chip-group-label" id="{auto_id}-{esc(group.slug)}">{esc(group.label)}</p>'
        f'\n    <div class="chips">{_chips(group.radios, f"chip valence-{esc(group.slug)}")}</div>'
        f"\n  </div>"
        for group in form.feeling_groups()
    )
    return (
        f'<fieldset class="chips-field"{_described(field)}>\n  <legend>{esc(field.label)}</legend>'
        f"\n  {field_errors(field)}{groups}\n</fieldset>"
    )


def _intensity(form: JournalEntryForm) -> str:
    field = form["intensity"]
    return (
        f'<fieldset class="chips-field"{_described(field)}>\n  <legend>{esc(field.label)}</legend>'
        f'\n  {field_errors(field)}\n  <div class="chips intensity-chips">{_chips(field, "chip number-chip")}</div>'
        f"\n</fieldset>"
    )


def _when(form: JournalEntryForm) -> str:
    field = form["time_of_emotion"]
    if form.editing:
        return f"<div>\n  {labelled_field(field)}\n</div>"
    help_text = (
        f'\n  <span class="helptext" id="{esc(field.auto_id)}_helptext">{esc(field.help_text)}</span>'
        if field.help_text
        else ""
    )
    return (
        f'<details class="when-field"{" open" if form.when_changed else ""}>'
        f'\n  <summary>When: <span class="when-summary">now</span> <span class="muted">(change)</span></summary>'
        f"\n  {labelled_field(field)}{help_text}\n</details>"
    )


def render_entry_fields(form: JournalEntryForm) -> SafeString:
    hidden = "".join(str(field) for field in form.hidden_fields())
    return safe(  # safe: every value is escaped; fields and inputs are written by the form renderer
        f"{non_field_errors(form)}\n{_feeling(form)}\n{_intensity(form)}\n<div>\n  {labelled_field(form['note'])}\n</div>\n"
        f"{_when(form)}\n{hidden}"
    )


@register.simple_tag
def entry_fields(form: forms.Form) -> SafeString:
    if not isinstance(form, JournalEntryForm):
        raise TypeError("{% entry_fields %} writes a JournalEntryForm's fields")
    blank = blank_form_markup(form, render_entry_fields)  # type: ignore[arg-type]
    return render_entry_fields(form) if blank is None else safe(blank)  # safe: written escaped
