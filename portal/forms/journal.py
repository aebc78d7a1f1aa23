"""Journal forms. Times typed in are the client's local time (the active time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.forms.boundfield import BoundWidget
from django.utils import timezone

from portal.domain import FEELING_BY_NAME, FEELINGS, MAX_INTENSITY, MAX_NOTE_LENGTH, MIN_INTENSITY, Valence
from portal.forms.idempotency import IdempotentForm

EARLIEST_YEAR = 1900
LATEST_YEAR = 2200


def _check_year(value: date | datetime | None) -> None:
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise forms.ValidationError("That date looks mistyped: please check the year.")


def feeling_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(f, f.capitalize()) for f in FEELINGS]
    return [("", blank), *choices] if blank is not None else choices


def intensity_choices() -> list[tuple[int, str]]:
    # A callable, as the feelings are: Django then copies no list of choices into every new form.
    return [(n, str(n)) for n in range(MIN_INTENSITY, MAX_INTENSITY + 1)]


# The entry form's feeling chips, grouped as the vocabulary decides, with the words shown above each group.
VALENCE_GROUPS: tuple[tuple[Valence, str], ...] = (
    (Valence.PLEASANT, "Pleasant"),
    (Valence.IN_BETWEEN, "In between"),
    (Valence.UNPLEASANT, "Unpleasant"),
)


@dataclass(frozen=True)
class FeelingGroup:
    slug: str
    label: str
    radios: list[BoundWidget]


class JournalEntryForm(forms.Form):
    """Write (or, with ``editing=True``, change) an entry.

    Built for a thumb: the feeling is a set of large radio chips grouped by
    valence and the intensity a 1-10 choice. "When" may be left empty on a new
    entry, which means the moment it is saved (not the moment the page was
    opened), so the page stays out of the way until someone wants an earlier time.
    """

    feeling = forms.ChoiceField(label="Feeling", choices=feeling_choices, widget=forms.RadioSelect)
    intensity = forms.TypedChoiceField(
        label="How strong (1 a little, 10 overwhelming)",
        choices=intensity_choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": f"Choose a number from {MIN_INTENSITY} to {MAX_INTENSITY}."},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=MAX_NOTE_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    time_of_emotion = forms.DateTimeField(
        label="When",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave it empty for now.",
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            # An edit shows and keeps the entry's own time.
            self.fields["time_of_emotion"].required = True
            self.fields["time_of_emotion"].help_text = ""
        self.fields["feeling"].error_messages["required"] = "Choose the feeling closest to how you feel."
        self.fields["intensity"].error_messages["required"] = "Choose how strong it is, from 1 to 10."

    def feeling_groups(self) -> list[FeelingGroup]:
        radios = {radio.data["value"]: radio for radio in self["feeling"]}
        groups = []
        for valence, label in VALENCE_GROUPS:
            members = [radios[name] for name in FEELINGS if FEELING_BY_NAME[name].valence is valence]
            groups.append(FeelingGroup(slug=valence.value, label=label, radios=members))
        return groups

    @property
    def when_changed(self) -> bool:
        """Whether "when" holds a time the person chose (the field then shows open)."""
        return bool(self.errors.get("time_of_emotion")) or bool(self.is_bound and self.data.get("time_of_emotion"))

    def clean_time_of_emotion(self) -> datetime:
        value: datetime | None = self.cleaned_data.get("time_of_emotion")
        if value is None:
            # "Now" in the client's own zone, to the minute, at the moment of saving.
            return timezone.localtime().replace(second=0, microsecond=0)
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
