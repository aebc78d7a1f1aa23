"""Forms of the care relationship."""

from __future__ import annotations

from django import forms

from portal.domain import normalize_email


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Client's email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])
