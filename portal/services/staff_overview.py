"""What staff read: accounts, relationships, the session schedule and the audit log.

Identity and metadata only. Nothing here reads a journal note, a session
title or note, or a message body: sessions are scanned with a projection
that leaves those attributes in the database. Every page costs a fixed number
of DynamoDB calls (a Query or one Scan page, then BatchGetItem for names).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from portal.accounts.user import User, user_key
from portal.domain import (
    AccountKind,
    AuditEvent,
    DomainError,
    Mapping,
    MappingStatus,
    NotFound,
    Page,
    SessionSchedule,
    Therapist,
)
from portal.dynamo.audit import AuditRepository
from portal.dynamo.clients import ClientRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.staff import StaffRepository
from portal.dynamo.therapists import TherapistRepository
from portal.dynamo.web_sessions import WebSessionRepository
from portal.ids import is_valid_id
from portal.policy import own_staff_id
from portal.services.staff_admin import administered_account

PAGE_SIZE = 25
# Counting relationships reads one page of the mapping list; more shows as "100+".
COUNT_LIMIT = 100
RECENT_EVENTS = 10


class InvalidAuditQuery(DomainError):
    pass


@dataclass(frozen=True)
class AccountOverview:
    kind: AccountKind
    account_id: str
    name: str
    email: str
    created_at: datetime | None
    email_verified: bool
    mfa_enabled: bool
    deactivated: bool
    last_login_at: datetime | None
    listed: bool | None  # therapists only
    specialization: str
    active_sessions: int
    relationship_counts: dict[str, int]
    relationships_more: bool
    recent_events: list[AuditEvent]


def staff_account_overview(*, staff: User, kind: str, account_id: str) -> AccountOverview:
    """One consistent GetItem, one Query each for sessions, relationships and recent events."""
    own_staff_id(staff)
    parsed, account = administered_account(kind, account_id)
    sessions = WebSessionRepository().list_for_account(user_key(parsed, account_id), limit=COUNT_LIMIT)
    mappings = _mappings_page(parsed, account_id, limit=COUNT_LIMIT, cursor=None)
    counts = {str(status): 0 for status in MappingStatus}
    for mapping in mappings.items:
        counts[str(mapping.status)] = counts.get(str(mapping.status), 0) + 1
    events = AuditRepository().list_for_subject(account_id, limit=RECENT_EVENTS).items
    return AccountOverview(
        kind=parsed,
        account_id=account_id,
        name=account.name,
        email=account.email,
        created_at=account.created_at,
        email_verified=account.email_verified,
        mfa_enabled=bool(account.mfa_secret),
        deactivated=account.deactivated,
        last_login_at=account.last_login_at,
        listed=account.listed if parsed is AccountKind.THERAPIST else None,
        specialization=getattr(account, "specialization", ""),
        active_sessions=len(sessions),
        relationship_counts=counts,
        relationships_more=mappings.next_cursor is not None,
        recent_events=events,
    )


def _mappings_page(kind: AccountKind, account_id: str, *, limit: int, cursor: str | None) -> Page[Mapping]:
    repository = MappingRepository()
    if kind is AccountKind.CLIENT:
        return repository.list_for_client(account_id, limit=limit, cursor=cursor)
    return repository.list_for_therapist(account_id, limit=limit, cursor=cursor)


@dataclass(frozen=True)
class RelationshipRow:
    other_kind: AccountKind
    other_id: str
    other_name: str
    status: str
    updated_at: datetime | None


@dataclass(frozen=True)
class RelationshipsPage:
    kind: AccountKind
    account_id: str
    name: str
    rows: list[RelationshipRow]
    next_cursor: str | None


def staff_relationships_page(
    *, staff: User, kind: str, account_id: str, cursor: str | None = None
) -> RelationshipsPage:
    """A client's therapists or a therapist's clients: names and statuses, nothing else."""
    own_staff_id(staff)
    parsed, account = administered_account(kind, account_id)
    page = _mappings_page(parsed, account_id, limit=PAGE_SIZE, cursor=cursor)
    if parsed is AccountKind.CLIENT:
        other_kind = AccountKind.THERAPIST
        other_ids = [m.therapist_id for m in page.items]
        names = {i: t.name for i, t in TherapistRepository().get_many(other_ids).items()}
    else:
        other_kind = AccountKind.CLIENT
        other_ids = [m.client_id for m in page.items]
        names = {i: c.name for i, c in ClientRepository().get_many(other_ids).items()}
    rows = [
        RelationshipRow(
            other_kind=other_kind,
            other_id=other_id,
            other_name=names.get(other_id, "(account removed)"),
            status=str(mapping.status),
            updated_at=mapping.updated_at,
        )
        for mapping, other_id in zip(page.items, other_ids, strict=True)
    ]
    return RelationshipsPage(parsed, account_id, account.name, rows, page.next_cursor)


@dataclass(frozen=True)
class SessionRow:
    schedule: SessionSchedule
    therapist_name: str
    client_name: str


def staff_sessions_page(*, staff: User, therapist_id: str, cursor: str | None = None) -> Page[SessionRow]:
    """List All Sessions, one therapist at a time: a page of one Query of the therapist index
    (never a Scan: the web servers' role has none on Session), then client names in one batch."""
    own_staff_id(staff)
    if not is_valid_id(therapist_id):
        raise NotFound("No such therapist.")
    therapist = TherapistRepository().get(therapist_id)
    if therapist is None:
        raise NotFound("No such therapist.")
    page = SessionRepository().list_schedules_by_therapist(therapist_id, limit=PAGE_SIZE, cursor=cursor)
    clients = ClientRepository().get_many({s.client_id for s in page.items})
    rows = [
        SessionRow(
            schedule=s,
            therapist_name=therapist.name,
            client_name=clients[s.client_id].name if s.client_id in clients else "(removed)",
        )
        for s in page.items
    ]
    return Page(rows, page.next_cursor)


def staff_session_therapists(*, staff: User, cursor: str | None = None) -> Page[Therapist]:
    """The therapists whose sessions staff may list: a page of the Therapists table."""
    own_staff_id(staff)
    return TherapistRepository().list_page(limit=PAGE_SIZE, cursor=cursor)


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_name: str
    subject_name: str
    subject_kind: AccountKind | None


def _names(
    client_ids: Iterable[str], therapist_ids: Iterable[str], staff_ids: Iterable[str]
) -> dict[tuple[AccountKind, str], str]:
    found: dict[tuple[AccountKind, str], str] = {}
    for cid, c in ClientRepository().get_many(set(client_ids)).items():
        found[(AccountKind.CLIENT, cid)] = c.name
    for tid, t in TherapistRepository().get_many(set(therapist_ids)).items():
        found[(AccountKind.THERAPIST, tid)] = t.name
    for sid, m in StaffRepository().get_many(set(staff_ids)).items():
        found[(AccountKind.STAFF, sid)] = m.name
    return found


def _parse_actor(actor: str) -> tuple[AccountKind, str]:
    kind, _, actor_id = actor.partition(":")
    try:
        parsed = AccountKind(kind)
    except ValueError:
        raise InvalidAuditQuery("Name the actor as kind:id, e.g. staff:01H….") from None
    if not is_valid_id(actor_id):
        raise InvalidAuditQuery("That is not an account id.")
    return parsed, actor_id


def staff_audit_page(
    *,
    staff: User,
    subject: str = "",
    actor: str = "",
    day: date | None = None,
    cursor: str | None = None,
) -> Page[AuditRow]:
    """Audit events by subject account, by actor ("kind:id") or by UTC day; newest first.

    One Query of the audit table or one of its indexes, then names in up to
    three batches. With nothing chosen it shows ``day``'s events.
    """
    own_staff_id(staff)
    audit = AuditRepository()
    if subject:
        if not is_valid_id(subject):
            raise InvalidAuditQuery("That is not an account id.")
        page = audit.list_for_subject(subject, limit=PAGE_SIZE, cursor=cursor)
    elif actor:
        kind, actor_id = _parse_actor(actor)
        page = audit.list_by_actor(kind, actor_id, limit=PAGE_SIZE, cursor=cursor)
    elif day is not None:
        page = audit.list_by_day(day, limit=PAGE_SIZE, cursor=cursor)
    else:
        raise InvalidAuditQuery("Choose a subject, an actor or a day.")
    clients: set[str] = set()
    therapists: set[str] = set()
    staff_ids: set[str] = set()
    by_kind = {AccountKind.CLIENT: clients, AccountKind.THERAPIST: therapists, AccountKind.STAFF: staff_ids}
    for event in page.items:
        by_kind[event.actor_kind].add(event.actor_id)
        # The subject's kind is not stored on every event; look it up in both tables.
        clients.add(event.subject_id)
        therapists.add(event.subject_id)
    names = _names(clients, therapists, staff_ids)
    rows: list[AuditRow] = []
    for event in page.items:
        subject_kind = next(
            (k for k in (AccountKind.CLIENT, AccountKind.THERAPIST) if (k, event.subject_id) in names), None
        )
        rows.append(
            AuditRow(
                event=event,
                actor_name=names.get((event.actor_kind, event.actor_id), ""),
                subject_name=names.get((subject_kind, event.subject_id), "") if subject_kind else "",
                subject_kind=subject_kind,
            )
        )
    return Page(rows, page.next_cursor)

