"""Forms of the questionnaires: the client's answers, a therapist's assignment and acknowledgement."""

from __future__ import annotations

from typing import Any

from django import forms

from portal.domain_measures import SCHEDULE_LABELS, MeasureKind
from portal.forms.idempotency import IdempotentForm
from portal.services import measures_scoring as scoring
from portal.services.measures import MAX_NOTE_LENGTH

ANSWER_CHOICES = [(str(n), label) for n, label in enumerate(scoring.ANSWER_LABELS)]
DIFFICULTY_CHOICES = [(str(n), label) for n, label in enumerate(scoring.DIFFICULTY_LABELS)]
BLANK = "Please answer this question."


def item_field(number: int) -> str:
    return f"item_{number}"


class QuestionnaireForm(IdempotentForm, forms.Form):
    """One required choice per item (and the PHQ-9's difficulty question, not scored).

    Sent with a blank item it comes back with every answer given still chosen.
    """

    def __init__(self, *args: Any, instrument: scoring.Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for number, text in enumerate(instrument.items, start=1):
            self.fields[item_field(number)] = forms.ChoiceField(
                label=text,
                choices=ANSWER_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": BLANK, "invalid_choice": BLANK},
            )
        if instrument.difficulty is not None:
            self.fields["difficulty"] = forms.ChoiceField(
                label=instrument.difficulty,
                choices=DIFFICULTY_CHOICES,
                widget=forms.RadioSelect,
                required=False,
            )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        missing = [n for n in range(1, len(self.instrument.items) + 1) if self.has_error(item_field(n))]
        if missing:
            # Said once at the top too, naming the questions, so nobody has to hunt for them.
            raise forms.ValidationError(scoring.missing_sentence(missing))
        return cleaned

    def questions(self) -> list[tuple[int, forms.BoundField]]:
        return [(n, self[item_field(n)]) for n in range(1, len(self.instrument.items) + 1)]

    def chosen(self, name: str) -> str:
        """The value chosen for a field, as sent (so a refused form keeps its answers)."""
        if not self.is_bound:
            return ""
        value = self.data.get(self.add_prefix(name), "")
        return value if isinstance(value, str) else ""

    def answers(self) -> list[int | None]:
        return [
            int(self.cleaned_data[item_field(n)]) if self.cleaned_data.get(item_field(n)) not in (None, "") else None
            for n in range(1, len(self.instrument.items) + 1)
        ]

    def difficulty(self) -> int | None:
        value = self.cleaned_data.get("difficulty")
        return int(value) if value not in (None, "") else None


class AssignForm(forms.Form):
    measure = forms.ChoiceField(
        label="Questionnaire", choices=[(k.value, scoring.INSTRUMENTS[k].name) for k in MeasureKind]
    )
    schedule = forms.ChoiceField(label="When", choices=[(s.value, label) for s, label in SCHEDULE_LABELS.items()])


class StopForm(forms.Form):
    measure = forms.ChoiceField(choices=[(k.value, k.value) for k in MeasureKind])


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="What you did",
        help_text="A short note of how you followed this up. Only you can read it; it is kept encrypted.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_NOTE_LENGTH,
        error_messages={"required": "Write a short note of what you did: the flag clears only with one."},
    )
