"""Forms whose fields are copied for each new form without the copy module's general path.

Django gives every form its own copy of the declared fields
(``copy.deepcopy(base_fields)`` in ``BaseForm.__init__``) so that one form's
changes never reach the next. For each field and its widget that copy goes
through ``copy.copy``'s general path (``__reduce_ex__`` and a rebuild), which
was most of building the journal page's two forms on every view. A form class
built with ``QuickCopyForm``'s metaclass keeps its declared fields in a dict
that makes the same copies directly: a new object with the same attributes
(what ``copy.copy`` makes of these classes), then exactly what Django's own
``__deepcopy__`` methods copy further. A field or widget whose class copies
itself some other way is copied by ``copy.deepcopy``, as before.

The copy is also made when the form first uses its fields rather than when it
is made: a blank filter form whose markup is remembered (templatetags.form_fields)
never needs its own fields at all.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from django import forms
from django.forms.forms import DeclarativeFieldsMetaclass
from django.forms.widgets import ChoiceWidget
from django.utils.choices import CallableChoiceIterator

T = TypeVar("T")

_PLAIN_FIELD_COPY = forms.Field.__deepcopy__
_CHOICE_FIELD_COPY = forms.ChoiceField.__deepcopy__
_PLAIN_WIDGET_COPY = forms.Widget.__deepcopy__
_CHOICE_WIDGET_COPY = ChoiceWidget.__deepcopy__


def _same_attributes(original: T) -> T:
    clone = object.__new__(type(original))
    clone.__dict__.update(original.__dict__)
    return clone


@cache
def _plain(cls: type) -> bool:
    # What copy.copy would do otherwise, for a class that does not customise it.
    return (
        not any("__slots__" in klass.__dict__ for klass in cls.__mro__)
        and getattr(cls, "__copy__", None) is None
        and getattr(cls, "__setstate__", None) is None
        and cls.__reduce_ex__ is object.__reduce_ex__  # type: ignore[comparison-overlap]
        and cls.__getstate__ is object.__getstate__  # type: ignore[comparison-overlap]
    )


def _copy_choices(choices: Any, copier: Callable[[Any], Any]) -> Any:
    # Choices given as a callable (as the product's are) hold only the function, which
    # copy and deepcopy both keep as it is: a new holder of the same function is either copy.
    if type(choices) is CallableChoiceIterator and _plain(CallableChoiceIterator):
        return _same_attributes(choices)
    return copier(choices)


def _copy_widget(widget: forms.Widget, memo: dict[int, Any]) -> forms.Widget:
    if id(widget) in memo:
        # Already copied for this form (a widget two fields share stays shared, as with deepcopy).
        return memo[id(widget)]  # type: ignore[no-any-return]
    cls: Any = type(widget)
    if cls.__deepcopy__ not in (_PLAIN_WIDGET_COPY, _CHOICE_WIDGET_COPY) or not _plain(cls):
        return copy.deepcopy(widget, memo)
    clone = _same_attributes(widget)
    clone.attrs = widget.attrs.copy()
    if cls.__deepcopy__ is _CHOICE_WIDGET_COPY:
        clone.choices = _copy_choices(widget.choices, copy.copy)  # type: ignore[attr-defined]
    memo[id(widget)] = clone
    return clone


def _copy_field(field: forms.Field, memo: dict[int, Any]) -> forms.Field:
    if id(field) in memo:
        return memo[id(field)]  # type: ignore[no-any-return]
    cls: Any = type(field)
    if cls.__deepcopy__ not in (_PLAIN_FIELD_COPY, _CHOICE_FIELD_COPY) or not _plain(cls):
        return copy.deepcopy(field, memo)
    clone = _same_attributes(field)
    memo[id(field)] = clone
    clone.widget = _copy_widget(field.widget, memo)
    clone.error_messages = field.error_messages.copy()
    clone.validators = field.validators[:]
    if cls.__deepcopy__ is _CHOICE_FIELD_COPY:
        clone._choices = _copy_choices(field._choices, lambda c: copy.deepcopy(c, memo))  # type: ignore[attr-defined]
    return clone


class QuicklyCopiedFields(dict[str, forms.Field]):
    """A form class's declared fields; ``copy.deepcopy`` of it is each new form's own fields."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return {name: _copy_field(field, memo) for name, field in self.items()}


class _CopyWhenUsed:
    """What a new form's ``copy.deepcopy(self.base_fields)`` gives: "copy them when first used"."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _CopyWhenUsed:
        return self


_COPY_WHEN_USED = _CopyWhenUsed()


class _BaseFields:
    """A form class's ``base_fields``: the declared fields, read from the class.

    Read from a form (only ``BaseForm.__init__`` does, to copy them), it is the promise
    to copy them when the form first uses its fields.
    """

    def __init__(self, fields: QuicklyCopiedFields) -> None:
        self.fields = fields

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return self.fields if instance is None else _COPY_WHEN_USED


class QuickCopyMetaclass(DeclarativeFieldsMetaclass):
    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:  # noqa: N804
        new_class = super().__new__(mcs, name, bases, attrs)
        # Django makes base_fields the very dict declared_fields is; here it is a copy of
        # it (the same field objects). Nothing in the product changes either after the class is made.
        new_class.base_fields = _BaseFields(QuicklyCopiedFields(new_class.base_fields))  # type: ignore[attr-defined]
        return new_class


class QuickCopyForm(forms.Form, metaclass=QuickCopyMetaclass):
    """A Django form whose new instances copy the declared fields directly, when first used (see the module)."""

    @property
    def fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] | None = self.__dict__.get("_own_fields")
        if fields is None:
            fields = self.__dict__["_own_fields"] = copy.deepcopy(type(self).base_fields)
        return fields

    @fields.setter
    def fields(self, value: dict[str, forms.Field] | _CopyWhenUsed) -> None:
        if isinstance(value, _CopyWhenUsed):
            self.__dict__.pop("_own_fields", None)
        else:
            self.__dict__["_own_fields"] = value
