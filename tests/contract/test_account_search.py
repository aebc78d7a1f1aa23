"""AccountSearchRepository: begins_with on the sharded name and email indexes, on both engines."""

from __future__ import annotations

from portal.domain import AccountKind
from portal.dynamo.account_search import SHARDS, AccountSearchRepository
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.clients import ClientRepository
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.therapists import TherapistRepository
from tests.factories import make_client, make_therapist


def test_it_finds_names_and_emails_by_their_start_across_shards(dynamo: DynamoGateway) -> None:
    clients = [ClientRepository().sign_up(make_client(name=f"Maria Santos {n}")) for n in range(8)]
    therapist = TherapistRepository().sign_up(make_therapist(name="Mark Lee", email="zeta.mark@example.com"))
    ClientRepository().sign_up(make_client(name="Anna Marsh"))

    with count_dynamodb_calls() as calls:
        found = AccountSearchRepository().search("Mar")
    # Eight clients spread over the shards, and the therapist; never Anna (Mar is inside her name).
    assert {a.account_id for a in found} == {c.client_id for c in clients} | {therapist.therapist_id}
    assert calls.by_operation() == {"Query": 2 * 2 * SHARDS}
    by_email = AccountSearchRepository().search("ZETA.m")
    assert [(a.kind, a.account_id) for a in by_email] == [(AccountKind.THERAPIST, therapist.therapist_id)]
    # What a row shows comes from the index itself, and no secret does.
    row = next(a for a in found if a.account_id == therapist.therapist_id)
    assert row.name == "Mark Lee" and row.email == "zeta.mark@example.com" and row.created_at is not None
    assert not hasattr(row, "mfa_secret") and not hasattr(row, "password_hash")


def test_one_letter_finds_nothing_without_a_call(dynamo: DynamoGateway) -> None:
    with count_dynamodb_calls() as calls:
        assert AccountSearchRepository().search(" m ") == []
    assert calls.by_operation() == {}
