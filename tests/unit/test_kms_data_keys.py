"""Data keys made and unwrapped by AWS KMS (moto's KMS): one call per key per request, bound to its owner."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from django.test import Client as HttpClient

from portal.domain import AccountKind, DatabaseUnavailable, UnreadableText, is_erased
from portal.dynamo import connection, schema
from portal.dynamo.data_keys import DataKeyRepository, StoredDataKey
from portal.dynamo.field_crypto import (
    KeyRing,
    client_key_owner,
    data_key_scope,
    decrypt_text,
    encrypt_text,
    field_context,
    rotate_page,
)
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.kms_keys import CONTEXT_KEY
from portal.ids import new_id
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account

MARKER = "heron-marker-5521"


def _context(entry_id: str = "E1") -> str:
    return field_context(schema.JOURNAL, {"clientId": "C1", "journalEntryId": entry_id}, "note")


@pytest.fixture
def kms_key(moto_dynamo: DynamoGateway, settings: Any) -> Iterator[str]:
    """A KMS key on moto, configured as the master key; the app's KMS client is made afresh."""
    arn = boto3.client("kms", region_name=settings.AWS_REGION).create_key(Description="data keys")["KeyMetadata"]["Arn"]
    settings.DATA_KEYS_KMS_KEY_ID = arn
    connection.reset_gateway()
    yield arn
    connection.reset_gateway()


class _KmsCalls:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls.append((model.name, params))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def kms_calls(kms_key: str) -> _KmsCalls:
    recorder = _KmsCalls()
    connection.get_kms_client().meta.events.register("provide-client-params.kms.*", recorder)
    return recorder


def _raw(dynamo: DynamoGateway, table: schema.Table) -> list[dict[str, Any]]:
    return dynamo.client.scan(TableName=dynamo.table_name(table))["Items"]


def test_kms_makes_the_key_and_wraps_it_under_the_owner(moto_dynamo: DynamoGateway, kms_key: str, kms_calls) -> None:
    owner = client_key_owner(new_id())
    stored = encrypt_text(owner, _context(), f"Felt {MARKER}")

    key = DataKeyRepository().get(owner)
    assert key is not None and key.wrapped_key is not None
    assert key.master_key_id == "kms:" + kms_key
    # One GenerateDataKey with the owner as encryption context; nothing else.
    assert kms_calls.names == ["GenerateDataKey"]
    assert kms_calls.calls[0][1]["EncryptionContext"] == {CONTEXT_KEY: owner}
    assert kms_calls.calls[0][1]["KeySpec"] == "AES_256"
    # A fresh scope (the next request) unwraps it with one Decrypt, however many fields.
    with data_key_scope():
        texts = [decrypt_text(owner, _context(), stored) for _ in range(5)]
    assert texts == [f"Felt {MARKER}"] * 5
    assert kms_calls.names == ["GenerateDataKey", "Decrypt"]
    decrypt_params = kms_calls.calls[1][1]
    assert decrypt_params["EncryptionContext"] == {CONTEXT_KEY: owner} and decrypt_params["KeyId"] == kms_key


def test_a_page_unwraps_the_clients_key_once_with_kms(moto_dynamo: DynamoGateway, kms_calls) -> None:
    client = make_account(AccountKind.CLIENT)
    for n in range(4):
        journal_entry_create(
            client_id=client.account_id, time_of_emotion=utcnow(), feeling="calm", intensity=n + 1, note=f"{MARKER} {n}"
        )
    http = HttpClient()
    log_in(http, client)
    kms_calls.calls.clear()

    body = http.get("/client/journal/").content.decode()

    assert all(f"{MARKER} {n}" in body for n in range(4))
    assert kms_calls.names == ["Decrypt"]


def test_a_wrapped_key_moved_to_another_owner_does_not_unwrap(moto_dynamo: DynamoGateway, kms_key: str) -> None:
    owner, other = client_key_owner(new_id()), client_key_owner(new_id())
    encrypt_text(owner, _context(), "private words")
    stolen = DataKeyRepository().get(owner)
    assert stolen is not None
    # The other owner's item gets the first owner's wrapped key (a raw table edit).
    DataKeyRepository().create(
        StoredDataKey(other, wrapped_key=stolen.wrapped_key, master_key_id=stolen.master_key_id, created_at=utcnow())
    )

    with pytest.raises(UnreadableText), data_key_scope():
        KeyRing().decryption_key(other)


def test_erasure_destroys_the_wrapped_key_and_the_tables_reveal_nothing(
    moto_dynamo: DynamoGateway, kms_key: str
) -> None:
    owner = client_key_owner(new_id())
    stored = encrypt_text(owner, _context(), f"Felt {MARKER}")
    DataKeyRepository().destroy(owner)

    with data_key_scope():
        assert is_erased(decrypt_text(owner, _context(), stored))
    # A raw copy of the key table holds no wrapping of the key any more, so even KMS cannot give it back.
    [item] = [i for i in _raw(moto_dynamo, schema.DATA_KEYS) if i["ownerId"]["S"] == owner]
    assert "wrappedKey" not in item and "destroyedAt" in item
    assert MARKER not in str(_raw(moto_dynamo, schema.DATA_KEYS))


def test_keys_wrapped_locally_still_unwrap_and_rotation_moves_them_under_kms(
    moto_dynamo: DynamoGateway, settings: Any
) -> None:
    owner = client_key_owner(new_id())
    settings.DATA_KEYS_KMS_KEY_ID = ""
    stored = encrypt_text(owner, _context(), "written before the move")
    local = DataKeyRepository().get(owner)
    assert local is not None and not str(local.master_key_id).startswith("kms:")

    arn = boto3.client("kms", region_name=settings.AWS_REGION).create_key()["KeyMetadata"]["Arn"]
    settings.DATA_KEYS_KMS_KEY_ID = arn
    connection.reset_gateway()
    with data_key_scope():
        assert decrypt_text(owner, _context(), stored) == "written before the move"

    cursor: str | None = None
    while True:
        progress = rotate_page(cursor=cursor)
        if not progress.next_cursor:
            break
        cursor = progress.next_cursor
    moved = DataKeyRepository().get(owner)
    assert moved is not None and moved.master_key_id == "kms:" + arn
    # Without the local master keys now: KMS alone opens it.
    settings.DATA_ENCRYPTION_KEYS = []
    with data_key_scope():
        assert decrypt_text(owner, _context(), stored) == "written before the move"
    assert rotate_page().rewrapped == 0


@pytest.mark.parametrize("code", ["KMSInternalException", "ThrottlingException", "DisabledException"])
def test_kms_that_fails_gives_the_unavailable_page_not_a_traceback(
    moto_dynamo: DynamoGateway, kms_key: str, code: str
) -> None:
    owner = client_key_owner(new_id())
    stored = encrypt_text(owner, _context(), "private words")
    client = connection.get_kms_client()
    with Stubber(client) as stub:
        stub.add_client_error("decrypt", service_error_code=code, http_status_code=500)
        with pytest.raises(DatabaseUnavailable), data_key_scope():
            decrypt_text(owner, _context(), stored)


def test_the_kms_client_is_made_once_per_process_with_the_dynamodb_timeouts(kms_key: str, settings: Any) -> None:
    client = connection.get_kms_client()
    assert connection.get_kms_client() is client
    config = client.meta.config
    assert config.connect_timeout == settings.DYNAMODB_CONNECT_TIMEOUT
    assert config.read_timeout == settings.DYNAMODB_READ_TIMEOUT
    assert config.retries["total_max_attempts"] == settings.DYNAMODB_MAX_ATTEMPTS
    assert client.meta.region_name == settings.AWS_REGION


def test_the_kms_client_is_made_again_in_a_forked_worker(kms_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before = connection.get_kms_client()
    monkeypatch.setattr(connection.os, "getpid", lambda: -1)
    after = connection.get_kms_client()
    assert after is not before and connection.get_kms_client() is after


def test_no_key_material_is_logged(moto_dynamo: DynamoGateway, kms_key: str, caplog: pytest.LogCaptureFixture) -> None:
    owner, other = client_key_owner(new_id()), client_key_owner(new_id())
    encrypt_text(owner, _context(), "private words")
    stolen = DataKeyRepository().get(owner)
    assert stolen is not None and stolen.wrapped_key is not None
    DataKeyRepository().create(
        StoredDataKey(other, wrapped_key=stolen.wrapped_key, master_key_id=stolen.master_key_id, created_at=utcnow())
    )
    with pytest.raises(UnreadableText), data_key_scope():
        KeyRing().decryption_key(other)
    assert base64.b64encode(stolen.wrapped_key).decode() not in caplog.text
    assert "refused by KMS" in caplog.text
