"""Measurement-based care as data: assignments, results and safety alerts.

Kept apart from portal/domain.py so the measures grow without touching the
shared domain module; the repository takes and returns these.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class MeasureKind(enum.StrEnum):
    PHQ9 = "PHQ9"
    GAD7 = "GAD7"


class Schedule(enum.StrEnum):
    """How often a measure opens for the client."""

    ONCE = "once"
    BEFORE_SESSION = "session"
    EVERY_WEEK = "1w"
    EVERY_2_WEEKS = "2w"
    EVERY_4_WEEKS = "4w"

    @property
    def weeks(self) -> int | None:
        return {"1w": 1, "2w": 2, "4w": 4}.get(self.value)

    @property
    def label(self) -> str:
        return SCHEDULE_LABELS[self]


SCHEDULE_LABELS: dict[Schedule, str] = {
    Schedule.ONCE: "Once",
    Schedule.BEFORE_SESSION: "Before every session",
    Schedule.EVERY_WEEK: "Every week",
    Schedule.EVERY_2_WEEKS: "Every 2 weeks",
    Schedule.EVERY_4_WEEKS: "Every 4 weeks",
}


@dataclass(frozen=True)
class MeasureAssignment:
    client_id: str
    therapist_id: str
    measure: MeasureKind
    schedule: Schedule
    # When the first window opens (the assignment's time); later windows follow it
    # in the client's local time, so a daylight-saving change keeps the hour.
    anchor_at: datetime
    time_zone: str
    assigned_at: datetime
    # The last submission for this assignment: a window with a submission inside it is done.
    last_done_at: datetime | None = None
    # The reminder still to send (also in the sparse reminders index), and the
    # opening of the window it belongs to.
    remind_at: datetime | None = None
    reminder_window: datetime | None = None


@dataclass(frozen=True)
class MeasureResult:
    client_id: str
    measure: MeasureKind
    result_id: str
    submitted_at: datetime
    therapist_id: str
    answers: tuple[int, ...]
    total: int
    difficulty: int | None = None


@dataclass(frozen=True)
class MeasureAlert:
    """A PHQ-9 item 9 above zero. Holds no answer or score: who must follow it up, and whether they did."""

    client_id: str
    result_id: str
    therapist_id: str
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None

    @property
    def open(self) -> bool:
        return self.acknowledged_at is None
