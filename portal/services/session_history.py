"""Backfill what "since last session" reads, for sessions closed before closing kept it.

Closing a session now moves the relationship record's ``lastSessionAt`` and
stores the time of the session before it on the closed session
(``previousSessionAt``), so the therapist's panel reads one item instead of
searching the agenda. Sessions closed by an earlier version have neither; this
job derives them from the closed sessions themselves. It reads the Sessions
table with a projected Scan (ids, times and statuses, never a title or note),
which is maintenance work, never a page. Every write is conditional (set once,
or only forward), so it is safe to run twice or next to the live product.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from portal.domain import SessionStatus
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.sessions import SessionRepository

logger = logging.getLogger(__name__)

_SCAN_PAGE = 100


@dataclass(frozen=True)
class SessionHistoryBackfill:
    pairs: int
    previous_times_set: int
    records_moved: int


def session_history_backfill() -> SessionHistoryBackfill:
    sessions, records = SessionRepository(), RelationshipRepository()
    held: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    cursor: str | None = None
    while True:
        page = sessions.list_all_schedules(limit=_SCAN_PAGE, cursor=cursor)
        for schedule in page.items:
            if schedule.status is SessionStatus.CLOSED:
                held[(schedule.client_id, schedule.therapist_id)].append((schedule.scheduled_for, schedule.session_id))
        cursor = page.next_cursor
        if cursor is None:
            break
    previous_set = moved = 0
    for (client_id, therapist_id), closed in held.items():
        closed.sort()
        for (before, _), (_, session_id) in zip(closed, closed[1:], strict=False):
            previous_set += sessions.set_previous_session_at(session_id, before)
        moved += records.backfill_last_session(client_id, therapist_id, at=closed[-1][0])
    result = SessionHistoryBackfill(pairs=len(held), previous_times_set=previous_set, records_moved=moved)
    logger.info(
        "session history backfill: %d pairs, %d previous-session times set, %d records moved",
        result.pairs,
        result.previous_times_set,
        result.records_moved,
    )
    return result
