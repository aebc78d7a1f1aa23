"""Field-level encryption: round trip, tampering, rotation, destroyed keys, and raw tables."""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from portal.domain import ErasedText, KeyDestroyed, Sender, UnreadableText, is_erased
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.data_keys import DataKeyRepository
from portal.dynamo.field_crypto import (
    KeyRing,
    client_key_owner,
    data_key_scope,
    decrypt_text,
    encrypt_text,
    field_context,
    record_key_owner,
    rotate_page,
)
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.journal import JournalRepository
from portal.dynamo.messages import MessageRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from tests.factories import make_entry, make_session

MARKER = "zebra-marker-7731"


def _context(entry_id: str = "E1", field: str = "note") -> str:
    return field_context(schema.JOURNAL, {"clientId": "C1", "journalEntryId": entry_id}, field)


def _raw(dynamo: DynamoGateway, table: schema.Table) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": dynamo.table_name(table)}
    while True:
        response = dynamo.client.scan(**request)
        items += response["Items"]
        if "LastEvaluatedKey" not in response:
            return items
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _key(key_id: str) -> tuple[str, bytes]:
    return (key_id, os.urandom(32))


def test_it_round_trips_text_and_stores_no_plaintext(dynamo: DynamoGateway) -> None:
    owner = client_key_owner(new_id())
    stored = encrypt_text(owner, _context(), f"Felt {MARKER} – ünïcode ✓")

    assert MARKER not in stored and stored.startswith("e1:")
    assert decrypt_text(owner, _context(), stored) == f"Felt {MARKER} – ünïcode ✓"
    # Two encryptions of one text differ (a fresh nonce each time).
    assert encrypt_text(owner, _context(), "same") != encrypt_text(owner, _context(), "same")


def test_it_refuses_a_value_moved_to_another_record_field_or_owner(dynamo: DynamoGateway) -> None:
    owner = client_key_owner(new_id())
    other_owner = client_key_owner(new_id())
    encrypt_text(other_owner, _context(), "the other client has a key too")
    stored = encrypt_text(owner, _context("E1"), "private words")

    with pytest.raises(UnreadableText):
        decrypt_text(owner, _context("E2"), stored)  # another entry
    with pytest.raises(UnreadableText):
        decrypt_text(owner, _context("E1", "title"), stored)  # another field
    with pytest.raises(UnreadableText):
        decrypt_text(other_owner, _context("E1"), stored)  # another client's record


def test_it_refuses_altered_or_plain_text(dynamo: DynamoGateway) -> None:
    owner = client_key_owner(new_id())
    stored = encrypt_text(owner, _context(), "private words")
    blob = bytearray(base64.urlsafe_b64decode(stored[3:]))
    blob[-1] ^= 0x01
    altered = "e1:" + base64.urlsafe_b64encode(bytes(blob)).decode()

    for bad in (altered, stored[:-4], "private words", "e1:not-base64!!"):
        with pytest.raises(UnreadableText):
            decrypt_text(owner, _context(), bad)


def test_it_unwraps_each_key_once_per_scope(dynamo: DynamoGateway) -> None:
    owner = client_key_owner(new_id())
    stored = [encrypt_text(owner, _context(str(i)), f"note {i}") for i in range(5)]

    with count_dynamodb_calls() as calls, data_key_scope():
        texts = [decrypt_text(owner, _context(str(i)), s) for i, s in enumerate(stored)]
    assert texts == [f"note {i}" for i in range(5)]
    assert calls.by_operation() == {"GetItem": 1}


def test_it_builds_one_cipher_per_key_per_scope_and_none_after_it(
    dynamo: DynamoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    import portal.dynamo.field_crypto as field_crypto

    owners = [client_key_owner(new_id()) for _ in range(2)]
    stored = [(owner, encrypt_text(owner, _context(str(i)), f"note {i}")) for i, owner in enumerate(owners * 3)]
    built: list[bytes] = []
    real = field_crypto.AESGCM

    masters = {m.key for m in field_crypto.master_keys()}

    def counting(key: bytes) -> Any:
        if key not in masters:  # unwrapping a data key uses the master key: not counted
            built.append(key)
        return real(key)

    monkeypatch.setattr(field_crypto, "AESGCM", counting)
    with data_key_scope():
        texts = [decrypt_text(owner, _context(str(i)), s) for i, (owner, s) in enumerate(stored)]
    assert texts == [f"note {i}" for i in range(6)]
    assert len(built) == 2  # one per owner, for six fields
    # A new scope (the next request) starts with none: nothing outlives the request.
    with data_key_scope():
        decrypt_text(owners[0], _context("0"), stored[0][1])
    assert len(built) == 3


def test_a_scope_shares_the_enclosing_ring_and_forgets_its_own_even_after_an_error() -> None:
    from portal.dynamo.field_crypto import _current_ring

    assert _current_ring.get() is None
    with pytest.raises(RuntimeError), data_key_scope() as outer:
        with data_key_scope() as inner:
            assert inner is outer and _current_ring.get() is outer
        # Leaving the inner scope left the outer one's ring in place.
        assert _current_ring.get() is outer
        forgotten: list[bool] = []
        outer.forget = lambda: forgotten.append(True)  # type: ignore[method-assign]
        raise RuntimeError("the page failed")
    assert forgotten == [True] and _current_ring.get() is None


def test_it_creates_one_key_per_owner_even_when_two_requests_race(dynamo: DynamoGateway) -> None:
    owner = client_key_owner(new_id())
    ring_a, ring_b = KeyRing(), KeyRing()
    ring_a.prefetch([owner])
    ring_b.prefetch([owner])  # both saw "no key yet"
    key_a = ring_a.encryption_key(owner)
    key_b = ring_b.encryption_key(owner)  # loses the conditional put, uses the first's key

    assert key_a == key_b
    assert len([i for i in _raw(dynamo, schema.DATA_KEYS) if i["ownerId"]["S"] == owner]) == 1


def test_it_rotates_every_key_under_the_newest_master_key(
    dynamo: DynamoGateway, settings: Any
) -> None:
    old, new = _key("old"), _key("new")
    settings.DATA_ENCRYPTION_KEYS = [old]
    owners = [client_key_owner(new_id()) for _ in range(5)]
    stored = {owner: encrypt_text(owner, _context(), f"text of {owner}") for owner in owners}
    erased = owners.pop()
    DataKeyRepository().destroy(erased)

    settings.DATA_ENCRYPTION_KEYS = [new, old]
    first = rotate_page(limit=3)
    second = rotate_page(cursor=first.next_cursor, limit=3)
    assert second.next_cursor is None
    assert (first.rewrapped + second.rewrapped, first.destroyed + second.destroyed) == (4, 1)
    rerun = rotate_page(limit=100)  # safe to run twice: nothing left to do
    assert (rerun.rewrapped, rerun.already_current, rerun.destroyed) == (0, 4, 1)

    # The old master key can now go: everything still decrypts with the new one alone.
    settings.DATA_ENCRYPTION_KEYS = [new]
    for owner in owners:
        assert decrypt_text(owner, _context(), stored[owner]) == f"text of {owner}"
    assert is_erased(decrypt_text(erased, _context(), stored[erased]))
    assert {i["masterKeyId"]["S"] for i in _raw(dynamo, schema.DATA_KEYS) if "masterKeyId" in i} == {"new"}


def test_it_refuses_keys_wrapped_by_a_master_key_no_longer_configured(
    dynamo: DynamoGateway, settings: Any
) -> None:
    settings.DATA_ENCRYPTION_KEYS = [_key("retired")]
    owner = client_key_owner(new_id())
    stored = encrypt_text(owner, _context(), "words")
    settings.DATA_ENCRYPTION_KEYS = [_key("current")]
    with pytest.raises(UnreadableText):
        decrypt_text(owner, _context(), stored)


def test_it_shows_erased_text_and_refuses_new_text_once_a_key_is_destroyed(
    dynamo: DynamoGateway,
) -> None:
    owner = client_key_owner(new_id())
    stored = encrypt_text(owner, _context(), "words")
    DataKeyRepository().destroy(owner)
    DataKeyRepository().destroy(owner)  # twice is fine

    shown = decrypt_text(owner, _context(), stored)
    assert isinstance(shown, ErasedText) and shown == "Removed at the client's request."
    with pytest.raises(KeyDestroyed):
        encrypt_text(owner, _context(), "a late write must not create a fresh key")
    [tombstone] = [i for i in _raw(dynamo, schema.DATA_KEYS) if i["ownerId"]["S"] == owner]
    assert "wrappedKey" not in tombstone


def test_it_leaves_no_clinical_text_in_any_table(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = new_id(), new_id()
    entry = JournalRepository().add(make_entry(client_id=client_id, note=f"journal {MARKER}"))
    JournalRepository().update(replace(entry, note=f"edited {MARKER}"))
    session = SessionRepository().create(
        make_session(
            client_id=client_id,
            therapist_id=therapist_id,
            title=f"title {MARKER}",
            private_notes=f"private {MARKER}",
            shared_notes=f"shared {MARKER}",
            request_message=f"request {MARKER}",
        )
    )
    SessionRepository().update(
        replace(session, shared_notes=f"updated {MARKER}", rejection_reason=f"reason {MARKER}"), expected_version=1
    )
    for sender in Sender:
        MessageRepository().send(
            client_id=client_id,
            therapist_id=therapist_id,
            sender=sender,
            content=f"message {MARKER}",
            idempotency_key=new_id(),
        )

    for table in schema.ALL_TABLES:
        for item in _raw(dynamo, table):
            assert MARKER not in repr(item), f"{table.name} holds clinical text in the clear"
    # And the repositories still read it all back.
    assert JournalRepository().get(client_id, entry.entry_id).note == f"edited {MARKER}"  # type: ignore[union-attr]
    read = SessionRepository().get(session.session_id)
    assert read is not None and (read.title, read.private_notes, read.shared_notes) == (
        f"title {MARKER}",
        f"private {MARKER}",
        f"updated {MARKER}",
    )
    assert (read.request_message, read.rejection_reason) == (f"request {MARKER}", f"reason {MARKER}")
    assert {m.content for m in MessageRepository().list_conversation(client_id, therapist_id).items} == {
        f"message {MARKER}"
    }


def test_it_keeps_the_therapists_notes_readable_after_the_clients_key_is_destroyed(
    dynamo: DynamoGateway,
) -> None:
    client_id, therapist_id = new_id(), new_id()
    session = SessionRepository().create(
        make_session(client_id=client_id, therapist_id=therapist_id, private_notes="therapist's own note")
    )
    MessageRepository().send(
        client_id=client_id, therapist_id=therapist_id, sender=Sender.CLIENT, content="client words",
        idempotency_key=new_id(),
    )
    MessageRepository().send(
        client_id=client_id, therapist_id=therapist_id, sender=Sender.THERAPIST, content="therapist words",
        idempotency_key=new_id(),
    )

    DataKeyRepository().destroy(client_key_owner(client_id))

    read = SessionRepository().get(session.session_id)
    assert read is not None and is_erased(read.title) and read.private_notes == "therapist's own note"
    contents = [m.content for m in MessageRepository().list_conversation(client_id, therapist_id).items]
    assert contents == ["therapist words", "Removed at the client's request."]
    assert record_key_owner(therapist_id, client_id) in {
        TypeDeserializer().deserialize(i["ownerId"]) for i in _raw(dynamo, schema.DATA_KEYS)
    }


def test_it_lets_the_therapist_save_notes_on_a_former_clients_session(dynamo: DynamoGateway) -> None:
    client_id = new_id()
    session = SessionRepository().create(make_session(client_id=client_id, title="the client's words"))
    DataKeyRepository().destroy(client_key_owner(client_id))
    read = SessionRepository().get(session.session_id)
    assert read is not None and is_erased(read.title)

    saved = SessionRepository().update(replace(read, private_notes="closing summary"), expected_version=1)

    assert saved.private_notes == "closing summary" and is_erased(saved.title)
