"""WebSessionRepository on moto and on dynoxide (see tests/contract/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from boto3.dynamodb.conditions import Key

from portal.domain import Conflict, NotFound
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import WEB_SESSIONS
from portal.dynamo.web_sessions import WebSessionRecord, WebSessionRepository

_INDEX = "GSI_WebSessions_ByAccount"


def make_record(**overrides: object) -> WebSessionRecord:
    fields: dict[str, object] = {
        "session_key": "k" * 32,
        "session_data": "encoded-data",
        # Whole seconds: that is all the table keeps.
        "expires_at": datetime.now(UTC).replace(microsecond=0) + timedelta(days=14),
        "account_key": None,
    }
    fields.update(overrides)
    return WebSessionRecord(**fields)  # type: ignore[arg-type]


def raw_item(dynamo: DynamoGateway, session_key: str) -> dict[str, object] | None:
    # Bypasses the repository's expiry filter: what is really stored.
    return dynamo.get(WEB_SESSIONS, {"sessionKey": session_key}, consistent=True)


def account_index(dynamo: DynamoGateway, account_key: str) -> set[str]:
    result = dynamo.query(WEB_SESSIONS, Key("accountKey").eq(account_key), index=_INDEX, limit=100)
    return {item["sessionKey"] for item in result.items}


def test_it_creates_and_loads_a_session(dynamo: DynamoGateway) -> None:
    repo = WebSessionRepository()
    record = make_record(account_key="client:01JABC")

    repo.create(record)

    assert repo.get(record.session_key) == record
    stored = raw_item(dynamo, record.session_key)
    assert stored is not None
    # The TTL attribute must be a number of epoch seconds or DynamoDB ignores it.
    assert stored["expiresAt"] == int(record.expires_at.timestamp())


def test_it_answers_none_for_an_unknown_key(dynamo: DynamoGateway) -> None:
    assert WebSessionRepository().get("n" * 32) is None


def test_it_refuses_to_create_a_second_session_under_a_taken_key(dynamo: DynamoGateway) -> None:
    repo = WebSessionRepository()
    repo.create(make_record(session_data="first", account_key="client:A"))

    with pytest.raises(Conflict):
        repo.create(make_record(session_data="second", account_key="client:B"))

    kept = repo.get("k" * 32)
    assert kept is not None and kept.session_data == "first" and kept.account_key == "client:A"


def test_it_refuses_to_reuse_the_key_of_an_expired_but_undeleted_session(
    dynamo: DynamoGateway,
) -> None:
    repo = WebSessionRepository()
    repo.create(make_record(expires_at=datetime.now(UTC) - timedelta(hours=1)))

    with pytest.raises(Conflict):
        repo.create(make_record())


def test_it_overwrites_a_session_on_save(dynamo: DynamoGateway) -> None:
    repo = WebSessionRepository()
    repo.create(make_record())
    later = make_record(
        session_data="after-login",
        expires_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=1),
        account_key="therapist:01JT",
    )

    repo.save(later)

    assert repo.get("k" * 32) == later


def test_it_drops_the_account_key_when_a_session_logs_out(dynamo: DynamoGateway) -> None:
    repo = WebSessionRepository()
    repo.create(make_record(account_key="client:A"))

    repo.save(make_record(account_key=None))

    stored = raw_item(dynamo, "k" * 32)
    assert stored is not None and "accountKey" not in stored
    assert account_index(dynamo, "client:A") == set()


def test_it_never_resurrects_a_deleted_session_on_save(dynamo: DynamoGateway) -> None:
    repo = WebSessionRepository()
    repo.create(make_record())
    repo.delete("k" * 32)

    with pytest.raises(NotFound):
        repo.save(make_record(account_key="client:A"))

    assert raw_item(dynamo, "k" * 32) is None


def test_it_deletes_a_session(dynamo: DynamoGateway) -> None:
    repo = WebSessionRepository()
    repo.create(make_record())

    assert repo.delete("k" * 32) is True

    assert repo.get("k" * 32) is None
    assert raw_item(dynamo, "k" * 32) is None


def test_it_deletes_a_missing_session_quietly(dynamo: DynamoGateway) -> None:
    assert WebSessionRepository().delete("m" * 32) is False


def test_it_treats_an_expired_but_undeleted_session_as_absent(dynamo: DynamoGateway) -> None:
    repo = WebSessionRepository()
    repo.create(make_record(expires_at=datetime.now(UTC) - timedelta(seconds=5)))

    assert raw_item(dynamo, "k" * 32) is not None  # TTL has not removed it yet...
    assert repo.get("k" * 32) is None  # ...but it is over.


def test_it_lets_a_session_expire_when_the_clock_passes_expires_at(
    dynamo: DynamoGateway,
) -> None:
    expires_at = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    now = [expires_at - timedelta(seconds=1)]
    repo = WebSessionRepository(clock=lambda: now[0])
    repo.create(make_record(expires_at=expires_at))

    assert repo.get("k" * 32) is not None
    now[0] = expires_at
    assert repo.get("k" * 32) is None


def test_it_keeps_anonymous_sessions_out_of_the_account_index(dynamo: DynamoGateway) -> None:
    repo = WebSessionRepository()
    repo.create(make_record(session_key="a" * 32, account_key=None))
    repo.create(make_record(session_key="b" * 32, account_key="client:A"))

    assert "accountKey" not in (raw_item(dynamo, "a" * 32) or {"accountKey": "?"})
    # Scanning the index itself shows what it holds: only the logged-in session.
    index_items = dynamo.client.scan(
        TableName=dynamo.table_name(WEB_SESSIONS), IndexName=_INDEX
    )["Items"]
    assert [item["sessionKey"]["S"] for item in index_items] == ["b" * 32]


def test_it_deletes_every_session_of_an_account_but_the_one_kept(
    dynamo: DynamoGateway,
) -> None:
    repo = WebSessionRepository()
    mine = [f"{i:032d}" for i in range(5)]
    for key in mine:
        repo.create(make_record(session_key=key, account_key="client:A"))
    repo.create(make_record(session_key="o" * 32, account_key="client:B"))
    repo.create(make_record(session_key="x" * 32, account_key=None))

    deleted = repo.delete_for_account("client:A", except_session_key=mine[2])

    assert deleted == 4
    assert account_index(dynamo, "client:A") == {mine[2]}
    assert repo.get(mine[2]) is not None
    # Other accounts and anonymous sessions are untouched.
    assert repo.get("o" * 32) is not None
    assert repo.get("x" * 32) is not None


def test_it_deletes_every_session_of_an_account_when_none_is_kept(
    dynamo: DynamoGateway,
) -> None:
    repo = WebSessionRepository()
    for i in range(3):
        repo.create(make_record(session_key=f"{i:032d}", account_key="staff:S"))

    assert repo.delete_for_account("staff:S") == 3
    assert account_index(dynamo, "staff:S") == set()


def test_it_deletes_across_more_than_one_query_page(dynamo: DynamoGateway) -> None:
    repo = WebSessionRepository()
    keys = [f"{i:032d}" for i in range(230)]
    for key in keys:
        repo.create(make_record(session_key=key, account_key="client:MANY"))

    # 230 sessions take three pages of 100; deleting while paging must not lose
    # the place (the continuation key names an item already deleted).
    deleted = repo.delete_for_account("client:MANY", except_session_key=keys[150])

    assert deleted == 229
    remaining = dynamo.client.scan(TableName=dynamo.table_name(WEB_SESSIONS))["Items"]
    assert [item["sessionKey"]["S"] for item in remaining] == [keys[150]]


def test_it_keeps_session_data_out_of_the_records_repr() -> None:
    record = make_record(session_data="secret-health-data")

    assert "secret-health-data" not in repr(record)
    assert "k" * 32 not in repr(record)


def test_it_moves_the_expiry_without_rewriting_the_account_index(dynamo: DynamoGateway) -> None:
    # The expiry moves while a session is used; a copy of it in the index would make
    # every move a billed index write too.
    from bench.cost import projected

    repo = WebSessionRepository()
    record = make_record(account_key="client:A", device="Firefox on Linux", logged_in_at=datetime.now(UTC))
    repo.create(record)
    index = WEB_SESSIONS.index(_INDEX)
    before = projected(WEB_SESSIONS, index, raw_item(dynamo, record.session_key))

    repo.save(make_record(**{**record.__dict__, "expires_at": record.expires_at + timedelta(minutes=1)}))

    assert before is not None
    assert projected(WEB_SESSIONS, index, raw_item(dynamo, record.session_key)) == before


def test_it_lists_an_accounts_live_sessions_with_their_expiry(dynamo: DynamoGateway) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    repo = WebSessionRepository()
    live = make_record(session_key="l" * 32, account_key="client:A", logged_in_at=now, expires_at=now + timedelta(hours=2))
    expired = make_record(session_key="e" * 32, account_key="client:A", logged_in_at=now, expires_at=now - timedelta(minutes=1))
    repo.create(live)
    repo.create(expired)

    listed = repo.list_for_account("client:A")

    assert [(r.session_key, r.expires_at, r.session_data) for r in listed] == [("l" * 32, live.expires_at, "")]
