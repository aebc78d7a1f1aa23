"""AccountStore's two-factor writes, on moto and on the engine that validates like DynamoDB.

Recovery code hashes are a String Set, consumed one at a time with
``DELETE ... :h`` under ``contains(...)``; DynamoDB refuses an empty set, so the
attribute must disappear when the last code goes. moto is lenient about such
things, hence this test runs on both engines.
"""

from __future__ import annotations

import pytest

from portal.domain import AccountKind, Conflict, NotFound
from portal.dynamo import schema
from portal.dynamo.account_store import AccountStore
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.staff import StaffRepository
from portal.ids import new_id
from tests.factories import make_staff

SECRET = "JBSWY3DPEHPK3PXP"


def _staff_id() -> str:
    member = make_staff()
    StaffRepository().create(member)
    return member.staff_id


def _raw(dynamo: DynamoGateway, staff_id: str) -> dict[str, object]:
    item = dynamo.client.get_item(
        TableName=dynamo.table_name(schema.STAFF),
        Key={schema.STAFF.hash_key: {"S": staff_id}},
        ConsistentRead=True,
    )["Item"]
    return item


def test_it_stores_recovery_hashes_as_a_string_set_and_deletes_them_one_by_one(
    dynamo: DynamoGateway,
) -> None:
    store = AccountStore()
    staff_id = _staff_id()
    with count_dynamodb_calls() as calls:
        store.enable_mfa(
            AccountKind.STAFF, staff_id, secret=SECRET, recovery_hashes={"h1", "h2"}, last_step=7
        )
    assert calls.by_operation() == {"UpdateItem": 1}
    raw = _raw(dynamo, staff_id)
    assert sorted(raw["mfaRecoveryHashes"]["SS"]) == ["h1", "h2"]  # type: ignore[index]
    state = store.mfa_state(AccountKind.STAFF, staff_id)
    assert (state.secret, state.recovery_hashes, state.last_step) == (SECRET, {"h1", "h2"}, 7)

    assert store.consume_recovery_hash(AccountKind.STAFF, staff_id, "h1")
    assert not store.consume_recovery_hash(AccountKind.STAFF, staff_id, "h1")
    assert not store.consume_recovery_hash(AccountKind.STAFF, staff_id, "never-issued")
    assert _raw(dynamo, staff_id)["mfaRecoveryHashes"] == {"SS": ["h2"]}

    # The last one: DELETE empties the set, and DynamoDB then drops the attribute.
    assert store.consume_recovery_hash(AccountKind.STAFF, staff_id, "h2")
    assert "mfaRecoveryHashes" not in _raw(dynamo, staff_id)
    assert store.mfa_state(AccountKind.STAFF, staff_id).recovery_hashes == frozenset()
    assert not store.consume_recovery_hash(AccountKind.STAFF, staff_id, "h2")


def test_it_enables_with_no_codes_by_leaving_the_set_out(dynamo: DynamoGateway) -> None:
    store = AccountStore()
    staff_id = _staff_id()
    store.enable_mfa(AccountKind.STAFF, staff_id, secret=SECRET, recovery_hashes=set(), last_step=0)
    assert "mfaRecoveryHashes" not in _raw(dynamo, staff_id)
    assert store.mfa_state(AccountKind.STAFF, staff_id).recovery_hashes == frozenset()


def test_it_refuses_a_second_enable_and_keeps_the_first_secret(dynamo: DynamoGateway) -> None:
    store = AccountStore()
    staff_id = _staff_id()
    store.enable_mfa(AccountKind.STAFF, staff_id, secret=SECRET, recovery_hashes={"a"}, last_step=1)
    with pytest.raises(Conflict, match="already on"):
        store.enable_mfa(
            AccountKind.STAFF, staff_id, secret="OTHERSECRET234567", recovery_hashes={"b"}, last_step=2
        )
    state = store.mfa_state(AccountKind.STAFF, staff_id)
    assert (state.secret, state.recovery_hashes, state.last_step) == (SECRET, {"a"}, 1)
    with pytest.raises(NotFound):
        store.enable_mfa(AccountKind.STAFF, new_id(), secret=SECRET, recovery_hashes={"a"}, last_step=1)

    store.disable_mfa(AccountKind.STAFF, staff_id)
    store.enable_mfa(AccountKind.STAFF, staff_id, secret="OTHERSECRET234567", recovery_hashes={"b"}, last_step=2)
    assert store.mfa_state(AccountKind.STAFF, staff_id).secret == "OTHERSECRET234567"
