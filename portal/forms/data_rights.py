"""The form that confirms deleting an account."""

from __future__ import annotations

from django import forms


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    understood = forms.BooleanField(
        label="I understand that this cannot be undone: my journal is deleted and what I wrote becomes unreadable.",
        error_messages={"required": "Please tick this box to confirm."},
    )
