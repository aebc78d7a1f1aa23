"""Forms of the therapist directory and the therapist's profile."""

from __future__ import annotations

from django import forms

from portal.domain import (
    DEFAULT_CANCELLATION_WINDOW_HOURS,
    LANGUAGES,
    MAX_BIO_LENGTH,
    MAX_CANCELLATION_WINDOW_HOURS,
    MAX_FEES_LENGTH,
    MAX_LICENCE_LENGTH,
    MODALITIES,
)
from portal.forms.accounts import specialization_choices


def _any(label: str, choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", label), *choices]


class DirectoryForm(forms.Form):
    # Every filter is optional: an empty form lists every therapist taking new clients.
    specialization = forms.ChoiceField(
        label="What would you like help with?",
        required=False,
        choices=lambda: _any("Anything", specialization_choices()),
    )
    modality = forms.ChoiceField(
        label="How would you like to meet?",
        required=False,
        choices=_any("In person or video", list(MODALITIES.items())),
    )
    language = forms.ChoiceField(
        label="Language",
        required=False,
        choices=_any("Any language", [(lang, lang) for lang in LANGUAGES]),
    )


class ProfileForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    specialization = forms.ChoiceField(label="Specialization", choices=specialization_choices)
    bio = forms.CharField(
        label="A short bio",
        required=False,
        max_length=MAX_BIO_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"What clients see in the directory; up to {MAX_BIO_LENGTH} characters.",
    )
    licence_type = forms.CharField(
        label="Licence type",
        required=False,
        max_length=MAX_LICENCE_LENGTH,
        help_text="As you would write it, e.g. LCSW or Clinical psychologist. Shown as you write it.",
    )
    licence_state = forms.CharField(
        label="Licensed in (state or country)",
        required=False,
        max_length=MAX_LICENCE_LENGTH,
    )
    modalities = forms.MultipleChoiceField(
        label="How you meet clients",
        required=False,
        choices=list(MODALITIES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label="Languages you work in",
        required=False,
        choices=[(lang, lang) for lang in LANGUAGES],
        widget=forms.CheckboxSelectMultiple,
    )
    fees = forms.CharField(
        label="Fees",
        required=False,
        max_length=MAX_FEES_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="In your own words, e.g. “$120 a session; sliding scale available”.",
    )
    accepting_clients = forms.BooleanField(label="I am accepting new clients", required=False)
    # Saved with portal.services.sessions.cancellation_window_set; empty keeps the current window.
    cancellation_window_hours = forms.IntegerField(
        label="Cancellation window (hours)",
        required=False,
        min_value=0,
        max_value=MAX_CANCELLATION_WINDOW_HOURS,
        initial=DEFAULT_CANCELLATION_WINDOW_HOURS,
        help_text="A client who cancels a session closer to its time than this is shown as a late cancellation.",
    )
