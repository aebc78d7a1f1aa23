"""The message form: the text, and the key that makes a resend store nothing new."""

from __future__ import annotations

from typing import Any

from django import forms

from portal.domain import MAX_MESSAGE_LENGTH
from portal.ids import is_valid_id, new_id


class MessageForm(forms.Form):
    content = forms.CharField(
        label="Message",
        max_length=MAX_MESSAGE_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_MESSAGE_LENGTH}),
        error_messages={
            "required": "Write a message first.",
            "max_length": f"A message holds at most {MAX_MESSAGE_LENGTH} characters.",
        },
    )
    # Drawn when the form is drawn: a double click or a resend after a timeout
    # carries the same key, and the repository stores the message once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_id())

    def clean_content(self) -> str:
        content: str = self.cleaned_data["content"]
        if not content.strip():
            raise forms.ValidationError("Write a message first.")
        return content

    def clean_idempotency_key(self) -> str:
        key: str = self.cleaned_data["idempotency_key"]
        if not is_valid_id(key):
            raise forms.ValidationError("This form is out of date: please reload the page and send again.")
        return key
