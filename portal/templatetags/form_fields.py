"""A form's fields as every page writes them: ``{% form_fields form %}``, a template builtin (settings).

For each visible field: its label, its errors under the id its input's
aria-describedby points at ("<field id>_error"), the input, and its help text;
hidden fields (the idempotency key among them) with their errors said aloud.
Written in Python because a template include cost a context, a loop and a
dozen lookups per field on every form of every page; the markup is the
template's it replaced, kept at tests/unit/reference/form_fields.html and held
to it by tests/unit/test_form_fields_markup.py.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms, template
from django.forms import BoundField
from django.utils.safestring import SafeString

from portal.escaping import esc, safe
from portal.forms.idempotency import FIELD as KEY_FIELD

register = template.Library()

# Where the idempotency key goes in a blank form's remembered markup (keys are ids: [0-9A-Z] only).
_KEY_STAND_IN = "blank-form-key-stand-in"
_blank_markup: dict[tuple[object, ...], str] = {}


def blank_form_markup(form: forms.Form, write: Callable[[forms.Form], str]) -> str | None:
    """The markup of a blank form that depends on the code alone, written once per process.

    A form class says so with ``blank_markup_is_fixed = True``: no choices, initial
    values or attributes of its own per person or request, and no changes to its
    fields per instance (nothing here could tell). Its blank markup is then
    the same on every page view but for the idempotency key, which goes in afresh each
    time. Django builds a radio or option per choice on every render otherwise: most of
    the journal page's form cost. None when the form is not such a blank one.
    """
    if form.is_bound or form.errors or not getattr(form, "blank_markup_is_fixed", False):
        return None
    key = form.initial.get(KEY_FIELD)
    if set(form.initial) - {KEY_FIELD}:
        return None
    # The writer too: one form class may be written by more than one tag.
    cache_key = (write, type(form), form.auto_id, form.prefix, getattr(form, "editing", False))
    markup = _blank_markup.get(cache_key)
    if markup is None:
        markup = write(form)
        if key is not None:
            own_key = f'value="{esc(key)}"'
            if markup.count(own_key) != 1:
                # Not where it is expected: never remember markup that could carry one form's key to others.
                return markup
            # This form's own key becomes the stand-in for the next ones.
            markup = markup.replace(own_key, f'value="{_KEY_STAND_IN}"')
        _blank_markup[cache_key] = markup
    if key is None:
        return markup
    return markup.replace(f'value="{_KEY_STAND_IN}"', f'value="{esc(key)}"')


def field_errors(field: BoundField) -> str:
    if not field.errors:
        return ""
    items = "".join(f"<li>{esc(e)}</li>" for e in field.errors)
    return f'<ul class="errorlist" id="{esc(field.auto_id)}_error">{items}</ul>'


def labelled_field(field: BoundField) -> str:
    """Label, errors, input (written by the form renderer, so already safe)."""
    return f'<label for="{esc(field.id_for_label)}">{esc(field.label)}</label>\n  {field_errors(field)}\n  {field}'


def non_field_errors(form: forms.Form) -> str:
    errors = form.non_field_errors()
    if not errors:
        return ""
    return '<div class="nonfield" role="alert">' + "".join(f"<p>{esc(e)}</p>" for e in errors) + "</div>"


def render_form_fields(form: forms.Form) -> SafeString:
    hidden = "".join(
        "".join(f'<p class="nonfield" role="alert">{esc(e)}</p>' for e in field.errors) + str(field)
        for field in form.hidden_fields()
    )
    visible = []
    for field in form.visible_fields():
        # Help text is the product's own words and may hold markup (the template wrote it |safe).
        help_text = (
            f'\n  <span class="helptext" id="{esc(field.auto_id)}_helptext">{field.help_text}</span>'
            if field.help_text
            else ""
        )
        visible.append(f"\n<div>\n  {labelled_field(field)}{help_text}\n</div>\n")
    return safe(f"{non_field_errors(form)}\n{hidden}\n{''.join(visible)}")  # safe: escaped above


@register.simple_tag
def form_fields(form: forms.Form) -> SafeString:
    blank = blank_form_markup(form, render_form_fields)
    return render_form_fields(form) if blank is None else safe(blank)  # safe: written escaped
