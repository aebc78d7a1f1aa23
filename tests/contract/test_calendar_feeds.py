"""CalendarFeedRepository: one token hash per account; a new one revokes the old in one transaction."""

from __future__ import annotations

import pytest

from portal.domain import AccountKind, Conflict
from portal.dynamo.calendar_feeds import CalendarFeedRepository
from portal.dynamo.gateway import DynamoGateway
from portal.ids import new_id


def test_it_swaps_and_revokes_an_accounts_feed(dynamo: DynamoGateway) -> None:
    repo = CalendarFeedRepository()
    account = new_id()
    assert repo.current_hash(AccountKind.CLIENT, account) is None

    repo.replace(AccountKind.CLIENT, account, new_hash="a" * 64, old_hash=None)
    assert repo.owner("a" * 64) == (AccountKind.CLIENT, account)
    repo.replace(AccountKind.CLIENT, account, new_hash="b" * 64, old_hash="a" * 64)
    assert repo.owner("a" * 64) is None
    assert repo.owner("b" * 64) == (AccountKind.CLIENT, account)
    assert repo.current_hash(AccountKind.CLIENT, account) == "b" * 64

    # A swap based on a hash that is no longer current changes nothing.
    with pytest.raises(Conflict):
        repo.replace(AccountKind.CLIENT, account, new_hash="c" * 64, old_hash="a" * 64)
    assert repo.owner("c" * 64) is None and repo.owner("b" * 64) is not None

    repo.replace(AccountKind.CLIENT, account, new_hash=None, old_hash="b" * 64)
    assert repo.owner("b" * 64) is None
    assert repo.current_hash(AccountKind.CLIENT, account) is None
