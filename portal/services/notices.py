"""Everything `manage.py send_due_notices` sends: each kind of notice is one function here.

A sender takes the current time and returns how many emails it sent. It must be
safe to run every minute and twice at once (mark before sending, with a
conditional write), and find its work with a fixed number of Queries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from portal.services.measures import measure_reminders_send_due
from portal.services.message_notices import message_notices_send_due
from portal.services.session_reminders import session_reminders_send_due

NoticeSender = Callable[[datetime], int]


def _session_reminders(now: datetime) -> int:
    return session_reminders_send_due(now=now)


def _message_notices(now: datetime) -> int:
    return message_notices_send_due(now=now)


def _measure_reminders(now: datetime) -> int:
    return measure_reminders_send_due(now=now)


DUE_NOTICE_SENDERS: tuple[tuple[str, NoticeSender], ...] = (
    ("session reminders", _session_reminders),
    ("message notices", _message_notices),
    ("questionnaire reminders", _measure_reminders),
)
