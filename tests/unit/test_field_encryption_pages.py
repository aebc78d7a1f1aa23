"""Clinical text on pages: one key read a page, and a clear page for tampered text."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.data_keys import DataKeyRepository
from portal.dynamo.field_crypto import client_key_owner
from portal.dynamo.gateway import DynamoGateway
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account


@pytest.fixture
def client_user(dynamo: DynamoGateway, client: HttpClient):
    user = make_account(AccountKind.CLIENT)
    log_in(client, user)
    return user


def _add(user, note: str, minutes_ago: int = 5):
    return journal_entry_create(
        client_id=user.account_id,
        time_of_emotion=utcnow() - timedelta(minutes=minutes_ago),
        feeling="calm",
        intensity=4,
        note=note,
    )


def test_it_reads_the_clients_data_key_once_for_a_whole_journal_page(client_user, client, dynamo) -> None:
    _add(client_user, "the only note")
    with count_dynamodb_calls() as one_note:
        assert client.get("/client/journal/").status_code == 200
    for i in range(12):
        _add(client_user, f"note number {i}", minutes_ago=i + 1)

    with count_dynamodb_calls() as calls:
        response = client.get("/client/journal/")

    assert response.status_code == 200
    body = response.content.decode()
    assert all(f"note number {i}" in body for i in range(12))
    # Thirteen notes cost what one did: the key is read and unwrapped once.
    assert calls.by_operation() == one_note.by_operation()


def test_it_shows_a_clear_page_for_a_note_moved_to_another_entry(client_user, client, dynamo, caplog) -> None:
    secret = _add(client_user, "words meant for the first entry only")
    other = _add(client_user, "other words", minutes_ago=10)
    table = dynamo.table_name(schema.JOURNAL)
    raw = dynamo.client.get_item(
        TableName=table, Key={"clientId": {"S": secret.client_id}, "journalEntryId": {"S": secret.entry_id}}
    )["Item"]
    dynamo.client.update_item(
        TableName=table,
        Key={"clientId": {"S": other.client_id}, "journalEntryId": {"S": other.entry_id}},
        UpdateExpression="SET note = :n",
        ExpressionAttributeValues={":n": raw["note"]},
    )

    with caplog.at_level(logging.INFO):
        response = client.get("/client/journal/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "This record cannot be read" in body
    assert "words meant" not in body and "other words" not in body
    assert "words meant" not in caplog.text


def test_it_keeps_no_key_between_requests_so_a_destroyed_key_dies_at_once(client_user, client, dynamo) -> None:
    _add(client_user, "words before the key goes")
    assert "words before the key goes" in client.get("/client/journal/").content.decode()

    DataKeyRepository().destroy(client_key_owner(client_user.account_id))
    body = client.get("/client/journal/").content.decode()

    assert "words before the key goes" not in body
    assert "Removed at the client&#x27;s request." in body
