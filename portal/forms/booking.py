"""Booking forms: a therapist's hours, a client's request for an open time, a recurring series, the waitlist."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from portal.availability import (
    DEFAULT_GAP_MINUTES,
    DEFAULT_HORIZON_WEEKS,
    DEFAULT_NOTICE_HOURS,
    MAX_DATES_OFF,
    MAX_GAP_MINUTES,
    MAX_HORIZON_WEEKS,
    MAX_NOTICE_HOURS,
    WEEKDAY_NAMES,
    Availability,
    InvalidAvailability,
    format_hours,
    parse_hours,
)
from portal.domain import (
    DEFAULT_SESSION_MINUTES,
    MAX_LOCATION_LENGTH,
    MAX_SESSION_MINUTES,
    MAX_SESSION_TEXT_LENGTH,
    MIN_SESSION_MINUTES,
)
from portal.forms.idempotency import IdempotentForm
from portal.services.open_times import MAX_SERIES, parse_time_key

DAY_FIELDS = tuple(name.lower() for name in WEEKDAY_NAMES)


class AvailabilityForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    monday = forms.CharField(required=False, max_length=200)
    tuesday = forms.CharField(required=False, max_length=200)
    wednesday = forms.CharField(required=False, max_length=200)
    thursday = forms.CharField(required=False, max_length=200)
    friday = forms.CharField(required=False, max_length=200)
    saturday = forms.CharField(required=False, max_length=200)
    sunday = forms.CharField(required=False, max_length=200)
    session_minutes = forms.IntegerField(
        label="Session length (minutes)",
        min_value=MIN_SESSION_MINUTES,
        max_value=MAX_SESSION_MINUTES,
        initial=DEFAULT_SESSION_MINUTES,
    )
    gap_minutes = forms.IntegerField(
        label="Gap between sessions (minutes)", min_value=0, max_value=MAX_GAP_MINUTES, initial=DEFAULT_GAP_MINUTES
    )
    horizon_weeks = forms.IntegerField(
        label="Clients may book this many weeks ahead",
        min_value=1,
        max_value=MAX_HORIZON_WEEKS,
        initial=DEFAULT_HORIZON_WEEKS,
    )
    notice_hours = forms.IntegerField(
        label="Shortest notice (hours)", min_value=0, max_value=MAX_NOTICE_HOURS, initial=DEFAULT_NOTICE_HOURS
    )
    dates_off = forms.CharField(
        label="Dates off",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One date a line, as 2026-12-24.",
    )
    online_requests = forms.BooleanField(label="Clients may request my open times online", required=False)
    instant_booking = forms.BooleanField(label="Book requested times at once (no approval needed)", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, day in zip(DAY_FIELDS, WEEKDAY_NAMES, strict=True):
            field = self.fields[name]
            field.label = day
            field.help_text = "Blank: no hours. Several ranges: 09:00-12:00, 13:00-17:00."
            field.widget.attrs["placeholder"] = "09:00-12:00, 13:00-17:00"

    @classmethod
    def initial_from(cls, availability: Availability) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "version": availability.version,
            "session_minutes": availability.session_minutes,
            "gap_minutes": availability.gap_minutes,
            "horizon_weeks": availability.horizon_weeks,
            "notice_hours": availability.notice_hours,
            "dates_off": "\n".join(d.isoformat() for d in sorted(availability.dates_off)),
            "online_requests": availability.online_requests,
            "instant_booking": availability.instant_booking,
        }
        for weekday, name in enumerate(DAY_FIELDS):
            initial[name] = format_hours(availability.ranges_on(weekday))
        return initial

    def clean_dates_off(self) -> frozenset[date]:
        text: str = self.cleaned_data.get("dates_off") or ""
        found: set[date] = set()
        for part in text.replace(",", "\n").split():
            try:
                found.add(date.fromisoformat(part.strip()))
            except ValueError:
                raise forms.ValidationError(f"Write dates as 2026-12-24 (read {part!r}).") from None
        if len(found) > MAX_DATES_OFF:
            raise forms.ValidationError(f"At most {MAX_DATES_OFF} dates off.")
        return frozenset(found)

    def availability(self, therapist_id: str, zone: str) -> Availability | None:
        """The availability typed in, or None after adding the reason to the form's errors."""
        data = self.cleaned_data
        hours = {}
        for weekday, name in enumerate(DAY_FIELDS):
            try:
                ranges = parse_hours(data.get(name) or "")
            except InvalidAvailability as exc:
                self.add_error(name, str(exc))
                continue
            if ranges:
                hours[weekday] = ranges
        if self.errors:
            return None
        try:
            return Availability(
                therapist_id=therapist_id,
                zone=zone,
                weekly_hours=hours,
                session_minutes=data["session_minutes"],
                gap_minutes=data["gap_minutes"],
                horizon_weeks=data["horizon_weeks"],
                notice_hours=data["notice_hours"],
                dates_off=data["dates_off"],
                online_requests=data["online_requests"],
                instant_booking=data["instant_booking"],
                version=data["version"],
            )
        except InvalidAvailability as exc:
            self.add_error(None, str(exc))
            return None


class BookingRequestForm(IdempotentForm, forms.Form):
    start = forms.CharField(widget=forms.HiddenInput, max_length=20)
    message = forms.CharField(
        label="A message for your therapist (optional)",
        required=False,
        max_length=MAX_SESSION_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_start(self) -> datetime:
        try:
            return parse_time_key(self.cleaned_data["start"])
        except ValueError:
            raise forms.ValidationError("Choose one of the open times.") from None


EVERY_CHOICES = (("1", "Every week"), ("2", "Every two weeks"))


class SeriesForm(IdempotentForm, forms.Form):
    client = forms.ChoiceField(label="Client")
    day = forms.DateField(label="First session", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start_time = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    every = forms.ChoiceField(label="How often", choices=EVERY_CHOICES, initial="1")
    count = forms.IntegerField(label="Number of sessions", required=False, min_value=2, max_value=MAX_SERIES)
    until = forms.DateField(
        label="Or until (last date)", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    duration = forms.IntegerField(
        label="Length (minutes)",
        min_value=MIN_SESSION_MINUTES,
        max_value=MAX_SESSION_MINUTES,
        initial=DEFAULT_SESSION_MINUTES,
    )
    location = forms.CharField(
        label="Where (an address or your video link)", required=False, max_length=MAX_LOCATION_LENGTH
    )
    # What the therapist saw listed before booking (``plan_digest``): a form changed after the list
    # was shown is listed again, never booked unseen.
    confirmed = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, clients: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = clients  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        data = self.cleaned_data
        if (data.get("count") is None) == (data.get("until") is None) and not self.errors:
            raise forms.ValidationError("Give either a number of sessions or a last date, one of the two.")
        return cleaned

    def plan_digest(self) -> str:
        data = self.cleaned_data
        seen = "|".join(
            str(data.get(name) or "") for name in ("client", "day", "start_time", "every", "count", "until", "duration")
        )
        return hashlib.sha256(seen.encode()).hexdigest()[:32]

    def is_confirmed(self) -> bool:
        return bool(self.cleaned_data.get("confirmed")) and self.cleaned_data["confirmed"] == self.plan_digest()

    def first(self, zone: str) -> datetime:
        day: date = self.cleaned_data["day"]
        at: time = self.cleaned_data["start_time"]
        return datetime.combine(day, at, tzinfo=ZoneInfo(zone))


class WaitlistForm(forms.Form):
    first_day = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    last_day = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
