"""JournalRepository.set_shared_many: one transaction, first sharing time kept, the shared index filled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.journal import SHARED_FELT_AT, JournalRepository
from portal.dynamo.schema import JOURNAL
from portal.ids import new_id
from tests.factories import make_entry

DAY_ONE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_it_shares_and_unshares_many_in_one_transaction_idempotently(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    entries = [repo.add(make_entry(client_id=client_id)) for _ in range(6)]
    ids = [e.entry_id for e in entries]
    repo.set_shared(client_id, ids[0], DAY_ONE)

    with count_dynamodb_calls() as calls:
        done = repo.set_shared_many(client_id, [*ids, new_id()], DAY_ONE + timedelta(days=1))
    assert done == 6
    assert calls.by_operation() == {"BatchGetItem": 1, "TransactWriteItems": 1}
    raw = {i: dynamo.get(JOURNAL, {"clientId": client_id, "journalEntryId": i}) for i in ids}
    # The one shared before keeps its time; the rest take the new one; each is in the shared index.
    assert raw[ids[0]]["sharedAt"].startswith("2026-03-01")
    assert all(raw[i]["sharedAt"].startswith("2026-03-02") for i in ids[1:])
    assert all(raw[i][SHARED_FELT_AT] == raw[i]["timeOfEmotion"] for i in ids)
    assert {e.entry_id for e in repo.list_shared(client_id, limit=10).items} == set(ids)

    assert repo.set_shared_many(client_id, ids, DAY_ONE + timedelta(days=2)) == 6
    assert dynamo.get(JOURNAL, {"clientId": client_id, "journalEntryId": ids[1]})["sharedAt"].startswith("2026-03-02")

    repo.set_shared_many(client_id, ids[:4], None)
    repo.set_shared_many(client_id, ids[:4], None)
    assert {e.entry_id for e in repo.list_shared(client_id, limit=10).items} == set(ids[4:])
