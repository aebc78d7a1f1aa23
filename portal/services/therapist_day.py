"""The therapist's day for their home page: today's and tomorrow's sessions, and the session requests waiting.

Days are the therapist's own (their time zone): "today" starts at their local
midnight, whatever zone the client is in. Each part is one Query whatever the
number of sessions: the upcoming sessions from the start of today to the end of
tomorrow (one key range), and the first page of requests waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.accounts.user import User
from portal.domain import TherapySession
from portal.dynamo.sessions import SessionRepository
from portal.policy import own_therapist_id
from portal.timeutil import utcnow

# The requests shown on the home page; the count says "N+" beyond it and links to the full list.
REQUESTS_SHOWN = 10
# Today's and tomorrow's sessions: more than a therapist can hold in two days.
DAY_LIMIT = 40


@dataclass(frozen=True)
class DayOfSessions:
    day: date
    sessions: list[TherapySession]


@dataclass(frozen=True)
class TherapistDay:
    today: DayOfSessions
    tomorrow: DayOfSessions
    requests: list[TherapySession]
    more_requests: bool


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def therapist_day(*, user: User, now: datetime | None = None) -> TherapistDay:
    therapist_id = own_therapist_id(user)
    zone = ZoneInfo(user.time_zone)
    now = now or utcnow()
    today = now.astimezone(zone).date()
    tomorrow = today + timedelta(days=1)
    starts = _local_midnight(today, zone)
    # Midnights of the zone, not 24-hour steps: a day the clocks change has 23 or 25 hours.
    tomorrow_starts = _local_midnight(tomorrow, zone)
    ends = _local_midnight(tomorrow + timedelta(days=1), zone)
    repo = SessionRepository()
    # The upcoming section holds approved and open sessions only: the key range is the two days.
    upcoming = repo.list_section(
        "therapist", therapist_id, "upcoming", after=starts, before=ends, limit=DAY_LIMIT, clinical=False
    ).items
    # Every request still waiting, oldest first, as on the sessions page's "Requests to answer".
    waiting = repo.list_section("therapist", therapist_id, "requests", limit=REQUESTS_SHOWN, clinical=False)
    return TherapistDay(
        today=DayOfSessions(today, [s for s in upcoming if s.scheduled_for < tomorrow_starts]),
        tomorrow=DayOfSessions(tomorrow, [s for s in upcoming if s.scheduled_for >= tomorrow_starts]),
        requests=list(waiting.items),
        more_requests=waiting.next_cursor is not None,
    )
