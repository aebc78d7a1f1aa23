"""Forms of the therapist directory and the therapist's profile."""

from __future__ import annotations

from django import forms

from portal.domain import MAX_BIO_LENGTH
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
