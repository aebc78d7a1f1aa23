"""A hidden idempotency key for every form that creates something.

Each blank form is rendered with a fresh key; a form sent back with errors
keeps the key it came with (nothing was stored under it yet). The repository
claims the key in the same transaction as what it creates
(portal/dynamo/idempotency.py), so a double click, a retry after a timeout or
a resend after the 503 page stores one thing.

Use it by listing it first among a form's bases::

    class MessageForm(IdempotentForm, forms.Form): ...

then pass ``form.cleaned_data["idempotency_key"]`` to the service. Templates
render hidden fields without a label ({% form_fields %} does).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from portal.ids import new_id

FIELD = "idempotency_key"
_VALID = re.compile(r"[0-9A-Za-z_-]{16,64}")


def is_valid_key(value: object) -> bool:
    return isinstance(value, str) and _VALID.fullmatch(value) is not None


class IdempotentForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stale_key = False
        name = self.add_prefix(FIELD)
        if not self.is_bound:
            self.initial[FIELD] = new_id()
        elif not is_valid_key(self.data.get(name)):
            # A form from before keys existed, or tampered with: refuse it once, and
            # give the re-rendered form (with what was typed) a good key to resend.
            self.renew_key()
            self._stale_key = True

    def renew_key(self) -> None:
        """Give the form, shown again, a new key: what it carries now must not be sent again."""
        # A QueryDict sent with the request is immutable: a mutable copy.
        data = self.data.copy()  # type: ignore[attr-defined]
        data[self.add_prefix(FIELD)] = new_id()
        self.data = data

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self._stale_key:
            raise forms.ValidationError("This form was out of date. Please check it and send it again.")
        return cleaned
