"""ClientRepository: the seed's Sign Up (PutItem), Login (Query GSI_Clients_ByEmail), Get (GetItem)."""

from __future__ import annotations

from typing import Any

import pytest

from portal.domain import AccountKind, Conflict, EmailTaken
from portal.dynamo import schema
from portal.dynamo.accounts import get_email_claim
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.clients import ClientRepository
from portal.dynamo.gateway import DynamoGateway
from portal.ids import new_id
from tests.factories import make_client


def _stored_items(dynamo: DynamoGateway, table: schema.Table) -> list[dict[str, Any]]:
    # Read the table behind the repository's back: what is stored, not what it says.
    return dynamo.client.scan(TableName=dynamo.table_name(table))["Items"]


def test_it_signs_up_and_gets_a_client(dynamo: DynamoGateway) -> None:
    repo = ClientRepository()
    client = make_client(mfa_secret="JBSWY3DPEHPK3PXP", email_verified=True)

    assert repo.sign_up(client) == client

    with count_dynamodb_calls() as calls:
        assert repo.get(client.client_id) == client
    assert calls.by_operation() == {"GetItem": 1}
    assert repo.get(new_id()) is None


def test_it_stores_the_seed_attributes_and_a_normalised_email(dynamo: DynamoGateway) -> None:
    repo = ClientRepository()
    client = make_client(email="  Ann.Smith@Example.COM ")

    repo.sign_up(client)

    [item] = _stored_items(dynamo, schema.CLIENTS)
    assert item["clientId"] == {"S": client.client_id}
    assert item["email"] == {"S": "ann.smith@example.com"}
    assert item["name"] == {"S": client.name}
    assert item["passwordHash"] == {"S": client.password_hash}
    # None is never written as a NULL: absent attributes keep sparse indexes sparse.
    assert "mfaSecret" not in item
    claim = get_email_claim(dynamo, "ann.smith@example.com")
    assert claim is not None
    assert (claim.account_kind, claim.account_id) == (AccountKind.CLIENT, client.client_id)


def test_it_finds_a_client_by_email_with_one_query(dynamo: DynamoGateway) -> None:
    repo = ClientRepository()
    client = make_client(email="finder@example.com")
    repo.sign_up(client)
    repo.sign_up(make_client())

    with count_dynamodb_calls() as calls:
        found = repo.find_by_email("  FINDER@example.com")
    assert found == client
    # The email index holds ids only: the account is then read by id.
    assert calls.by_operation() == {"Query": 1, "GetItem": 1}
    assert repo.find_by_email("nobody@example.com") is None


def test_it_refuses_a_second_client_with_the_same_email(dynamo: DynamoGateway) -> None:
    repo = ClientRepository()
    first = make_client(email="taken@example.com")
    repo.sign_up(first)

    # Spaces and case do not make another mailbox.
    for variant in ["taken@example.com", " Taken@Example.com  ", "TAKEN@EXAMPLE.COM"]:
        second = make_client(email=variant)
        with pytest.raises(EmailTaken):
            repo.sign_up(second)
        assert repo.get(second.client_id) is None

    # The transaction is all or nothing: no second account, and the claim still names the first.
    assert len(_stored_items(dynamo, schema.CLIENTS)) == 1
    assert len(_stored_items(dynamo, schema.EMAIL_CLAIMS)) == 1
    claim = get_email_claim(dynamo, "TAKEN@example.com ")
    assert claim is not None and claim.account_id == first.client_id


def test_it_updates_an_existing_client_but_never_creates_one(dynamo: DynamoGateway) -> None:
    repo = ClientRepository()
    client = make_client()
    repo.sign_up(client)

    updated = repo.update_fields(client.client_id, name="Casey Renamed", emailVerified=True)

    assert (updated.name, updated.email_verified) == ("Casey Renamed", True)
    assert repo.get(client.client_id) == updated
    missing = make_client()
    with pytest.raises(Conflict):
        repo.update_fields(missing.client_id, name="Ghost")
    assert repo.get(missing.client_id) is None
