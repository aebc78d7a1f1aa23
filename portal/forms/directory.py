"""Forms of the therapist directory and the therapist's profile."""

from __future__ import annotations

from django import forms

from portal.domain import DEFAULT_CANCELLATION_WINDOW_HOURS, MAX_BIO_LENGTH, MAX_CANCELLATION_WINDOW_HOURS
from portal.forms.accounts import specialization_choices


class DirectoryForm(forms.Form):
    specialization = forms.ChoiceField(
        label="What would you like help with?", choices=specialization_choices
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
