"""Delete my account: everything about the client goes, their words are unreadable everywhere, and it always finishes."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import call_command
from django.test import Client as HttpClient

from portal.domain import AccountKind, DatabaseUnavailable, NotFound, Side, is_erased
from portal.dynamo import schema
from portal.dynamo.audit import AuditRepository
from portal.dynamo.clients import ClientRepository
from portal.dynamo.clinical_notes import ClinicalNoteRepository
from portal.dynamo.erasures import ErasureRepository
from portal.dynamo.field_crypto import client_key_owner, record_key_owner
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.messages import MessageRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.services.account_erasure import FINISHED, STARTED, account_erasures_finish, client_account_erase
from portal.services.calendar import feed_create, feed_ics
from portal.services.messaging import message_send
from tests.accounts import PASSWORD, log_in, make_account
from tests.data_rights_data import (
    CLIENT_MARKER,
    CORRECTION_MARKER,
    PRIVATE_MARKER,
    SIGNED_SHARED_MARKER,
    STATEMENT_MARKER,
    THERAPIST_MARKER,
    client_world,
    questionnaires_answered,
    signed_record,
)
from tests.messaging_data import make_active_pair

URL = "/client/account/delete/"
_deserialize = TypeDeserializer().deserialize


def _raw_tables(dynamo: DynamoGateway) -> dict[str, list[dict[str, Any]]]:
    return {
        table.name: [
            {k: _deserialize(v) for k, v in item.items()}
            for item in dynamo.client.scan(TableName=dynamo.table_name(table))["Items"]
        ]
        for table in schema.ALL_TABLES
    }


def _delete(http: HttpClient, password: str = PASSWORD, understood: bool = True):  # type: ignore[no-untyped-def]
    data = {"password": password}
    if understood:
        data["understood"] = "on"
    return http.post(URL, data)


def _web_sessions_of(dynamo: DynamoGateway, client_id: str) -> list[dict[str, Any]]:
    return [s for s in _raw_tables(dynamo)["WebSessions"] if s.get("accountKey") == f"client:{client_id}"]


def test_it_erases_the_client_and_keeps_the_therapists_record(dynamo: DynamoGateway, client: HttpClient) -> None:
    world = client_world(entries=3)
    client_id, therapist_id = world.client.account_id, world.therapist.account_id
    log_in(client, world.client)
    feed_token = feed_create(user=world.client)
    assert feed_ics(token=feed_token)
    other_device = HttpClient()
    log_in(other_device, world.client)
    assert len(_web_sessions_of(dynamo, client_id)) == 2

    # Sessions booked through the pages carry both names, as this one now does.
    SessionRepository().set_client_name(world.session_id, "Casey Client")
    assert [item for item in _raw_tables(dynamo)["Session"] if "Casey Client" in str(item)]

    response = _delete(client)

    assert response.status_code == 302 and response["Location"] == "/account/deleted/"
    assert ClientRepository().get(client_id, consistent=True) is None
    raw = _raw_tables(dynamo)
    assert not [c for c in raw["EmailClaims"] if c["accountId"] == client_id]
    assert _web_sessions_of(dynamo, client_id) == []
    assert JournalRepository().list_recent(client_id).items == []
    assert MappingRepository().get(client_id, therapist_id) is None
    [tombstone] = [k for k in raw["DataKeys"] if k["ownerId"] == client_key_owner(client_id)]
    assert "wrappedKey" not in tombstone
    # The name copied onto what stays is gone from the raw items too.
    for table in ("Relationships", "Session"):
        assert not [item for item in raw[table] if "Casey Client" in str(item)]
    # The therapist's clinical record stays: their words readable, the client's removed.
    session = SessionRepository().get(world.session_id)
    assert session is not None and is_erased(session.title) and session.private_notes == PRIVATE_MARKER
    contents = {m.content for m in MessageRepository().list_conversation(client_id, therapist_id).items}
    assert contents == {f"{THERAPIST_MARKER} reply", "Removed at the client's request."}
    with pytest.raises(NotFound):
        feed_ics(token=feed_token)  # the secret calendar link no longer shows the session times
    actions = [e.action for e in AuditRepository().list_for_subject(client_id).items]
    assert STARTED in actions and FINISHED in actions
    job = ErasureRepository().get(client_id)
    assert job is not None and job.finished
    # The therapist's own export still holds their notes, for a "Former client".
    therapist_http = HttpClient()
    log_in(therapist_http, world.therapist)
    export = therapist_http.post("/therapist/account/data/")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content)))
    [row] = json.loads(archive.read("session_notes.json"))
    assert (row["clientName"], row["privateNotes"]) == ("Former client", PRIVATE_MARKER)
    assert row["title"] == "Removed at the client's request."
    # Both devices are logged out, and the email can sign up again.
    assert other_device.get("/client/").status_code == 302
    assert client.get("/account/deleted/").status_code == 200
    make_account(AccountKind.CLIENT, email=world.client.email)


def test_it_erases_every_questionnaire_item_and_the_clients_words_in_session_records(
    dynamo: DynamoGateway, client: HttpClient
) -> None:
    world = client_world(entries=1)
    client_id = world.client.account_id
    questionnaires_answered(world)
    session_id = signed_record(world)
    assert [item for item in _raw_tables(dynamo)["Measures"] if item["clientId"] == client_id]
    log_in(client, world.client)

    assert _delete(client).status_code == 302

    # Assignments, results and alerts: not one measure item of the client remains.
    assert [item for item in _raw_tables(dynamo)["Measures"] if item["clientId"] == client_id] == []
    job = ErasureRepository().get(client_id)
    assert job is not None and job.finished and "measures" in job.steps_done
    # The signed record stays the therapist's; what the client wrote in it went with their key.
    stored = ClinicalNoteRepository().for_session(session_id)
    [request] = stored.corrections
    assert is_erased(request.text) and is_erased(request.statement)
    assert CORRECTION_MARKER not in repr(stored) and STATEMENT_MARKER not in repr(stored)
    notes = {str(kind): note for kind, note in stored.notes.items()}
    assert notes["shared"].text("note") == SIGNED_SHARED_MARKER
    assert notes["progress"].text("plan") == f"{PRIVATE_MARKER} plan" and not notes["progress"].altered


def test_it_keeps_everything_when_the_password_is_wrong(dynamo: DynamoGateway, client: HttpClient) -> None:
    world = client_world(entries=1)
    log_in(client, world.client)

    response = _delete(client, password="not my password")

    assert response.status_code == 400
    assert "That password was not right." in response.content.decode()
    assert ClientRepository().get(world.client.account_id, consistent=True) is not None
    assert JournalRepository().get(world.client.account_id, world.entry_ids[0]) is not None
    assert ErasureRepository().get(world.client.account_id) is None


def test_it_asks_to_confirm_and_keeps_what_was_typed(dynamo: DynamoGateway, client: HttpClient) -> None:
    world = client_world(entries=1)
    log_in(client, world.client)

    response = _delete(client, understood=False)

    assert response.status_code == 400
    assert "Please tick this box to confirm." in response.content.decode()
    assert ClientRepository().get(world.client.account_id, consistent=True) is not None


def test_it_finishes_an_interrupted_erasure_on_the_next_run(
    dynamo: DynamoGateway, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = client_world(entries=3)
    client_id = world.client.account_id
    log_in(client, world.client)
    real_batch_delete = DynamoGateway.batch_delete

    def failing(self, table, keys):  # type: ignore[no-untyped-def]
        raise DatabaseUnavailable("injected")

    monkeypatch.setattr(DynamoGateway, "batch_delete", failing)
    response = _delete(client)

    # The account is gone at once and the page says the rest follows.
    assert response.status_code == 302
    assert ClientRepository().get(client_id, consistent=True) is None
    job = ErasureRepository().get(client_id)
    assert job is not None and not job.finished
    assert job.steps_done == {"data_key", "web_sessions", "calendar_feed"}
    assert len(JournalRepository().list_recent(client_id).items) == 3

    monkeypatch.setattr(DynamoGateway, "batch_delete", real_batch_delete)
    out = io.StringIO()
    call_command("finish_erasures", stdout=out)

    assert f"finished the erasure of {client_id}" in out.getvalue()
    job = ErasureRepository().get(client_id)
    assert job is not None and job.finished
    assert job.steps_done == {
        "data_key", "web_sessions", "calendar_feed", "journal", "measures", "relationships", "name"
    }
    assert JournalRepository().list_recent(client_id).items == []
    assert MappingRepository().get(client_id, world.therapist.account_id) is None
    again = io.StringIO()
    call_command("finish_erasures", stdout=again)
    assert "Done: 0 erasure(s) finished." in again.getvalue()


def test_it_leaves_a_copy_taken_before_the_erasure_undecryptable(
    dynamo: DynamoGateway, client: HttpClient, settings: Any
) -> None:
    world = client_world(entries=3)
    client_id, therapist_id = world.client.account_id, world.therapist.account_id
    log_in(client, world.client)
    # A backup (or point-in-time copy) of every data table, taken before the erasure.
    backup = {name: items for name, items in _raw_tables(dynamo).items() if name != "DataKeys"}
    ciphertexts = [
        value for items in backup.values() for item in items for value in item.values()
        if isinstance(value, str) and value.startswith("e1:")
    ]
    assert len(ciphertexts) >= 8

    assert _delete(client).status_code == 302

    # Everything that remains: the master keys and the key table as they are now.
    candidate_keys: list[bytes] = []
    for stored in _raw_tables(dynamo)["DataKeys"]:
        if "wrappedKey" not in stored:
            continue
        wrapped = base64.b64decode(stored["wrappedKey"])
        for key_id, master in settings.DATA_ENCRYPTION_KEYS:
            aad = f"data-key|{stored['ownerId']}|{key_id}".encode()
            try:
                candidate_keys.append(AESGCM(master).decrypt(wrapped[:12], wrapped[12:], aad))
            except InvalidTag:
                pass
    owners = [client_key_owner(client_id), record_key_owner(therapist_id, client_id)]

    recovered: list[str] = []
    for stored_text in ciphertexts:
        blob = base64.urlsafe_b64decode(stored_text[3:])
        for key in candidate_keys:
            for owner in owners:
                for context in _contexts_of(backup, stored_text):
                    try:
                        plain = AESGCM(key).decrypt(blob[:12], blob[12:], f"{owner}|{context}".encode())
                    except InvalidTag:
                        continue
                    recovered.append(plain.decode())

    assert not [text for text in recovered if CLIENT_MARKER in text]
    # The method works: the therapist's own record is still recovered from the same copy.
    assert PRIVATE_MARKER in recovered and f"{THERAPIST_MARKER} reply" in recovered


def _contexts_of(backup: dict[str, list[dict[str, Any]]], stored_text: str) -> list[str]:
    """The associated data an attacker would try for this value: its own table, key and field."""
    for table in schema.ALL_TABLES:
        for item in backup.get(table.name, []):
            for field, value in item.items():
                if value == stored_text:
                    key = {part.attribute: item[part.attribute] for part in table.keys}
                    parts = ";".join(f"{name}={key[name]}" for name in sorted(key))
                    return [f"{table.name}|{parts}|{field}"]
    return []


def test_it_sends_anonymous_visitors_to_log_in(dynamo: DynamoGateway, client: HttpClient) -> None:
    response = client.post(URL, {"password": PASSWORD, "understood": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("kind", [AccountKind.THERAPIST, AccountKind.STAFF])
def test_it_refuses_other_kinds_of_account(dynamo: DynamoGateway, client: HttpClient, kind: AccountKind) -> None:
    user = make_account(kind)
    log_in(client, user)
    assert client.post(URL, {"password": PASSWORD, "understood": "on"}).status_code == 403


def test_it_links_to_export_and_deletion_from_the_client_home(dynamo: DynamoGateway, client: HttpClient) -> None:
    log_in(client, make_account(AccountKind.CLIENT))
    body = client.get("/client/").content.decode()
    assert 'href="/client/account/data/"' in body and 'href="/client/account/delete/"' in body


def test_it_ends_the_relationship_records_and_their_notices_even_when_interrupted(
    dynamo: DynamoGateway, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example"
    client, therapist = make_active_pair()
    for sender, other in ((client, therapist), (therapist, client)):
        message_send(user=sender, other_id=other.account_id, content="words", idempotency_key=new_id())

    def failing(self, client_id, therapist_id):  # type: ignore[no-untyped-def]
        raise DatabaseUnavailable("injected")

    real_delete = MappingRepository.delete
    monkeypatch.setattr(MappingRepository, "delete", failing)
    job = client_account_erase(client_id=client.account_id, password=PASSWORD)
    assert not job.finished

    # The records ended before the step failed: no notice is pending for either side.
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.ended_at is not None and record.ended_by is Side.CLIENT
    assert record.client_notice_due_at is None and record.therapist_notice_due_at is None
    assert record.therapist_unread == 1  # the conversation's bookkeeping stays with the therapist's record

    monkeypatch.setattr(MappingRepository, "delete", real_delete)
    assert account_erasures_finish() == [client.account_id]
    assert MappingRepository().get(client.account_id, therapist.account_id) is None
    again = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert again is not None and again.ended_at == record.ended_at
