"""Both sides acting at once on one relationship: exactly one outcome is stored.

The services read the item consistently and write conditionally on what they
read, so whichever write lands second finds the state changed and is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.http import Http404

from portal.accounts.user import User
from portal.domain import AccountKind, Conflict, DomainError, MappingStatus
from portal.dynamo.audit import AuditRepository
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.services import relationships as service
from tests.accounts import make_account
from tests.contract.test_concurrency import _all_at_once
from tests.relationships import PORTAL_URL, connect

ROUNDS = 4


def _serialise_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """One request at a time on moto, as DynamoDB applies each atomically.

    Unlike test_concurrency's faster variant, moto's own deep copy for a
    transaction's rollback is kept: these transactions Update items in place,
    which a shallow snapshot would not roll back. The tables here are small.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    process_request = BotocoreStubber.process_request

    def serialised(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return process_request(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", serialised)


@pytest.fixture
def engine(request: pytest.FixtureRequest, dynamo: DynamoGateway, monkeypatch: pytest.MonkeyPatch) -> DynamoGateway:
    if request.node.callspec.params["dynamo"] == "moto":
        _serialise_moto(monkeypatch)
    return dynamo


def _outcome(action: Callable[[], object]) -> str:
    try:
        action()
    except (Conflict, DomainError, Http404):
        # Http404: the pair's mapping was already gone when this side looked.
        return "refused"
    return "done"


def _race(actions: list[Callable[[], object]]) -> list[str]:
    """Run both actions at the same moment; each says whether it was done or refused."""
    return _all_at_once(len(actions), lambda n: _outcome(actions[n]))


def _actions(client: User) -> list[str]:
    return [e.action for e in AuditRepository().list_for_subject(client.account_id, limit=50).items]


def test_it_stores_one_outcome_when_a_therapist_accepts_as_the_client_withdraws(engine: DynamoGateway) -> None:
    therapist = make_account(AccountKind.THERAPIST, name="Dr Race")
    for _ in range(ROUNDS):
        client = make_account(AccountKind.CLIENT, name="Racing Client")
        service.relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
        work = [
            partial(service.relationship_accept, user=therapist, other_id=client.account_id, portal_url=PORTAL_URL),
            partial(service.relationship_withdraw, user=client, other_id=therapist.account_id),
        ]

        accepted, withdrawn = _race(work)

        assert sorted([accepted, withdrawn]) == ["done", "refused"]
        stored = MappingRepository().get(client.account_id, therapist.account_id)
        record = RelationshipRepository().get(client.account_id, therapist.account_id)
        if accepted == "done":
            assert stored is not None and stored.status is MappingStatus.ACTIVE
            assert record is not None and record.was_active and record.ended_at is None
            assert service.ACCEPTED in _actions(client) and service.WITHDRAWN not in _actions(client)
        else:
            assert stored is None
            assert record is None or not record.was_active
            assert service.WITHDRAWN in _actions(client) and service.ACCEPTED not in _actions(client)


def test_it_stores_one_outcome_when_one_side_ends_as_the_other_blocks(engine: DynamoGateway) -> None:
    therapist = make_account(AccountKind.THERAPIST, name="Dr Race")
    for _ in range(ROUNDS):
        client = make_account(AccountKind.CLIENT, name="Racing Client")
        connect(client, therapist)
        work = [
            partial(service.relationship_end, user=client, other_id=therapist.account_id, portal_url=PORTAL_URL),
            partial(service.relationship_block, user=therapist, client_id=client.account_id),
        ]

        ended, blocked = _race(work)

        assert sorted([ended, blocked]) == ["done", "refused"]
        stored = MappingRepository().get(client.account_id, therapist.account_id)
        record = RelationshipRepository().get(client.account_id, therapist.account_id)
        assert record is not None and record.ended_at is not None
        if ended == "done":
            assert stored is None
        else:
            assert stored is not None and stored.status is MappingStatus.BLOCKED


def test_it_stores_one_outcome_when_a_client_accepts_an_invitation_as_the_therapist_withdraws_or_both_end(
    engine: DynamoGateway,
) -> None:
    therapist = make_account(AccountKind.THERAPIST, name="Dr Race")
    for _ in range(ROUNDS):
        client = make_account(AccountKind.CLIENT, name="Racing Client")
        service.relationship_invite(user=therapist, email=client.email, portal_url=PORTAL_URL)
        work = [
            partial(service.relationship_accept, user=client, other_id=therapist.account_id, portal_url=PORTAL_URL),
            partial(service.relationship_withdraw, user=therapist, other_id=client.account_id),
        ]
        accepted, withdrawn = _race(work)
        assert sorted([accepted, withdrawn]) == ["done", "refused"]
        stored = MappingRepository().get(client.account_id, therapist.account_id)
        assert (stored is not None) == (accepted == "done")
        if stored is None:
            continue

        # Accept won: now both sides end at once; one ends it, the other is told it changed.
        ends = [
            partial(service.relationship_end, user=client, other_id=therapist.account_id, portal_url=PORTAL_URL),
            partial(service.relationship_end, user=therapist, other_id=client.account_id, portal_url=PORTAL_URL),
        ]
        outcomes = _race(ends)
        assert sorted(outcomes) == ["done", "refused"]
        assert MappingRepository().get(client.account_id, therapist.account_id) is None
        assert _actions(client).count(service.ENDED) == 1
