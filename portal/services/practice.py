"""Who works with whom: a client's therapists and a therapist's clients.

Every listing reads the names copied onto the mapping items, so a page is a
fixed number of Queries however many relationships there are:

* a client's therapists: one Query of their mappings (a client has few), one
  Query of their relationship records (for former therapists);
* a therapist's clients: one Query of the sparse GSI of pending items (the
  requests waiting for an answer) and one budgeted Query of the mapping GSI
  for the page of clients.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.accounts.user import User
from portal.domain import Client, Mapping, MappingStatus, Page, Relationship, Side, Therapist
from portal.dynamo.clients import ClientRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.therapists import TherapistRepository
from portal.policy import own_client_id, own_therapist_id

PAGE_SIZE = 25
# A client has few therapists; more than this many at once is not a practice we serve.
CLIENT_MAPPINGS_LIMIT = 50
WAITING_LIMIT = 50


@dataclass(frozen=True)
class ClientTherapists:
    current: list[Mapping]
    former: list[Relationship]

    @property
    def active(self) -> list[Mapping]:
        return [m for m in self.current if m.status is MappingStatus.ACTIVE]

    @property
    def invitations(self) -> list[Mapping]:
        return [m for m in self.current if m.awaits_answer_from(Side.CLIENT)]


@dataclass(frozen=True)
class TherapistClients:
    waiting: list[Mapping]  # requests this therapist answers
    invited: list[Mapping]  # invitations this therapist sent, not answered yet
    more_waiting: bool
    clients: Page[Mapping]  # active and blocked


def client_therapists(*, user: User) -> ClientTherapists:
    client_id = own_client_id(user)
    current = MappingRepository().list_for_client(client_id, limit=CLIENT_MAPPINGS_LIMIT).items
    now_mapped = {m.therapist_id for m in current}
    records = RelationshipRepository().list_for_client(client_id, limit=CLIENT_MAPPINGS_LIMIT).items
    former = sorted(
        (r for r in records if r.was_active and r.therapist_id not in now_mapped),
        key=lambda r: r.ended_at or r.active_since or r.last_activity_at,  # type: ignore[arg-type, return-value]
        reverse=True,
    )
    return ClientTherapists(current=current, former=former)


def therapist_clients(*, user: User, cursor: str | None = None) -> TherapistClients:
    therapist_id = own_therapist_id(user)
    mappings = MappingRepository()
    pending = mappings.list_pending_for_therapist(therapist_id, limit=WAITING_LIMIT)
    clients = mappings.list_for_therapist(therapist_id, limit=PAGE_SIZE, cursor=cursor, without_pending=True)
    return TherapistClients(
        waiting=[m for m in pending.items if m.awaits_answer_from(Side.THERAPIST)],
        invited=[m for m in pending.items if m.requested_by is Side.THERAPIST],
        more_waiting=pending.next_cursor is not None,
        clients=clients,
    )


# --- with the accounts themselves (the sessions pages pick a client or therapist from these) ---------


@dataclass(frozen=True)
class TherapistOfClient:
    mapping: Mapping
    therapist: Therapist


@dataclass(frozen=True)
class ClientOfTherapist:
    mapping: Mapping
    client: Client


@dataclass(frozen=True)
class ClientShown:
    """What a therapist's page shows of a client: the account record also holds credentials."""

    client_id: str
    name: str
    time_zone: str


def client_shown_to_therapist(*, client_id: str) -> ClientShown | None:
    """The client's name and time zone, for a page whose access check has already passed."""
    client = ClientRepository().get(client_id)
    if client is None:
        return None
    return ClientShown(client_id=client.client_id, name=client.name, time_zone=client.time_zone)


def client_therapists_page(*, client_id: str, cursor: str | None = None) -> Page[TherapistOfClient]:
    """One Query of mappings and one BatchGetItem of the therapists on that page."""
    mappings = MappingRepository().list_for_client(client_id, limit=PAGE_SIZE, cursor=cursor)
    therapists = TherapistRepository().get_many(m.therapist_id for m in mappings.items) if mappings.items else {}
    return Page(
        items=[
            TherapistOfClient(m, therapists[m.therapist_id]) for m in mappings.items if m.therapist_id in therapists
        ],
        next_cursor=mappings.next_cursor,
    )


def therapist_clients_page(*, therapist_id: str, cursor: str | None = None) -> Page[ClientOfTherapist]:
    """One Query of mappings and one BatchGetItem of the clients on that page."""
    mappings = MappingRepository().list_for_therapist(therapist_id, limit=PAGE_SIZE, cursor=cursor)
    clients = ClientRepository().get_many(m.client_id for m in mappings.items) if mappings.items else {}
    return Page(
        items=[ClientOfTherapist(m, clients[m.client_id]) for m in mappings.items if m.client_id in clients],
        next_cursor=mappings.next_cursor,
    )
