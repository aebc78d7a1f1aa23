"""The Bookings table: availability, claims of booked times, series and the waitlist (see BOOKINGS in schema.py).

A claim is the one thing that stops a time being booked twice: it is written
with ``attribute_not_exists`` in the same TransactWriteItems as the session
(and the form's idempotency claim), so DynamoDB, not Python, decides who got
the time. The transaction that declines, cancels or withdraws the session
deletes its claim. A claim left behind by a path that moved or ended a session
without it (a reschedule, the end of a relationship) is taken over, conditional
on naming that very session, once a consistent read shows its session no
longer holds the time.
"""

from __future__ import annotations

import logging
import random
import time as clock
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from portal.availability import Availability, HoursRange, TimeTaken
from portal.domain import (
    MAX_SESSION_MINUTES,
    Conflict,
    NotFound,
    SessionStatus,
    TherapySession,
    check_session_transition,
)
from portal.dynamo.gateway import TransactDelete, TransactionCancelled, TransactOp, TransactPut, busy_database
from portal.dynamo.idempotency import create_once
from portal.dynamo.repository import Repository
from portal.dynamo.schema import BOOKINGS, SESSIONS
from portal.dynamo.sessions import (
    SessionRepository,
    session_claim_key,
    session_claim_owner,
    session_from_item,
    session_put_op,
    session_update_op,
)
from portal.timeutil import epoch_seconds, from_iso, maybe_from_iso, to_iso, utcnow

logger = logging.getLogger(__name__)

_AVAILABILITY = "availability"
# Statuses that hold a time: a claim naming a session in any other state is left over.
HOLDING = frozenset({SessionStatus.PENDING, SessionStatus.APPROVED, SessionStatus.OPEN})
# A claim outlives its session by this long, then TTL removes it.
CLAIM_AFTERLIFE = timedelta(days=1)
_ATTEMPTS = 5
WAITLIST_LIMIT = 100


def claim_sort_key(start: datetime) -> str:
    return "claim#" + to_iso(start)


def _availability_to_item(a: Availability) -> dict[str, Any]:
    return {
        "therapistId": a.therapist_id,
        "bookingKey": _AVAILABILITY,
        "zone": a.zone,
        "hours": {str(day): [r.label() for r in ranges] for day, ranges in a.weekly_hours.items() if ranges},
        "sessionMinutes": a.session_minutes,
        "gapMinutes": a.gap_minutes,
        "horizonWeeks": a.horizon_weeks,
        "noticeHours": a.notice_hours,
        "datesOff": sorted(d.isoformat() for d in a.dates_off),
        "onlineRequests": a.online_requests,
        "instantBooking": a.instant_booking,
        "version": a.version,
        "updatedAt": to_iso(a.updated_at or utcnow()),
    }


def _range(label: str) -> HoursRange:
    start, _, end = label.partition("-")
    return HoursRange(time.fromisoformat(start), time.fromisoformat(end))


def _availability_from_item(item: dict[str, Any]) -> Availability:
    return Availability(
        therapist_id=item["therapistId"],
        zone=item["zone"],
        weekly_hours={int(day): tuple(_range(r) for r in ranges) for day, ranges in item.get("hours", {}).items()},
        session_minutes=int(Decimal(item["sessionMinutes"])),
        gap_minutes=int(Decimal(item["gapMinutes"])),
        horizon_weeks=int(Decimal(item["horizonWeeks"])),
        notice_hours=int(Decimal(item["noticeHours"])),
        dates_off=frozenset(date.fromisoformat(d) for d in item.get("datesOff", [])),
        online_requests=bool(item.get("onlineRequests", True)),
        instant_booking=bool(item.get("instantBooking", False)),
        version=int(Decimal(item.get("version", 0))),
        updated_at=maybe_from_iso(item.get("updatedAt")),
    )


@dataclass(frozen=True)
class Claim:
    therapist_id: str
    start: datetime
    session_id: str
    series_id: str | None


@dataclass(frozen=True)
class Series:
    series_id: str
    therapist_id: str
    client_id: str
    # (start, session id) of each occurrence, in time order.
    occurrences: tuple[tuple[datetime, str], ...]


@dataclass(frozen=True)
class WaitRequest:
    therapist_id: str
    client_id: str
    first_day: date
    last_day: date


class BookingRepository(Repository):
    # --- availability ----------------------------------------------------------------

    def availability(self, therapist_id: str, *, consistent: bool = False) -> Availability | None:
        item = self.db.get(BOOKINGS, {"therapistId": therapist_id, "bookingKey": _AVAILABILITY}, consistent=consistent)
        return _availability_from_item(item) if item else None

    def save_availability(self, availability: Availability, *, expected_version: int) -> Availability:
        """PutItem conditional on the version the therapist edited (0: none saved yet); Conflict otherwise."""
        saved = replace(availability, version=expected_version + 1, updated_at=utcnow())
        condition: ConditionBase = (
            Attr("bookingKey").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
        )
        try:
            self.db.put(BOOKINGS, _availability_to_item(saved), condition=condition)
        except Conflict:
            raise Conflict("Your hours were changed elsewhere since you opened this page.") from None
        return saved

    # --- claims -------------------------------------------------------------------------

    def _claim_item(self, session: TherapySession, series_id: str | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "therapistId": session.therapist_id,
            "bookingKey": claim_sort_key(session.scheduled_for),
            "sessionId": session.session_id,
            "expiresAt": epoch_seconds(session.ends_at + CLAIM_AFTERLIFE),
        }
        if series_id:
            item["seriesId"] = series_id
        return item

    def claim(self, therapist_id: str, start: datetime) -> Claim | None:
        item = self.db.get(
            BOOKINGS, {"therapistId": therapist_id, "bookingKey": claim_sort_key(start)}, consistent=True
        )
        if item is None:
            return None
        return Claim(therapist_id, start, item["sessionId"], item.get("seriesId"))

    def _stale_holder(self, session: TherapySession) -> str | None:
        """The session id a claim of this time names when that session no longer holds it (None: it does)."""
        held = self.claim(session.therapist_id, session.scheduled_for)
        if held is None:
            return ""  # released meanwhile: try again as if free
        holder = SessionRepository(self._gateway).get(held.session_id)
        if holder is not None and holder.status in HOLDING and holder.scheduled_for == session.scheduled_for:
            return None
        return held.session_id

    def create_claimed(
        self, session: TherapySession, *, idempotency_key: str, series_id: str | None = None
    ) -> tuple[TherapySession, bool]:
        """Store ``session`` and the claim of its time in one transaction (with the form's idempotency claim).

        Returns (the session, True) when stored now, (the first one, False) for a repeat of the form.
        Raises TimeTaken when another session holds the time.
        """
        owner = session_claim_owner(session)
        condition: ConditionBase = Attr("bookingKey").not_exists()
        for _ in range(3):
            claim_op = TransactPut(BOOKINGS, self._claim_item(session, series_id), condition)
            try:
                return create_once(
                    self.db,
                    key=session_claim_key(owner, idempotency_key),
                    target={"sessionId": session.session_id},
                    operations=[session_put_op(session), claim_op],
                    created=session,
                    load=self._load_session,
                )
            except TransactionCancelled as exc:
                reasons = exc.reasons + ["None"] * (3 - len(exc.reasons))
                if reasons[2] != "ConditionalCheckFailed":
                    raise
            stale = self._stale_holder(session)
            if stale is None:
                raise TimeTaken("This time was just taken.")
            condition = Attr("bookingKey").not_exists() if stale == "" else Attr("sessionId").eq(stale)
            logger.info(
                "claim of therapist %s at %s taken over from session %s",
                session.therapist_id,
                to_iso(session.scheduled_for),
                stale,
            )
        raise TimeTaken("This time was just taken.")

    def _load_session(self, key: dict[str, Any]) -> TherapySession | None:
        item = self.db.get(SESSIONS, key, consistent=True)
        return session_from_item(item) if item else None

    def update_releasing(self, session: TherapySession, *, expected_version: int) -> TherapySession:
        """Update a session to a status that frees its time, deleting its claim in the same transaction.

        The delete is conditional on the claim being absent or naming this session, so a free-form
        session (which never claimed) or a claim now held by another session stays as it is.
        """
        now = utcnow()
        claim_key = {"therapistId": session.therapist_id, "bookingKey": claim_sort_key(session.scheduled_for)}
        release = TransactDelete(
            BOOKINGS, claim_key, Attr("bookingKey").not_exists() | Attr("sessionId").eq(session.session_id)
        )
        operations: list[TransactOp] = [session_update_op(session, expected_version=expected_version), release]
        for attempt in range(_ATTEMPTS):
            try:
                self.db.transact_write(operations)
            except TransactionCancelled as exc:
                reasons = exc.reasons + ["None"] * (2 - len(exc.reasons))
                if reasons[0] == "ConditionalCheckFailed":
                    self._refused(session, expected_version)
                if reasons[1] == "ConditionalCheckFailed":
                    # The time's claim names another session: it is not ours to release.
                    return SessionRepository(self._gateway).update(session, expected_version=expected_version)
                if not exc.busy:
                    raise
                if attempt == _ATTEMPTS - 1:
                    raise busy_database(exc) from exc
                clock.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
                continue
            return replace(session, version=expected_version + 1, updated_at=now)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def update_moving(
        self, session: TherapySession, *, previous_start: datetime, expected_version: int
    ) -> TherapySession:
        """Move a session to a new time: its update (reminders reset), the release of the old time's claim
        (when it names this session) and the claim of the new time, in one transaction.

        Raises TimeTaken when another session holds the new time. A session that never claimed (typed in
        by hand) claims its new time all the same, so nothing is booked over it from then on.
        """
        if session.scheduled_for == previous_start:
            return SessionRepository(self._gateway).update(
                session, expected_version=expected_version, reset_reminders=True
            )
        now = utcnow()
        mine = Attr("bookingKey").not_exists() | Attr("sessionId").eq(session.session_id)
        old_key = {"therapistId": session.therapist_id, "bookingKey": claim_sort_key(previous_start)}
        release: TransactOp | None = TransactDelete(BOOKINGS, old_key, mine)
        claim_condition: ConditionBase = mine
        for attempt in range(_ATTEMPTS):
            operations: list[TransactOp] = [
                session_update_op(session, expected_version=expected_version, reset_reminders=True),
                TransactPut(BOOKINGS, self._claim_item(session, None), claim_condition),
            ]
            if release is not None:
                operations.append(release)
            try:
                self.db.transact_write(operations)
            except TransactionCancelled as exc:
                reasons = exc.reasons + ["None"] * (3 - len(exc.reasons))
                if reasons[0] == "ConditionalCheckFailed":
                    self._refused(session, expected_version)
                if reasons[2] == "ConditionalCheckFailed":
                    release = None  # the old time's claim is another session's: leave it
                    continue
                if reasons[1] == "ConditionalCheckFailed":
                    stale = self._stale_holder(session)
                    if stale is None:
                        raise TimeTaken("This time was just taken.") from None
                    claim_condition = mine if stale == "" else mine | Attr("sessionId").eq(stale)
                    continue
                if not exc.busy:
                    raise
                if attempt == _ATTEMPTS - 1:
                    raise busy_database(exc) from exc
                clock.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
                continue
            return replace(session, version=expected_version + 1, updated_at=now)
        raise TimeTaken("This time was just taken.")

    def _refused(self, session: TherapySession, expected_version: int) -> None:
        current = SessionRepository(self._gateway).get(session.session_id)
        if current is None:
            raise NotFound("No such session.") from None
        if current.version == expected_version:
            check_session_transition(current.status, session.status)
        raise Conflict("This session was changed by someone else since you opened it.") from None

    def busy_times(
        self, therapist_id: str, start: datetime, end: datetime, *, limit: int = 100
    ) -> list[tuple[datetime, datetime]]:
        """(start, end) of the therapist's sessions that hold a time and may overlap [start, end): one Query
        of the agenda index reading only times and statuses (no clinical text, so no data key is read)."""
        result = self.db.query(
            SESSIONS,
            Key("therapistId").eq(therapist_id)
            & Key("scheduledFor").between(to_iso(start - timedelta(minutes=MAX_SESSION_MINUTES)), to_iso(end)),
            index="GSI_Session_ByTherapist",
            limit=limit,
            filter_condition=Attr("status").is_in(sorted(str(s) for s in HOLDING)),
            projection=("scheduledFor", "durationMinutes", "status"),
        )
        found = []
        for item in result.items:
            begins = from_iso(item["scheduledFor"])
            ends = begins + timedelta(minutes=int(Decimal(item.get("durationMinutes", 50))))
            if begins < end and ends > start:
                found.append((begins, ends))
        return found

    # --- series ---------------------------------------------------------------------------

    def save_series(self, series: Series) -> None:
        """The list of a series' occurrences (written once they are all stored; a repeat rewrites the same)."""
        last = max(start for start, _ in series.occurrences)
        self.db.put(
            BOOKINGS,
            {
                "therapistId": series.therapist_id,
                "bookingKey": "series#" + series.series_id,
                "clientId": series.client_id,
                "occurrences": [f"{to_iso(start)}|{sid}" for start, sid in series.occurrences],
                "expiresAt": epoch_seconds(last + CLAIM_AFTERLIFE),
            },
        )

    def series(self, therapist_id: str, series_id: str) -> Series | None:
        item = self.db.get(
            BOOKINGS, {"therapistId": therapist_id, "bookingKey": "series#" + series_id}, consistent=True
        )
        if item is None:
            return None
        occurrences = []
        for text in item.get("occurrences", []):
            start, _, sid = text.partition("|")
            occurrences.append((from_iso(start), sid))
        return Series(series_id, therapist_id, item["clientId"], tuple(sorted(occurrences)))

    # --- waitlist ---------------------------------------------------------------------------

    def wait(self, request: WaitRequest) -> None:
        """Record (or renew) a client's wish to hear of a time opening between two days."""
        self.db.put(
            BOOKINGS,
            {
                "therapistId": request.therapist_id,
                "bookingKey": f"wait#{request.client_id}",
                "clientId": request.client_id,
                "firstDay": request.first_day.isoformat(),
                "lastDay": request.last_day.isoformat(),
                "expiresAt": epoch_seconds(datetime.combine(request.last_day, time(0), tzinfo=UTC) + timedelta(days=2)),
            },
        )

    def waiting(self, therapist_id: str) -> list[WaitRequest]:
        result = self.db.query(
            BOOKINGS,
            Key("therapistId").eq(therapist_id) & Key("bookingKey").begins_with("wait#"),
            limit=WAITLIST_LIMIT,
            consistent=True,
        )
        return [
            WaitRequest(
                therapist_id=item["therapistId"],
                client_id=item["clientId"],
                first_day=date.fromisoformat(item["firstDay"]),
                last_day=date.fromisoformat(item["lastDay"]),
            )
            for item in result.items
        ]

    def stop_waiting(self, therapist_id: str, client_id: str) -> bool:
        """Remove a waiting client; False when another run removed them first (so each is emailed once)."""
        return self.db.delete_existing(BOOKINGS, {"therapistId": therapist_id, "bookingKey": f"wait#{client_id}"})
