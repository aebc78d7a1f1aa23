"""MappingRepository: Map / Unmap (PutItem, DeleteItem) and both listings of ClientTherapistMapping."""

from __future__ import annotations

from portal.domain import Mapping, MappingStatus
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.mappings import MappingRepository
from portal.ids import new_id


def _pairs(mappings: list[Mapping]) -> list[tuple[str, str, MappingStatus]]:
    return [(m.client_id, m.therapist_id, m.status) for m in mappings]


def test_it_puts_each_status_and_a_new_put_replaces_the_old_one(dynamo: DynamoGateway) -> None:
    repo = MappingRepository()
    client_id, therapist_id = new_id(), new_id()

    for status in (MappingStatus.PENDING, MappingStatus.ACTIVE, MappingStatus.BLOCKED):
        written = repo.put(client_id, therapist_id, status)
        stored = repo.get(client_id, therapist_id)
        assert stored == written
        assert stored is not None and stored.status is status

    # One pair is one item, whatever its history.
    items = dynamo.client.scan(TableName=dynamo.table_name(schema.MAPPINGS))["Items"]
    assert len(items) == 1
    assert items[0]["status"] == {"S": "blocked"}


def test_it_lists_the_therapists_of_a_client_and_the_clients_of_a_therapist(
    dynamo: DynamoGateway,
) -> None:
    repo = MappingRepository()
    client_a, client_b, client_c = sorted(new_id() for _ in range(3))
    therapist_x, therapist_y = sorted(new_id() for _ in range(2))
    repo.put(client_a, therapist_x, MappingStatus.ACTIVE)
    repo.put(client_a, therapist_y, MappingStatus.PENDING)
    repo.put(client_b, therapist_x, MappingStatus.BLOCKED)
    repo.put(client_c, therapist_y, MappingStatus.ACTIVE)

    with count_dynamodb_calls() as calls:
        of_client = repo.list_for_client(client_a)
        of_therapist = repo.list_for_therapist(therapist_x)
    assert calls.by_operation() == {"Query": 2}

    # Both come back sorted by the other side's id (the sort keys of the table and the GSI).
    assert _pairs(of_client.items) == [
        (client_a, therapist_x, MappingStatus.ACTIVE),
        (client_a, therapist_y, MappingStatus.PENDING),
    ]
    assert _pairs(of_therapist.items) == [
        (client_a, therapist_x, MappingStatus.ACTIVE),
        (client_b, therapist_x, MappingStatus.BLOCKED),
    ]
    assert of_client.next_cursor is None and of_therapist.next_cursor is None

    # The GSI pages too: its cursor carries the index key as well as the table's.
    first = repo.list_for_therapist(therapist_x, limit=1)
    second = repo.list_for_therapist(therapist_x, limit=1, cursor=first.next_cursor)
    assert [m.client_id for m in first.items + second.items] == [client_a, client_b]


def test_it_deletes_a_mapping_from_the_table_and_from_both_listings(dynamo: DynamoGateway) -> None:
    repo = MappingRepository()
    client_id, therapist_id, other_therapist = new_id(), new_id(), new_id()
    repo.put(client_id, therapist_id, MappingStatus.ACTIVE)
    repo.put(client_id, other_therapist, MappingStatus.ACTIVE)

    assert repo.delete(client_id, therapist_id) is True

    assert repo.get(client_id, therapist_id) is None
    assert [m.therapist_id for m in repo.list_for_client(client_id).items] == [other_therapist]
    assert repo.list_for_therapist(therapist_id).items == []
    # Unmapping twice is harmless and says there was nothing left to delete.
    assert repo.delete(client_id, therapist_id) is False
    assert repo.get(client_id, other_therapist) is not None
