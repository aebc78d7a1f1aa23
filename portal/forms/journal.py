"""Journal forms. Times typed in are the client's local time (the active time zone)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from portal.domain import FEELINGS, MAX_INTENSITY, MAX_NOTE_LENGTH, MIN_INTENSITY
from portal.forms.idempotency import IdempotentForm

EARLIEST_YEAR = 1900
LATEST_YEAR = 2200


def _check_year(value: date | datetime | None) -> None:
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise forms.ValidationError("That date looks mistyped: please check the year.")


def feeling_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(f, f.capitalize()) for f in FEELINGS]
    return [("", blank), *choices] if blank is not None else choices


class JournalEntryForm(forms.Form):
    time_of_emotion = forms.DateTimeField(
        label="When",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    feeling = forms.ChoiceField(label="Feeling", choices=feeling_choices)
    intensity = forms.IntegerField(
        label="Intensity (1 to 10)",
        min_value=MIN_INTENSITY,
        max_value=MAX_INTENSITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=MAX_NOTE_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and "time_of_emotion" not in self.initial:
            # "Now" in the client's own zone, to the minute.
            self.initial["time_of_emotion"] = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["intensity"].widget.attrs.update(min=MIN_INTENSITY, max=MAX_INTENSITY)

    def clean_time_of_emotion(self) -> datetime:
        value: datetime = self.cleaned_data["time_of_emotion"]
        _check_year(value)
        return value


class JournalFilterForm(forms.Form):
    feeling = forms.ChoiceField(label="Feeling", choices=lambda: feeling_choices("All feelings"), required=False)
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The entry form on the same page has a "feeling" field too: ids must differ.
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)

    def clean_start(self) -> date | None:
        value: date | None = self.cleaned_data.get("start")
        _check_year(value)
        return value

    def clean_end(self) -> date | None:
        value: date | None = self.cleaned_data.get("end")
        _check_year(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date comes before the start date.")
        return cleaned

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The chosen days as aware datetimes spanning whole local days."""
        data = self.cleaned_data if self.is_valid() else {}
        zone = timezone.get_current_timezone()
        start = data.get("start")
        end = data.get("end")
        start_dt = datetime.combine(start, time.min, tzinfo=zone) if start else None
        end_dt = (
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) - timedelta(microseconds=1)
            if end
            else None
        )
        return start_dt, end_dt


class NewJournalEntryForm(IdempotentForm, JournalEntryForm):
    """Writing a new entry: the same fields, plus the key that makes a resend store it once."""
