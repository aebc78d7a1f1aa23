"""Creating once per idempotency key (portal/dynamo/idempotency.py), through the journal's add_once."""

from __future__ import annotations

import pytest

from portal.domain import DuplicateSubmission
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.idempotency import claimed_target
from portal.dynamo.journal import JournalRepository
from portal.ids import new_id
from tests.factories import make_entry


def _count(dynamo: DynamoGateway, client_id: str) -> int:
    response = dynamo.client.query(
        TableName=dynamo.table_name(schema.JOURNAL),
        KeyConditionExpression="clientId = :c",
        ExpressionAttributeValues={":c": {"S": client_id}},
        ConsistentRead=True,
    )
    return int(response["Count"])


def test_it_stores_the_entry_and_its_claim_in_one_transaction(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    entry = make_entry(note="first try")
    repo.add(make_entry(client_id=entry.client_id, note="made the client's data key"))
    key = new_id()
    with count_dynamodb_calls() as calls:
        stored, created = repo.add_once(entry, key)
    # One transaction, and the client's data key read to encrypt the note.
    assert calls.by_operation() == {"TransactWriteItems": 1, "GetItem": 1}
    assert created and stored == entry
    assert repo.get(entry.client_id, entry.entry_id) == entry
    assert claimed_target(dynamo, f"journal:{entry.client_id}:{key}") == {
        "clientId": entry.client_id,
        "journalEntryId": entry.entry_id,
    }


def test_it_returns_the_first_entry_when_a_key_is_sent_again(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id, key = new_id(), new_id()
    first, _ = repo.add_once(make_entry(client_id=client_id, note="sent twice"), key)
    again, created = repo.add_once(make_entry(client_id=client_id, note="sent twice"), key)
    assert not created and again == first
    assert _count(dynamo, client_id) == 1
    other, created = repo.add_once(make_entry(client_id=client_id), new_id())
    assert created and other.entry_id != first.entry_id
    assert _count(dynamo, client_id) == 2


def test_it_scopes_a_key_to_its_client(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    key = new_id()
    mine, _ = repo.add_once(make_entry(note="mine"), key)
    theirs, created = repo.add_once(make_entry(note="theirs"), key)
    # Another client's identical key neither reaches nor blocks my entry.
    assert created and theirs.client_id != mine.client_id and theirs.note == "theirs"


def test_it_never_recreates_an_entry_deleted_since_its_form_was_sent(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    key = new_id()
    entry, _ = repo.add_once(make_entry(), key)
    repo.delete(entry.client_id, entry.entry_id)
    with pytest.raises(DuplicateSubmission):
        repo.add_once(make_entry(client_id=entry.client_id), key)
    assert _count(dynamo, entry.client_id) == 0
