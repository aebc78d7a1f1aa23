"""The form renderer writes plain widgets in Python for speed: its output must stay what Django's templates write."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from portal.forms.accounts import LoginForm
from portal.forms.journal import JournalFilterForm, NewJournalEntryForm
from portal.forms.renderer import FastWidgetRenderer


class EveryWidget(forms.Form):
    text = forms.CharField(max_length=20, help_text="Some <help>")
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    number = forms.IntegerField(min_value=1, max_value=10)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    secret = forms.CharField(widget=forms.HiddenInput)
    agree = forms.BooleanField(required=False)
    words = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "data-x": "a\"b"}), required=False)
    choice = forms.ChoiceField(choices=[("", "Any"), ("a", "A & B"), ("b", "<B>")], required=False)
    grouped = forms.ChoiceField(choices=[("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")])
    radio = forms.ChoiceField(choices=[("1", "One"), ("2", "Two")], widget=forms.RadioSelect)
    many = forms.MultipleChoiceField(choices=[("p", "P"), ("q", "Q")], widget=forms.CheckboxSelectMultiple)
    off = forms.CharField(disabled=True, initial="fixed", required=False)


FORMS = {
    "every-empty": lambda: EveryWidget(),
    "every-filled": lambda: EveryWidget(
        initial={
            "text": "<script>", "number": 7, "day": date(2026, 3, 4), "moment": datetime(2026, 3, 4, 21, 40),
            "agree": True, "words": "line one\n<b>two</b>", "choice": "a", "grouped": "y", "radio": "2",
            "many": ["q"],
        }
    ),
    "every-wrong": lambda: EveryWidget(data={"text": "x" * 30, "number": "11", "words": "kept", "many": ["r"]}),
    "entry-new": lambda: NewJournalEntryForm(),
    "entry-wrong": lambda: NewJournalEntryForm(data={"feeling": "calm", "intensity": "11", "note": "<i>kept</i>"}),
    "filter": lambda: JournalFilterForm(data={"feeling": "sad", "start": "2026-01-01"}),
    "login": lambda: LoginForm(data={"email": "a@example.com"}),
}


def _render_everything(form: forms.Form) -> list[str]:
    if form.is_bound:
        form.is_valid()
    out = []
    for field in form:
        out.append(str(field))
        if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            out.extend(str(widget.tag()) for widget in field)
            out.extend(str(widget) for widget in field)
    return out


@pytest.mark.parametrize("name", sorted(FORMS))
def test_it_writes_every_widget_exactly_as_djangos_templates_do(name: str) -> None:
    form = FORMS[name]()  # one form: a new one would carry a new idempotency key
    form.renderer = DjangoTemplates()
    expected = _render_everything(form)
    form.renderer = FastWidgetRenderer()
    assert _render_everything(form) == expected


def test_it_is_the_renderer_the_site_uses() -> None:
    assert isinstance(EveryWidget().renderer, FastWidgetRenderer)


def test_it_leaves_other_templates_to_the_template_engine() -> None:
    # A form's layout is not a plain widget: the engine renders it, as DjangoTemplates would.
    form = LoginForm(data={"email": "a@example.com"})
    assert FastWidgetRenderer().render("django/forms/div.html", form.get_context()) == DjangoTemplates().render(
        "django/forms/div.html", form.get_context()
    )
