"""Cursor pagination: no gaps or duplicates, signed cursors, and one Query per page at any size."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing

from portal.domain import InvalidCursor, JournalEntry, Page
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway, serialize_item
from portal.dynamo.journal import JournalRepository, stored_item
from portal.ids import new_id
from portal.timeutil import to_iso

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

Lister = Callable[[str | None], Page[JournalEntry]]


def _seed_journal(
    dynamo: DynamoGateway, client_id: str, count: int, *, shared_every: int = 0
) -> list[str]:
    """Write ``count`` entries straight to the table, 25 per BatchWriteItem; returns their ids.

    Going around the repository keeps 1,000 rows to 40 requests.
    """
    ids = [new_id() for _ in range(count)]
    rows = [
        stored_item(
            JournalEntry(
                client_id=client_id,
                entry_id=entry_id,
                time_of_emotion=EPOCH + timedelta(minutes=n),
                feeling=("calm", "sad", "happy")[n % 3],
                intensity=n % 10 + 1,
                created_at=EPOCH,
                shared_at=EPOCH + timedelta(minutes=n) if shared_every and n % shared_every == 0 else None,
            )
        )
        for n, entry_id in enumerate(ids)
    ]
    _write(dynamo, rows)
    return ids


def _write(dynamo: DynamoGateway, rows: list[dict[str, object]]) -> None:
    name = dynamo.table_name(schema.JOURNAL)
    for start in range(0, len(rows), 25):
        requests = [{"PutRequest": {"Item": serialize_item(r)}} for r in rows[start : start + 25]]
        dynamo.client.batch_write_item(RequestItems={name: requests})


def _all_pages(list_page: Lister) -> list[list[str]]:
    """Follow cursors until there is none; returns each page's ids."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page = list_page(cursor)
        pages.append([e.entry_id for e in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursors never end"


def _tampered(cursor: str) -> str:
    # Change one character of the payload, keeping the signature: like editing the URL.
    position = len(cursor) // 3
    replacement = "A" if cursor[position] != "A" else "B"
    return cursor[:position] + replacement + cursor[position + 1 :]


def _count_calls(listing: Lister) -> dict[str, int]:
    with count_dynamodb_calls() as calls:
        page = listing(None)
    assert page.items  # a page that found nothing would prove nothing
    return calls.by_operation()


def test_it_pages_through_25_entries_as_10_10_5_without_gap_or_duplicate(
    dynamo: DynamoGateway,
) -> None:
    repo = JournalRepository()
    client_id = new_id()
    ids = _seed_journal(dynamo, client_id, 25)

    pages = _all_pages(lambda cursor: repo.list_recent(client_id, limit=10, cursor=cursor))

    assert [len(p) for p in pages] == [10, 10, 5]
    assert [i for p in pages for i in p] == ids[::-1]  # newest first, each once

    # An index's cursor carries the index key as well: paging it works the same.
    by_time = _all_pages(
        lambda cursor: repo.list_by_time(client_id, newest_first=False, limit=10, cursor=cursor)
    )
    assert [len(p) for p in by_time] == [10, 10, 5]
    assert [i for p in by_time for i in p] == ids  # seeded in time order


@pytest.mark.parametrize("listing", ["recent", "by time", "by feeling", "shared", "oldest first"])
def test_it_offers_no_next_page_when_the_last_page_is_exactly_full(dynamo: DynamoGateway, listing: str) -> None:
    """DynamoDB returns a LastEvaluatedKey whenever it stops at the limit; "load more" must not then show nothing."""
    repo = JournalRepository()
    client_id = new_id()
    # Every entry "calm" and shared, so every listing holds all 20.
    rows = [
        stored_item(
            JournalEntry(
                client_id=client_id,
                entry_id=new_id(),
                time_of_emotion=EPOCH + timedelta(minutes=n),
                feeling="calm",
                intensity=5,
                created_at=EPOCH,
                shared_at=EPOCH,
            )
        )
        for n in range(20)
    ]
    _write(dynamo, rows)
    listers: dict[str, Lister] = {
        "recent": lambda cursor: repo.list_recent(client_id, limit=10, cursor=cursor),
        "by time": lambda cursor: repo.list_by_time(client_id, limit=10, cursor=cursor),
        "by feeling": lambda cursor: repo.list_by_feeling(client_id, "calm", limit=10, cursor=cursor),
        "shared": lambda cursor: repo.list_shared(client_id, limit=10, cursor=cursor),
        "oldest first": lambda cursor: repo.list_by_time(client_id, newest_first=False, limit=10, cursor=cursor),
    }
    pages = _all_pages(listers[listing])
    assert [len(p) for p in pages] == [10, 10]
    assert len({i for p in pages for i in p}) == 20
    # A journal of exactly one page offers no "load more" at all.
    assert repo.list_recent(client_id, limit=20).next_cursor is None


def test_it_refuses_a_tampered_cursor(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    _seed_journal(dynamo, client_id, 3)
    cursor = repo.list_recent(client_id, limit=1).next_cursor
    assert cursor is not None
    assert repo.list_recent(client_id, limit=1, cursor=cursor).items  # the genuine one works

    # Someone who knows the format but not our secret key, pointing at another client's partition.
    forged = signing.dumps(
        {"clientId": {"S": new_id()}, "journalEntryId": {"S": "Z"}},
        key="an-attackers-guess",
        salt=f"portal.dynamo.cursor:journal.recent:{client_id}",
        compress=True,
    )
    for bad in (_tampered(cursor), cursor[:-3], "not-a-cursor", forged):
        with pytest.raises(InvalidCursor):
            repo.list_recent(client_id, limit=1, cursor=bad)


def test_it_refuses_a_cursor_from_another_clients_or_another_listing(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    mine, theirs = new_id(), new_id()
    _seed_journal(dynamo, mine, 3, shared_every=1)
    _seed_journal(dynamo, theirs, 3, shared_every=1)
    their_cursor = repo.list_recent(theirs, limit=1).next_cursor
    my_cursor = repo.list_recent(mine, limit=1).next_cursor
    assert their_cursor is not None and my_cursor is not None

    with pytest.raises(InvalidCursor):
        repo.list_recent(mine, limit=1, cursor=their_cursor)
    # The same client's cursor is still refused on a listing with another shape.
    with pytest.raises(InvalidCursor):
        repo.list_shared(mine, limit=1, cursor=my_cursor)
    with pytest.raises(InvalidCursor):
        repo.list_by_feeling(mine, "calm", limit=1, cursor=my_cursor)


def test_it_lists_a_page_with_one_query_at_10_and_at_1000_entries(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    listings: dict[str, Lister] = {
        "recent": lambda cursor: repo.list_recent(client_id, limit=10, cursor=cursor),
        "by time": lambda cursor: repo.list_by_time(client_id, limit=10, cursor=cursor),
        "by feeling": lambda cursor: repo.list_by_feeling(client_id, "sad", limit=10, cursor=cursor),
        "shared": lambda cursor: repo.list_shared(client_id, limit=10, cursor=cursor),
    }
    _seed_journal(dynamo, client_id, 10, shared_every=1)
    small = {name: _count_calls(listing) for name, listing in listings.items()}

    # 990 more, of which one in 100 is shared: the shared page must not read the private ones.
    _seed_journal(dynamo, client_id, 990, shared_every=100)
    large = {name: _count_calls(listing) for name, listing in listings.items()}

    assert small == large == {name: {"Query": 1} for name in listings}
    first = repo.list_recent(client_id, limit=10)
    with count_dynamodb_calls() as calls:
        second = repo.list_recent(client_id, limit=10, cursor=first.next_cursor)
    assert calls.by_operation() == {"Query": 1}  # a later page costs the same as the first
    assert len(second.items) == 10
    assert len(repo.list_shared(client_id, limit=100).items) == 20


def test_it_hides_the_key_inside_a_cursor(dynamo: DynamoGateway) -> None:
    """Cursors travel in URLs, which access logs keep: the entry time and feeling must not be readable."""
    import base64
    import zlib

    from portal.dynamo.pagination import decode_cursor, encode_cursor

    key = {"clientId": {"S": "c1"}, "journalEntryId": {"S": "e1"}, "feeling": {"S": "ashamed"}}
    cursor = encode_cursor(key, "scope")
    assert cursor is not None
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for candidate in (raw, _try_inflate(raw, zlib)):
        assert b"ashamed" not in candidate
    assert decode_cursor(cursor, "scope") == key


def _try_inflate(raw: bytes, zlib: object) -> bytes:
    try:
        return zlib.decompress(raw)  # type: ignore[attr-defined]
    except Exception:
        return b""


# --- every list: no empty last page at an exact multiple of the page size ------------------

PAGE = 3


def _audit_events(dynamo: DynamoGateway, count: int, kind: str) -> Callable[[str | None], Page[object]]:
    from portal.domain import AccountKind, AuditCategory
    from portal.dynamo.audit import AuditRepository

    audit, subject, actor = AuditRepository(), new_id(), new_id()
    for _ in range(count):
        audit.record(
            subject_id=subject,
            action="journal.shared.read",
            actor_kind=AccountKind.THERAPIST,
            actor_id=actor,
            category=AuditCategory.JOURNAL_READ,
        )
    return {
        "audit.subject": lambda cursor: audit.list_for_subject(subject, limit=PAGE, cursor=cursor),
        "audit.access": lambda cursor: audit.list_for_subject(
            subject, category=AuditCategory.JOURNAL_READ, limit=PAGE, cursor=cursor
        ),
        "audit.actor": lambda cursor: audit.list_by_actor(AccountKind.THERAPIST, actor, limit=PAGE, cursor=cursor),
        "audit.day": lambda cursor: audit.list_by_day(datetime.now(UTC).date(), limit=PAGE, cursor=cursor),
    }[kind]


def _records(dynamo: DynamoGateway, count: int, kind: str) -> Callable[[str | None], Page[object]]:
    from portal.dynamo.relationships import RelationshipRepository, activation_op

    client_id, therapist_id = new_id(), new_id()
    for n in range(count):
        pair = (client_id, new_id()) if kind == "relationships.client" else (new_id(), therapist_id)
        op = activation_op(*pair, at=EPOCH + timedelta(minutes=n), client_name="C", therapist_name="T")
        dynamo.transact_write([op])
    records = RelationshipRepository()
    if kind == "relationships.client":
        return lambda cursor: records.list_for_client(client_id, limit=PAGE, cursor=cursor)
    return lambda cursor: records.list_for_therapist(therapist_id, limit=PAGE, cursor=cursor)


def _mappings(dynamo: DynamoGateway, count: int, kind: str) -> Callable[[str | None], Page[object]]:
    from portal.domain import MappingStatus, Side
    from portal.dynamo.mappings import MappingRepository

    mappings, client_id, therapist_id = MappingRepository(), new_id(), new_id()
    for n in range(count):
        if kind == "mappings.client":
            mappings.put(client_id, new_id(), MappingStatus.ACTIVE)
        elif kind == "mappings.pending":
            mappings.create_pending(
                new_id(), therapist_id, requested_by=Side.CLIENT, client_name="C", therapist_name="T",
                at=EPOCH + timedelta(minutes=n),
            )
        else:
            mappings.put(new_id(), therapist_id, MappingStatus.ACTIVE)
    return {
        "mappings.client": lambda cursor: mappings.list_for_client(client_id, limit=PAGE, cursor=cursor),
        "mappings.therapist": lambda cursor: mappings.list_for_therapist(therapist_id, limit=PAGE, cursor=cursor),
        "mappings.therapist.no-pending": lambda cursor: mappings.list_for_therapist(
            therapist_id, limit=PAGE, cursor=cursor, without_pending=True
        ),
        "mappings.pending": lambda cursor: mappings.list_pending_for_therapist(therapist_id, limit=PAGE, cursor=cursor),
    }[kind]


def _erasures(dynamo: DynamoGateway, count: int, kind: str) -> Callable[[str | None], Page[object]]:
    from portal.dynamo.erasures import ErasureRepository

    for n in range(count):
        dynamo.put(
            schema.ACCOUNT_ERASURES,
            {
                "accountId": new_id(),
                "accountKind": "client",
                "startedAt": to_iso(EPOCH + timedelta(minutes=n)),
                "pending": "pending",
            },
        )
    return lambda cursor: ErasureRepository().list_unfinished(limit=PAGE, cursor=cursor)


def _sessions(dynamo: DynamoGateway, count: int, kind: str) -> Callable[[str | None], Page[object]]:
    from portal.dynamo.sessions import SessionRepository
    from tests.factories import make_session

    sessions, client_id, therapist_id = SessionRepository(), new_id(), new_id()
    for n in range(count):
        when = datetime.now(UTC) + timedelta(days=1, hours=n)
        sessions.create(make_session(client_id=client_id, therapist_id=therapist_id, scheduled_for=when))
    return {
        "sessions.therapist": lambda cursor: sessions.list_by_therapist(therapist_id, limit=PAGE, cursor=cursor),
        "sessions.client": lambda cursor: sessions.list_by_client(client_id, limit=PAGE, cursor=cursor),
        "sessions.all.schedules": lambda cursor: sessions.list_all_schedules(limit=PAGE, cursor=cursor),
    }[kind]


def _directory(dynamo: DynamoGateway, count: int, kind: str) -> Callable[[str | None], Page[object]]:
    from portal.domain import AccountKind
    from portal.dynamo.therapists import TherapistRepository
    from tests.accounts import make_account

    for _ in range(count):
        make_account(AccountKind.THERAPIST)  # listed, specialised in anxiety
    return lambda cursor: TherapistRepository().search_listed("anxiety", limit=PAGE, cursor=cursor)


LISTS = {
    "audit.subject": _audit_events,
    "audit.access": _audit_events,
    "audit.actor": _audit_events,
    "audit.day": _audit_events,
    "relationships.client": _records,
    "relationships.therapist": _records,
    "mappings.client": _mappings,
    "mappings.therapist": _mappings,
    "mappings.therapist.no-pending": _mappings,
    "mappings.pending": _mappings,
    "erasures.pending": _erasures,
    "sessions.therapist": _sessions,
    "sessions.client": _sessions,
    "sessions.all.schedules": _sessions,
    "therapists.directory": _directory,
}


@pytest.mark.parametrize("kind", sorted(LISTS))
def test_every_list_offers_no_empty_page_after_an_exactly_full_one(dynamo: DynamoGateway, kind: str) -> None:
    full = LISTS[kind](dynamo, PAGE * 2, kind)
    first = full(None)
    assert len(first.items) == PAGE and first.next_cursor
    second = full(first.next_cursor)
    # Exactly full and nothing after it: no "load more" that would show nothing.
    assert len(second.items) == PAGE and second.next_cursor is None


@pytest.mark.parametrize("kind", sorted(LISTS))
def test_every_list_still_offers_the_page_after_a_full_one_when_more_follow(dynamo: DynamoGateway, kind: str) -> None:
    listing = LISTS[kind](dynamo, PAGE + 1, kind)
    first = listing(None)
    assert len(first.items) == PAGE and first.next_cursor
    rest = listing(first.next_cursor)
    assert len(rest.items) == 1 and rest.next_cursor is None
