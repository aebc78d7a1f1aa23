"""Session forms. Dates and times typed in are the viewer's local time (the active time zone)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from portal.domain import (
    DEFAULT_SESSION_MINUTES,
    MAX_LOCATION_LENGTH,
    MAX_SESSION_MINUTES,
    MAX_SESSION_NOTES_LENGTH,
    MAX_SESSION_TEXT_LENGTH,
    MAX_SESSION_TITLE_LENGTH,
    MIN_SESSION_MINUTES,
)
from portal.forms.idempotency import IdempotentForm

EARLIEST_YEAR = 2000
LATEST_YEAR = 2200


class _WhenMixin(forms.Form):
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start_time = forms.TimeField(
        label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def clean_day(self) -> date:
        value: date = self.cleaned_data["day"]
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise forms.ValidationError("That date looks mistyped: please check the year.")
        return value

    def scheduled_for(self) -> datetime:
        """The typed date and time in the viewer's zone, as an aware datetime."""
        day: date = self.cleaned_data["day"]
        at: time = self.cleaned_data["start_time"]
        return datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


def _duration_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Length (minutes)",
        min_value=MIN_SESSION_MINUTES,
        max_value=MAX_SESSION_MINUTES,
        initial=DEFAULT_SESSION_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 5}),
    )


def _location_field() -> forms.CharField:
    return forms.CharField(
        label="Where (an address or your video link)",
        required=False,
        max_length=MAX_LOCATION_LENGTH,
    )


class SessionRequestForm(IdempotentForm, _WhenMixin):
    therapist = forms.ChoiceField(label="Therapist")
    title = forms.CharField(label="What would you like to talk about?", max_length=MAX_SESSION_TITLE_LENGTH)
    message = forms.CharField(
        label="Message to your therapist (optional)",
        required=False,
        max_length=MAX_SESSION_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    field_order = ["therapist", "title", "day", "start_time", "message", "idempotency_key"]

    def __init__(self, *args: Any, therapists: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["therapist"].choices = therapists  # type: ignore[attr-defined]


class SessionCreateForm(IdempotentForm, _WhenMixin):
    client = forms.ChoiceField(label="Client")
    title = forms.CharField(label="Title", max_length=MAX_SESSION_TITLE_LENGTH)
    duration_minutes = _duration_field()
    location = _location_field()
    confirm_overlap = forms.BooleanField(required=False, widget=forms.HiddenInput)
    field_order = ["client", "title", "day", "start_time", "duration_minutes", "location"]

    def __init__(self, *args: Any, clients: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = clients  # type: ignore[attr-defined]


class SessionApproveForm(forms.Form):
    location = _location_field()
    duration_minutes = _duration_field()
    confirm_overlap = forms.BooleanField(required=False, widget=forms.HiddenInput)


class SessionRejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional; the client reads it)",
        required=False,
        max_length=MAX_SESSION_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SessionMoveRequestForm(_WhenMixin):
    """The client asks for another time for an approved session."""


class SessionRescheduleForm(_WhenMixin):
    duration_minutes = _duration_field()
    location = _location_field()
    confirm_overlap = forms.BooleanField(required=False, widget=forms.HiddenInput)


class SessionNotesForm(forms.Form):
    shared_notes = forms.CharField(
        label="Shared notes (the client reads these)",
        required=False,
        max_length=MAX_SESSION_NOTES_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    private_notes = forms.CharField(
        label="Private notes (only you)",
        required=False,
        max_length=MAX_SESSION_NOTES_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
