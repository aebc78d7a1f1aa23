"""Each new form gets its own fields, copied directly, as Django's deepcopy would have copied them."""

from __future__ import annotations

import copy
import importlib
import pkgutil
from typing import Any

import pytest
from django import forms

import portal.forms
from portal.forms.field_copies import QuickCopyForm, QuicklyCopiedFields
from portal.forms.journal import JournalEntryForm, JournalFilterForm

for _module in pkgutil.iter_modules(portal.forms.__path__):
    importlib.import_module(f"portal.forms.{_module.name}")


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


FORMS = sorted({*_all_subclasses(QuickCopyForm)} - {QuickCopyForm}, key=lambda c: c.__qualname__)
COPIED_DEEPER = {"widget", "_choices", "error_messages", "validators"}


def _same_widget(ours: forms.Widget, django: forms.Widget, original: forms.Widget) -> None:
    assert type(ours) is type(django)
    assert ours is not original and ours.attrs is not original.attrs
    assert ours.attrs == django.attrs
    assert set(vars(ours)) == set(vars(django))
    if hasattr(django, "choices"):
        assert list(ours.choices) == list(django.choices)  # type: ignore[attr-defined]
        _not_shared(ours.choices, original.choices)  # type: ignore[attr-defined]


def _not_shared(copied: object, original: object) -> None:
    # A list of choices is the form's own; choices given as a callable hold only the
    # function, and a new holder of it is what both copy and deepcopy give.
    assert copied is not original
    if isinstance(original, list):
        assert copied == original


def _same_field(ours: forms.Field, django: forms.Field, original: forms.Field) -> None:
    assert type(ours) is type(django) and ours is not original
    assert set(vars(ours)) == set(vars(django))
    for name, value in vars(django).items():
        if name not in COPIED_DEEPER:
            assert getattr(ours, name) == value, name
    _same_widget(ours.widget, django.widget, original.widget)
    assert ours.error_messages == django.error_messages and ours.error_messages is not original.error_messages
    assert ours.validators == django.validators and ours.validators is not original.validators
    if hasattr(django, "_choices"):
        assert list(ours.choices) == list(django.choices)  # type: ignore[attr-defined]
        _not_shared(ours._choices, original._choices)  # type: ignore[attr-defined]


def test_every_product_form_copies_its_fields_quickly() -> None:
    every_form = {
        cls for cls in _all_subclasses(forms.Form) if cls.__module__.startswith("portal.forms.")
    }
    assert len(every_form) > 20
    for form_class in every_form:
        assert issubclass(form_class, QuickCopyForm), form_class
        assert isinstance(form_class.base_fields, QuicklyCopiedFields), form_class


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__qualname__)
def test_it_copies_what_djangos_deepcopy_copies(form_class: type[forms.Form]) -> None:
    declared = form_class.base_fields
    ours = copy.deepcopy(declared)
    django = copy.deepcopy(dict(declared))
    assert list(ours) == list(django)
    for name in declared:
        _same_field(ours[name], django[name], declared[name])


def test_one_forms_changes_never_reach_the_next() -> None:
    edited = JournalEntryForm(editing=True)
    edited.fields["note"].widget.attrs["rows"] = 9
    edited.fields["note"].validators.append(lambda value: None)
    edited.fields["feeling"].error_messages["invalid_choice"] = "changed"
    fresh = JournalEntryForm()
    assert fresh.fields["time_of_emotion"].required is False  # editing made it required on its own form only
    assert fresh.fields["note"].widget.attrs["rows"] == 3
    assert len(fresh.fields["note"].validators) == len(JournalEntryForm.base_fields["note"].validators)
    assert fresh.fields["feeling"].error_messages["invalid_choice"] != "changed"


class _Unusual(QuickCopyForm):
    # A field that copies itself its own way.
    when = forms.SplitDateTimeField()


def test_a_field_that_copies_itself_its_own_way_is_copied_by_deepcopy() -> None:
    form: Any = _Unusual()
    declared: Any = _Unusual.base_fields
    assert form.fields["when"] is not declared["when"]
    assert all(a is not b for a, b in zip(form.fields["when"].fields, declared["when"].fields, strict=True))


def test_what_is_shared_stays_shared_within_one_copy_as_with_deepcopy() -> None:
    field = forms.CharField()
    copied = copy.deepcopy(QuicklyCopiedFields({"a": field, "b": field}))
    assert copied["a"] is copied["b"] and copied["a"] is not field


def test_a_blank_form_whose_markup_is_remembered_never_copies_its_fields() -> None:
    from portal.templatetags.form_fields import form_fields

    form_fields(JournalFilterForm())  # the first one writes the markup
    blank = JournalFilterForm()
    markup = form_fields(blank)
    assert 'name="feeling"' in markup and "_own_fields" not in vars(blank)
    # Used, its fields are its own copies, made once.
    own = blank.fields
    assert own is blank.fields and "_own_fields" in vars(blank)
    assert own["feeling"] is not JournalFilterForm.base_fields["feeling"]
    assert list(own) == list(JournalFilterForm.base_fields)


def test_a_bound_form_copies_its_fields_when_it_validates() -> None:
    form = JournalFilterForm({"feeling": "calm", "start": "2026-03-01", "end": "2026-02-01"})
    assert "_own_fields" not in vars(form)
    assert not form.is_valid()
    assert form.errors["end"] == ["The end date comes before the start date."]
    assert form.cleaned_data["feeling"] == "calm"


def test_fields_given_to_a_form_are_its_fields() -> None:
    form = JournalFilterForm()
    replacement = {"feeling": forms.CharField()}
    form.fields = replacement
    assert form.fields is replacement
