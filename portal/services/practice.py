"""Who works with whom: a client's therapists and a therapist's clients, with names.

Each listing is one Query for a page of mappings plus one BatchGetItem for
the names on that page, however many mappings there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.domain import Client, Mapping, Page, Therapist
from portal.dynamo.clients import ClientRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.therapists import TherapistRepository

PAGE_SIZE = 25


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
    mappings = MappingRepository().list_for_client(client_id, limit=PAGE_SIZE, cursor=cursor)
    therapists = TherapistRepository().get_many(m.therapist_id for m in mappings.items) if mappings.items else {}
    return Page(
        items=[
            TherapistOfClient(m, therapists[m.therapist_id])
            for m in mappings.items
            if m.therapist_id in therapists
        ],
        next_cursor=mappings.next_cursor,
    )


def therapist_clients_page(*, therapist_id: str, cursor: str | None = None) -> Page[ClientOfTherapist]:
    mappings = MappingRepository().list_for_therapist(therapist_id, limit=PAGE_SIZE, cursor=cursor)
    clients = ClientRepository().get_many(m.client_id for m in mappings.items) if mappings.items else {}
    return Page(
        items=[ClientOfTherapist(m, clients[m.client_id]) for m in mappings.items if m.client_id in clients],
        next_cursor=mappings.next_cursor,
    )
