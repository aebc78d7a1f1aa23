"""Who may see what: the one place access rules live.

Every rule starts from the logged-in user. A client sees only their own data;
a therapist sees a client's shared entries, sessions and messages only while
their mapping is active; private notes are seen by their therapist alone;
staff see accounts and metadata, never journal text, notes or message bodies.
A rule that fails for someone else's id raises Http404, so an id in a URL
tells nobody whether it exists.
"""

from __future__ import annotations

from django.http import Http404

from portal.accounts.user import User
from portal.domain import AccountKind, DomainError, Mapping, MappingStatus, Relationship, Side, TherapySession
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.sessions import SessionRepository


class NotAllowed(DomainError):
    """The user may not do this (yet), for a reason they can act on."""


def own_client_id(user: User) -> str:
    if not user.is_authenticated or user.kind is not AccountKind.CLIENT:
        raise Http404
    return user.account_id


def own_therapist_id(user: User) -> str:
    if not user.is_authenticated or user.kind is not AccountKind.THERAPIST:
        raise Http404
    return user.account_id


def own_staff_id(user: User) -> str:
    """The staff member's id; anyone else gets 404 (views refuse them earlier with 403)."""
    if not user.is_authenticated or user.kind is not AccountKind.STAFF:
        raise Http404
    return user.account_id


def may_turn_off_mfa(user: User) -> bool:
    """Two-factor is the client's choice; therapists and staff must keep it."""
    return user.is_authenticated and user.kind is AccountKind.CLIENT


def own_data_subject(user: User) -> tuple[AccountKind, str]:
    """Whose data an export is: the logged-in client's or therapist's own, nobody else's.

    Staff accounts hold no personal records to take away.
    """
    if not user.is_authenticated or user.kind not in (AccountKind.CLIENT, AccountKind.THERAPIST):
        raise Http404
    return user.kind, user.account_id


def active_mapping_for_therapist(user: User, client_id: str) -> Mapping:
    """The active mapping between this therapist and ``client_id``, or 404."""
    therapist_id = own_therapist_id(user)
    mapping = MappingRepository().get(client_id, therapist_id)
    if mapping is None or mapping.status is not MappingStatus.ACTIVE:
        raise Http404
    return mapping


def active_care_record_for_therapist(user: User, client_id: str) -> Relationship | None:
    """404 unless this therapist's mapping with ``client_id`` is active; the pair's relationship record.

    Both in one consistent BatchGetItem: the shared entries decide from the
    mapping and mark what is new from the record's last visit.
    """
    therapist_id = own_therapist_id(user)
    mapping, record = MappingRepository().get_with_relationship(client_id, therapist_id)
    if mapping is None or mapping.status is not MappingStatus.ACTIVE:
        raise Http404
    return record


def side_of(user: User) -> Side:
    """Which side of a care relationship this user is on; staff are on neither (404)."""
    if user.is_authenticated and user.kind is AccountKind.CLIENT:
        return Side.CLIENT
    if user.is_authenticated and user.kind is AccountKind.THERAPIST:
        return Side.THERAPIST
    raise Http404


def pair_for(user: User, other_id: str) -> tuple[str, str]:
    """(client id, therapist id) of the pair between this user and ``other_id``."""
    if side_of(user) is Side.CLIENT:
        return user.account_id, other_id
    return other_id, user.account_id


def relationship_for_client(user: User, therapist_id: str) -> Mapping | None:
    """This client's mapping with ``therapist_id`` as it is now (consistent), or None."""
    return MappingRepository().get(own_client_id(user), therapist_id)


def relationship_for_therapist(user: User, client_id: str) -> Mapping:
    """This therapist's mapping with ``client_id`` in any status, or 404.

    For answering a request and managing the relationship; never for reading
    the client's data (that is ``active_mapping_for_therapist``).
    """
    mapping = MappingRepository().get(client_id, own_therapist_id(user))
    if mapping is None:
        raise Http404
    return mapping


def relationship_of(user: User, other_id: str) -> Mapping:
    """The mapping between this user (either side) and ``other_id``, or 404."""
    client_id, therapist_id = pair_for(user, other_id)
    mapping = MappingRepository().get(client_id, therapist_id)
    if mapping is None:
        raise Http404
    return mapping


def active_mapping_for_client(user: User, therapist_id: str) -> Mapping:
    """The active mapping between this client and ``therapist_id``, or 404."""
    client_id = own_client_id(user)
    mapping = MappingRepository().get(client_id, therapist_id)
    if mapping is None or mapping.status is not MappingStatus.ACTIVE:
        raise Http404
    return mapping


def journal_readers(user: User) -> list[Mapping]:
    """The therapists who can read this client's shared entries right now (active only).

    One consistent Query of the client's mappings (a client has few); the names
    on the items say who, without a read per entry.
    """
    mappings = MappingRepository().list_for_client(own_client_id(user), limit=100).items
    return [m for m in mappings if m.status is MappingStatus.ACTIVE]


def care_is_active(client_id: str, therapist_id: str) -> bool:
    """Booking and changing sessions need an active mapping (a consistent read of it)."""
    mapping = MappingRepository().get(client_id, therapist_id)
    return mapping is not None and mapping.status is MappingStatus.ACTIVE


def care_with_record(client_id: str, therapist_id: str) -> tuple[bool, Relationship | None]:
    """Whether care is active, and the pair's relationship record, in one consistent read.

    For a session page that decides from the mapping and shows what the record
    keeps (the previous session's time) without a second round trip.
    """
    mapping, record = MappingRepository().get_with_relationship(client_id, therapist_id)
    return mapping is not None and mapping.status is MappingStatus.ACTIVE, record


def require_active_care(client_id: str, therapist_id: str) -> None:
    if not care_is_active(client_id, therapist_id):
        raise NotAllowed("Sessions can be arranged only while you work together.")


def session_for_client(user: User, session_id: str) -> TherapySession:
    """One of the client's own sessions (past ones of an ended relationship too), or 404."""
    client_id = own_client_id(user)
    session = SessionRepository().get(session_id)
    if session is None or session.client_id != client_id:
        raise Http404
    return session


def session_for_therapist(user: User, session_id: str) -> TherapySession:
    """One of the therapist's own sessions, or 404. Private notes are theirs alone."""
    therapist_id = own_therapist_id(user)
    session = SessionRepository().get(session_id)
    if session is None or session.therapist_id != therapist_id:
        raise Http404
    return session


def require_verified_email(user: User, action: str) -> None:
    """Sending messages and sharing entries wait until the email is confirmed."""
    if not user.email_verified:
        raise NotAllowed(f"Please confirm your email address before you {action}.")


def may_read_clinical_content(user: User) -> bool:
    """Staff administer accounts; journal text, notes and messages are not theirs to read."""
    return user.is_authenticated and user.kind is not AccountKind.STAFF


def may_read_note(user: User, session: TherapySession, kind: str) -> bool:
    """The session's therapist reads both notes; its client the shared one only; nobody else either.

    Private progress notes never reach the client or staff, whatever page asks.
    """
    if not user.is_authenticated:
        return False
    if user.kind is AccountKind.THERAPIST:
        return session.therapist_id == user.account_id
    if user.kind is AccountKind.CLIENT:
        return session.client_id == user.account_id and kind == "shared"
    return False
