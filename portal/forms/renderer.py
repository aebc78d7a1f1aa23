"""Form widgets written in Python, exactly as Django's own widget templates write them.

Django renders every widget, and every radio button and select option, through
a template of its own: a lookup, a context and a render per input, and the
journal page alone carries some fifty inputs (its feeling and intensity chips,
the filter's select). The markup of the plain widgets is small and fixed, so
this renderer writes it directly and leaves every other template (form and
field layouts, anything unusual) to the template engine.
``tests/unit/test_form_renderer.py`` holds the output equal to Django's
templates for every widget the product uses, so the two cannot drift apart.
Selected in settings.FORM_RENDERER.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape as html_escape
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.safestring import mark_safe

_WIDGETS = "django/forms/widgets/"


def _text(value: Any) -> str:
    # The templates' {{ value|stringformat:'s' }}: str(), then escaped unless already safe. Django's
    # conditional_escape does the same through its lazy-string wrapper, at several times the cost.
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html_escape(str(value))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html: False is left out, True is written bare."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_text(value)}"')
    return "".join(parts)


def input_tag(widget: Mapping[str, Any]) -> str:
    """An <input> from a widget's context (also a radio's, from its BoundWidget data)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


def _input_option(widget: Mapping[str, Any]) -> str:
    """input_option.html (radio and checkbox options): the input, wrapped in its label when asked."""
    tag = input_tag(widget)
    if not widget.get("wrap_label"):
        return tag
    label_id = widget["attrs"].get("id")
    opening = f'<label for="{_text(label_id)}">' if label_id else "<label>"
    # The included input template's closing newline stays inside the label, as Django writes it.
    return f"{opening}{tag}\n {_text(widget['label'])}</label>"


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{_text(value) if value else ""}</textarea>'


def _option(widget: Mapping[str, Any]) -> str:
    return f'<option value="{_text(widget["value"])}"{_attrs(widget["attrs"])}>{_text(widget["label"])}</option>'


def _select(widget: Mapping[str, Any]) -> str:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            # Each option comes from an included template that ends in a newline.
            parts.append(f"\n  {_option(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


_INPUT_TEMPLATES = (
    "input", "text", "email", "password", "hidden", "number", "date", "datetime", "time", "url", "search", "tel",
    "color", "checkbox",
)  # fmt: skip
_BY_TEMPLATE: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{f"{_WIDGETS}{name}.html": input_tag for name in _INPUT_TEMPLATES},
    f"{_WIDGETS}radio_option.html": _input_option,
    f"{_WIDGETS}checkbox_option.html": _input_option,
    f"{_WIDGETS}input_option.html": _input_option,
    f"{_WIDGETS}textarea.html": _textarea,
    f"{_WIDGETS}select.html": _select,
    f"{_WIDGETS}select_option.html": _option,
}


class FastWidgetRenderer(DjangoTemplates):
    """Django's default renderer, with the plain widget templates written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> str:
        write = _BY_TEMPLATE.get(template_name)
        if write is None:
            return super().render(template_name, context, request)
        return mark_safe(write(context["widget"]))  # noqa: S308 (every value above is escaped)
