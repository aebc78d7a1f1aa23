"""45 sessions in each section of one pair's lists, interleaved in time with sessions in other states."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from portal.domain import AccountKind, SessionStatus, TherapySession
from portal.dynamo.sessions import SessionRepository
from portal.timeutil import utcnow
from tests.factories import make_session

PER_SECTION = 45
# Each section's sessions in the order in which they cycle, so a page of any list is surrounded by the others'.
UPCOMING = (SessionStatus.APPROVED, SessionStatus.OPEN)
REQUESTS = (SessionStatus.PENDING,)
HISTORY = (SessionStatus.CLOSED, SessionStatus.REJECTED, SessionStatus.CANCELLED)


@dataclass(frozen=True)
class MixedLists:
    upcoming: list[str]  # ids in list order (soonest first)
    requests: list[str]  # soonest first
    history: list[str]  # newest first


def seed_mixed_sessions(therapist_id: str, client_id: str, *, start: datetime | None = None) -> MixedLists:
    """3 x 45 sessions an hour apart from ``start`` (default: two days ahead), cycling through the sections.

    The history holds closed, declined and cancelled sessions, some of them ahead
    (declined or cancelled future requests, and sessions closed early), some
    behind (the first ones are in the past when ``start`` is).
    """
    start = start or utcnow().replace(microsecond=0) + timedelta(days=2)
    repo = SessionRepository()
    made: dict[str, list[TherapySession]] = {"upcoming": [], "requests": [], "history": []}
    for n in range(PER_SECTION * 3):
        section = ("upcoming", "requests", "history")[n % 3]
        statuses = {"upcoming": UPCOMING, "requests": REQUESTS, "history": HISTORY}[section]
        status = statuses[(n // 3) % len(statuses)]
        session = make_session(
            therapist_id=therapist_id,
            client_id=client_id,
            title=f"Session {n}",
            scheduled_for=start + timedelta(hours=n),
            status=status,
            cancelled_by=AccountKind.CLIENT if status is SessionStatus.CANCELLED else None,
            rejection_reason="Away that week" if status is SessionStatus.REJECTED else "",
            client_name="Casey Client",
            therapist_name="Dr Tara",
        )
        repo.create(replace(session, requested_by=AccountKind.THERAPIST))
        made[section].append(session)
    return MixedLists(
        upcoming=[s.session_id for s in made["upcoming"]],
        requests=[s.session_id for s in made["requests"]],
        history=[s.session_id for s in reversed(made["history"])],
    )
