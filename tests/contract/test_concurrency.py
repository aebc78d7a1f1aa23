"""Concurrent writers: one account per email, and no message lost or reordered.

The repositories resolve the process's one (thread-safe) boto3 client through
get_gateway(), so plain threads exercise them as gunicorn's threads would.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest

from portal.domain import EmailTaken, Message, Sender
from portal.dynamo import schema
from portal.dynamo.clients import ClientRepository
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.messages import MessageRepository
from portal.dynamo.therapists import TherapistRepository
from portal.ids import new_id
from tests.factories import make_client, make_therapist

R = TypeVar("R")

SIGN_UPS = 20
SENDERS = 50
MESSAGES_EACH = 20


def _make_moto_atomic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give moto the isolation DynamoDB has, for the length of one test.

    moto's backend is plain dicts without a lock, and its TransactWriteItems
    deep-copies every table it touches (to roll back) with no lock either:
    under 50 threads the copy dies with "RuntimeError: dictionary changed size
    during iteration" (measured: 511 and 574 of the 1,000 sends failed in two
    runs), and a rollback could put back a copy older than another thread's
    write. Real DynamoDB applies each request atomically, so we serialise
    moto's requests. The deep copy is also O(table size) per transaction
    (1,000 sends took 46 s with the lock alone), so the snapshot copies the
    item maps and shares the items: a faithful backup here, because these
    tests only Put and moto replaces an item on Put, never mutates it.
    """
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.dynamodb import models as moto_models
    from moto.dynamodb.models.table import Table as MotoTable

    lock = threading.Lock()
    process_request = BotocoreStubber.process_request

    def serialised(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return process_request(self, request)

    def snapshot(value: Any, memo: Any = None) -> Any:
        if not isinstance(value, MotoTable):
            return copy.deepcopy(value, memo)
        backup = copy.copy(value)
        # dict.copy() keeps the stored hashes: rehashing moto's key objects is what costs.
        backup.items = value.items.copy()
        for hash_key, entries in value.items.items():
            if isinstance(entries, dict):  # a table with a sort key: one map per partition
                backup.items[hash_key] = entries.copy()
        return backup

    monkeypatch.setattr(BotocoreStubber, "process_request", serialised)
    monkeypatch.setattr(moto_models, "copy", SimpleNamespace(deepcopy=snapshot, copy=copy.copy))


@pytest.fixture
def engine(
    request: pytest.FixtureRequest, dynamo: DynamoGateway, monkeypatch: pytest.MonkeyPatch
) -> DynamoGateway:
    """The ``dynamo`` engine, made safe for threads when it is moto (dynoxide already is)."""
    if request.node.callspec.params["dynamo"] == "moto":
        _make_moto_atomic(monkeypatch)
    return dynamo


def _all_at_once(count: int, work: Callable[[int], R]) -> list[R]:
    """Run ``work(0..count-1)`` on ``count`` threads released together by a barrier."""
    barrier = threading.Barrier(count)

    def run(n: int) -> R:
        barrier.wait(timeout=30)
        return work(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _outcome(sign_up: Callable[[], object]) -> str:
    try:
        sign_up()
    except EmailTaken:
        return "taken"
    return "created"


def _count(dynamo: DynamoGateway, table: schema.Table) -> int:
    return int(dynamo.client.scan(TableName=dynamo.table_name(table), Select="COUNT")["Count"])


def test_it_makes_one_account_of_20_concurrent_sign_ups_with_one_email(
    engine: DynamoGateway,
) -> None:
    repo = ClientRepository()
    # Half of them spell the address differently: still one mailbox.
    clients = [
        make_client(email=("race@example.com", " RACE@example.com")[n % 2]) for n in range(SIGN_UPS)
    ]

    outcomes = _all_at_once(SIGN_UPS, lambda n: _outcome(lambda: repo.sign_up(clients[n])))

    assert sorted(outcomes) == ["created"] + ["taken"] * (SIGN_UPS - 1)
    winner = clients[outcomes.index("created")]
    assert _count(engine, schema.CLIENTS) == 1
    assert _count(engine, schema.EMAIL_CLAIMS) == 1
    assert repo.find_by_email("race@example.com") == replace(winner, email="race@example.com")


def test_it_makes_one_account_when_clients_and_therapists_race_for_one_email(
    engine: DynamoGateway,
) -> None:
    clients, therapists = ClientRepository(), TherapistRepository()
    sign_ups: list[Callable[[], object]] = []
    for n in range(SIGN_UPS):
        if n % 2:
            sign_ups.append(lambda c=make_client(email="both@example.com"): clients.sign_up(c))
        else:
            sign_ups.append(lambda t=make_therapist(email="Both@example.com"): therapists.sign_up(t))

    outcomes = _all_at_once(SIGN_UPS, lambda n: _outcome(sign_ups[n]))

    assert outcomes.count("created") == 1
    assert _count(engine, schema.CLIENTS) + _count(engine, schema.THERAPISTS) == 1


def test_it_stores_all_1000_messages_of_50_concurrent_senders_in_their_order(
    engine: DynamoGateway,
) -> None:
    repo = MessageRepository()
    # One conversation: every sender writes to the same partition, the worst case for collisions.
    client_id, therapist_id = new_id(), new_id()

    def sender(thread: int) -> list[Message]:
        return [
            repo.send(
                client_id=client_id,
                therapist_id=therapist_id,
                sender=(Sender.CLIENT, Sender.THERAPIST)[thread % 2],
                content=f"{thread}:{seq}",
                idempotency_key=new_id(),
            )
            for seq in range(MESSAGES_EACH)
        ]

    sent = [m for batch in _all_at_once(SENDERS, sender) for m in batch]

    polled: list[Message] = []
    token = repo.empty_conversation_token(client_id, therapist_id)
    while True:
        page = repo.list_newer(client_id, therapist_id, since=token, limit=100)
        if not page.items:
            break
        polled += page.items
        assert page.next_cursor is not None
        token = page.next_cursor
    assert len(polled) == SENDERS * MESSAGES_EACH
    assert sorted(m.message_id for m in polled) == sorted(m.message_id for m in sent)

    # Each sender's messages come back in the order that sender sent them.
    by_thread: dict[str, list[int]] = defaultdict(list)
    for message in polled:
        thread, seq = message.content.split(":")
        by_thread[thread].append(int(seq))
    assert len(by_thread) == SENDERS
    assert all(seqs == list(range(MESSAGES_EACH)) for seqs in by_thread.values())

    # Paging the conversation newest first sees the very same messages, reversed.
    newest_first: list[Message] = []
    cursor: str | None = None
    while True:
        listing = repo.list_conversation(client_id, therapist_id, limit=100, cursor=cursor)
        newest_first += listing.items
        cursor = listing.next_cursor
        if cursor is None:
            break
    assert newest_first == polled[::-1]
    assert _count(engine, schema.MESSAGES) == SENDERS * MESSAGES_EACH


def test_it_stores_one_journal_entry_for_ten_concurrent_sends_of_one_form(engine: DynamoGateway) -> None:
    from portal.dynamo.journal import JournalRepository
    from tests.factories import make_entry

    repo = JournalRepository()
    client_id, key = new_id(), new_id()

    def send(_: int) -> tuple[str, bool]:
        stored, created = repo.add_once(make_entry(client_id=client_id, note="double click"), key)
        return stored.entry_id, created

    results = _all_at_once(10, send)
    assert len({entry_id for entry_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert _count(engine, schema.JOURNAL) == 1


def test_it_leaves_exactly_one_outcome_when_a_client_withdraws_as_the_therapist_approves(
    engine: DynamoGateway,
) -> None:
    from portal.domain import AccountKind, Conflict, IllegalTransition, SessionStatus
    from portal.dynamo.sessions import SessionRepository
    from tests.factories import make_session

    repo = SessionRepository()
    for _ in range(10):
        read = repo.create(make_session())
        moves = [
            replace(read, status=SessionStatus.CANCELLED, cancelled_by=AccountKind.CLIENT),
            replace(read, status=SessionStatus.APPROVED, location="Room 2"),
        ]

        def attempt(n: int, moves: list[Any] = moves, version: int = read.version) -> str:
            try:
                return str(repo.update(moves[n], expected_version=version).status)
            except (Conflict, IllegalTransition):
                return "refused"

        outcomes = _all_at_once(2, attempt)
        assert sorted(outcomes).count("refused") == 1, outcomes
        stored = repo.get(read.session_id)
        assert stored is not None and stored.version == 2
        assert str(stored.status) == next(o for o in outcomes if o != "refused")


def test_it_stores_one_session_for_a_request_submitted_ten_times_at_once(engine: DynamoGateway) -> None:
    from portal.dynamo.sessions import SessionRepository
    from tests.factories import make_session

    repo = SessionRepository()
    client_id, key = new_id(), new_id()
    made = _all_at_once(10, lambda n: repo.create(make_session(client_id=client_id), idempotency_key=key))
    assert len({s.session_id for s in made}) == 1
    assert len(repo.list_by_client(client_id).items) == 1
