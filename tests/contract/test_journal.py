"""JournalRepository: add, list (newest first), by time (LSI_Journal_Time), by feeling
(LSI_Journal_FeelingTime), shared entries by time felt (sparse LSI_Journal_SharedByTime), update, delete."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from portal.domain import Conflict, JournalEntry, MoodReading, NotFound
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.journal import JournalRepository
from portal.ids import new_id
from tests.factories import make_entry

DAY_ONE = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def _ids(entries: list[JournalEntry]) -> list[str]:
    return [e.entry_id for e in entries]


def _raw_item(dynamo: DynamoGateway, entry: JournalEntry) -> dict[str, object]:
    response = dynamo.client.get_item(
        TableName=dynamo.table_name(schema.JOURNAL),
        Key={"clientId": {"S": entry.client_id}, "journalEntryId": {"S": entry.entry_id}},
    )
    return response.get("Item", {})


def test_it_adds_and_gets_an_entry_and_never_overwrites_one(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    entry = make_entry(
        feeling="anxious", intensity=7, note="Before the exam.", time_of_emotion=DAY_ONE
    )

    repo.add(entry)

    assert repo.get(entry.client_id, entry.entry_id) == entry
    raw = _raw_item(dynamo, entry)
    assert raw["intensity"] == {"N": "7"}  # the seed's Number, not a string
    # Fixed-width UTC text, so that the time index's text order is time order.
    assert raw["timeOfEmotion"] == {"S": "2025-03-01T09:30:00.000000Z"}
    with pytest.raises(Conflict):
        repo.add(replace(entry, note="An overwrite attempt."))
    assert repo.get(entry.client_id, entry.entry_id) == entry
    assert repo.get(new_id(), entry.entry_id) is None  # another client's key finds nothing


def test_it_lists_a_clients_entries_newest_first_and_no_one_elses(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    written = [repo.add(make_entry(client_id=client_id)) for _ in range(4)]
    repo.add(make_entry())  # someone else's

    page = repo.list_recent(client_id)

    assert _ids(page.items) == _ids(written)[::-1]
    assert page.next_cursor is None


def test_it_lists_entries_in_a_time_range_through_the_time_index(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    # Written in an order unlike their times, so the result's order comes from the index.
    by_day = {
        day: repo.add(
            make_entry(client_id=client_id, time_of_emotion=DAY_ONE + timedelta(days=day))
        )
        for day in (3, 0, 4, 1, 2)
    }

    def days(entries: list[JournalEntry]) -> list[int]:
        return [next(d for d, e in by_day.items() if e.entry_id == x.entry_id) for x in entries]

    with count_dynamodb_calls() as calls:
        between = repo.list_by_time(
            client_id, start=DAY_ONE + timedelta(days=1), end=DAY_ONE + timedelta(days=3)
        )
    assert calls.by_operation() == {"Query": 1, "GetItem": 1}  # + the client's data key, once a page
    assert days(between.items) == [3, 2, 1]
    oldest_first = repo.list_by_time(client_id, newest_first=False)
    assert days(oldest_first.items) == [0, 1, 2, 3, 4]
    assert days(repo.list_by_time(client_id, start=DAY_ONE + timedelta(days=3)).items) == [4, 3]
    assert days(repo.list_by_time(client_id, end=DAY_ONE + timedelta(hours=1)).items) == [0]
    assert repo.list_by_time(client_id, start=DAY_ONE + timedelta(days=9)).items == []


def test_it_lists_one_feeling_through_the_feeling_index(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    happy = [repo.add(make_entry(client_id=client_id, feeling="happy")) for _ in range(3)]
    repo.add(make_entry(client_id=client_id, feeling="sad"))
    repo.add(make_entry(client_id=client_id, feeling="happyish"))  # a prefix is not a match
    repo.add(make_entry(feeling="happy"))  # another client's

    with count_dynamodb_calls() as calls:
        page = repo.list_by_feeling(client_id, "happy")
    assert calls.by_operation() == {"Query": 1, "GetItem": 1}  # + the client's data key, once a page

    assert sorted(_ids(page.items)) == sorted(_ids(happy))
    assert {e.feeling for e in page.items} == {"happy"}
    assert repo.list_by_feeling(client_id, "angry").items == []


def test_it_lists_only_shared_entries_and_unsharing_removes_one_at_once(
    dynamo: DynamoGateway,
) -> None:
    repo = JournalRepository()
    client_id = new_id()
    first, second = (repo.add(make_entry(client_id=client_id)) for _ in range(2))
    repo.set_shared(client_id, first.entry_id, DAY_ONE)
    shared = repo.set_shared(client_id, second.entry_id, DAY_ONE + timedelta(hours=1))
    assert shared.shared_at == DAY_ONE + timedelta(hours=1) and shared.is_shared
    # Newer private entries outnumber the page: a filter over the main table would
    # return an empty first page here; the sparse index never sees them.
    private = [repo.add(make_entry(client_id=client_id)) for _ in range(8)]

    with count_dynamodb_calls() as calls:
        page = repo.list_shared(client_id, limit=5)
    assert calls.by_operation() == {"Query": 1, "GetItem": 1}  # + the client's data key, once a page
    assert _ids(page.items) == [second.entry_id, first.entry_id]  # most recently shared first
    assert page.next_cursor is None
    assert "sharedAt" not in _raw_item(dynamo, private[0])

    unshared = repo.set_shared(client_id, second.entry_id, None)

    assert unshared.shared_at is None
    assert "sharedAt" not in _raw_item(dynamo, second)
    assert _ids(repo.list_shared(client_id).items) == [first.entry_id]
    assert repo.list_shared(new_id()).items == []
    with pytest.raises(NotFound):
        repo.set_shared(client_id, new_id(), DAY_ONE)


def test_it_updates_an_existing_entry_keeping_its_sharing(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    entry = repo.add(make_entry(feeling="sad", intensity=8, note="Rough day."))
    repo.set_shared(entry.client_id, entry.entry_id, DAY_ONE)

    updated = repo.update(
        replace(entry, feeling="relieved", intensity=2, note="", time_of_emotion=DAY_ONE)
    )

    assert (updated.feeling, updated.intensity, updated.note) == ("relieved", 2, "")
    assert updated.time_of_emotion == DAY_ONE
    assert updated.updated_at is not None
    assert updated.shared_at == DAY_ONE  # editing is not unsharing
    assert repo.get(entry.client_id, entry.entry_id) == updated
    assert "note" not in _raw_item(dynamo, entry)  # emptied, not stored as ""
    # The LSIs follow the new sort key values.
    assert _ids(repo.list_by_feeling(entry.client_id, "relieved").items) == [entry.entry_id]
    assert repo.list_by_feeling(entry.client_id, "sad").items == []
    # Update never creates: an entry that is not there stays not there.
    ghost = make_entry()
    with pytest.raises(NotFound):
        repo.update(ghost)
    assert repo.get(ghost.client_id, ghost.entry_id) is None


def test_it_deletes_an_entry_from_the_table_and_every_index(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    entry = repo.add(make_entry(feeling="angry"))
    kept = repo.add(make_entry(client_id=entry.client_id, feeling="angry"))
    repo.set_shared(entry.client_id, entry.entry_id, DAY_ONE)

    assert repo.delete(entry.client_id, entry.entry_id) is True

    assert repo.get(entry.client_id, entry.entry_id) is None
    assert _ids(repo.list_recent(entry.client_id).items) == [kept.entry_id]
    assert _ids(repo.list_by_feeling(entry.client_id, "angry").items) == [kept.entry_id]
    assert repo.list_shared(entry.client_id).items == []
    assert repo.delete(entry.client_id, entry.entry_id) is False


def _seed(dynamo: DynamoGateway, entries: list[JournalEntry]) -> None:
    from portal.dynamo.gateway import serialize_item
    from portal.dynamo.journal import stored_item

    name = dynamo.table_name(schema.JOURNAL)
    for start in range(0, len(entries), 25):
        requests = [{"PutRequest": {"Item": serialize_item(stored_item(e))}} for e in entries[start : start + 25]]
        dynamo.client.batch_write_item(RequestItems={name: requests})


def test_it_finds_one_sad_entry_behind_400_newer_calm_ones_in_one_query(dynamo: DynamoGateway) -> None:
    """The chart's feeling filter was applied after Limit=400: "No entries in this range yet"."""
    repo = JournalRepository()
    client_id = new_id()
    sad = make_entry(client_id=client_id, feeling="sad", time_of_emotion=DAY_ONE)
    calm = [
        make_entry(client_id=client_id, feeling="calm", time_of_emotion=DAY_ONE + timedelta(minutes=n + 1))
        for n in range(400)
    ]
    _seed(dynamo, [sad, *calm])
    with count_dynamodb_calls() as calls:
        entries, more = repo.list_for_chart(
            client_id, start=DAY_ONE - timedelta(days=1), end=DAY_ONE + timedelta(days=1), feeling="sad"
        )
    assert calls.by_operation() == {"Query": 1}
    assert _ids(entries) == [sad.entry_id] and more is False
    # Without a feeling the chart shows the newest 400 and says there were more.
    everything, more = repo.list_for_chart(client_id, start=DAY_ONE - timedelta(days=1), end=DAY_ONE + timedelta(days=1))
    assert len(everything) == 400 and more is True


def test_a_chart_reads_when_and_how_an_entry_felt_and_never_its_note(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    entry = make_entry(client_id=client_id, feeling="sad", time_of_emotion=DAY_ONE, note="words for no chart")
    repo.add(entry)
    with count_dynamodb_calls() as calls:
        readings, more = repo.list_for_chart(client_id, start=DAY_ONE - timedelta(days=1), end=DAY_ONE)
    # One Query and no data key: nothing was decrypted, nothing could be.
    assert calls.by_operation() == {"Query": 1}
    assert readings == [MoodReading(entry.entry_id, entry.time_of_emotion, entry.feeling, entry.intensity)]
    assert more is False


def test_a_chart_query_leaves_the_notes_ciphertext_in_the_table(
    dynamo: DynamoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = new_id()
    JournalRepository().add(make_entry(client_id=client_id, time_of_emotion=DAY_ONE, note="words for no chart"))
    answered: list[list[dict[str, object]]] = []
    query = DynamoGateway.query

    def recording(self: DynamoGateway, *args: object, **kwargs: object) -> object:
        result = query(self, *args, **kwargs)  # type: ignore[arg-type]
        answered.append(result.items)
        return result

    monkeypatch.setattr(DynamoGateway, "query", recording)
    JournalRepository().list_for_chart(client_id, start=DAY_ONE - timedelta(days=1), end=DAY_ONE)
    # What DynamoDB sent back: when, which feeling, how strongly; not the note, not even encrypted.
    assert [sorted(item) for item in answered[0]] == [["feeling", "intensity", "journalEntryId", "timeOfEmotion"]]


def test_it_pages_one_feeling_between_two_dates_newest_first_with_full_pages(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    # Alternating feelings over 60 days: a filter on the time index would return half-empty pages.
    entries = [
        make_entry(
            client_id=client_id,
            feeling=("sad", "calm", "calm")[n % 3],
            time_of_emotion=DAY_ONE + timedelta(days=n),
        )
        for n in range(60)
    ]
    _seed(dynamo, entries)
    start, end = DAY_ONE + timedelta(days=10), DAY_ONE + timedelta(days=40)
    expected = sorted(
        (e for e in entries if e.feeling == "sad" and start <= e.time_of_emotion <= end),
        key=lambda e: e.time_of_emotion,
        reverse=True,
    )
    pages = []
    cursor = None
    while True:
        with count_dynamodb_calls() as calls:
            page = repo.list_by_feeling(client_id, "sad", start=start, end=end, limit=4, cursor=cursor)
        assert calls.by_operation() == {"Query": 1, "GetItem": 1}  # + the client's data key
        pages.append(_ids(page.items))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [len(p) for p in pages] == [4, 4, 2]  # 10 sad entries in the range, newest felt first
    assert [i for p in pages for i in p] == _ids(expected)
    # One feeling alone: newest felt first, not the order the entries were written.
    newest = repo.list_by_feeling(client_id, "sad", limit=3).items
    assert [e.time_of_emotion for e in newest] == sorted(
        (e.time_of_emotion for e in entries if e.feeling == "sad"), reverse=True
    )[:3]


def test_it_lists_shared_entries_by_the_time_they_were_felt(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    felt_long_ago = repo.add(make_entry(client_id=client_id, time_of_emotion=DAY_ONE))
    felt_recently = repo.add(make_entry(client_id=client_id, time_of_emotion=DAY_ONE + timedelta(days=5)))
    # Shared in the opposite order to when they were felt.
    repo.set_shared(client_id, felt_recently.entry_id, DAY_ONE + timedelta(days=6))
    repo.set_shared(client_id, felt_long_ago.entry_id, DAY_ONE + timedelta(days=7))
    assert _ids(repo.list_shared(client_id).items) == [felt_recently.entry_id, felt_long_ago.entry_id]
    # "Since the last session" is one key condition.
    since = repo.list_shared(client_id, since=DAY_ONE + timedelta(days=1)).items
    assert _ids(since) == [felt_recently.entry_id]
    # Editing the time of a shared entry moves it in the shared index; unsharing takes it out.
    moved = repo.update(replace(repo.get(client_id, felt_long_ago.entry_id), time_of_emotion=DAY_ONE + timedelta(days=9)))  # type: ignore[arg-type]
    assert moved.is_shared
    assert _ids(repo.list_shared(client_id).items) == [felt_long_ago.entry_id, felt_recently.entry_id]
    repo.set_shared(client_id, felt_long_ago.entry_id, None)
    raw = _raw_item(dynamo, felt_long_ago)
    assert "sharedFeltAt" not in raw and "sharedAt" not in raw
    assert _ids(repo.list_shared(client_id).items) == [felt_recently.entry_id]


def test_it_counts_the_entries_shared_after_a_time_in_one_query(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    entries = [repo.add(make_entry(client_id=client_id, time_of_emotion=DAY_ONE + timedelta(days=n))) for n in range(4)]
    repo.add(make_entry(client_id=client_id, time_of_emotion=DAY_ONE))  # private: never counted
    # Felt late but shared early, and felt early but shared late: the share time decides.
    for number, entry in enumerate(reversed(entries)):
        repo.set_shared(client_id, entry.entry_id, DAY_ONE + timedelta(days=10 + number))
    with count_dynamodb_calls() as calls:
        counted = repo.count_shared_after(client_id, DAY_ONE + timedelta(days=11))
    assert counted == (2, True)
    assert calls.by_operation() == {"Query": 1}
    assert repo.count_shared_after(client_id, DAY_ONE + timedelta(days=20)) == (0, True)
    assert repo.count_shared_after(new_id(), DAY_ONE) == (0, True)


def test_it_keeps_an_unshared_entry_out_of_the_shared_index_when_an_edit_assumed_it_shared(
    dynamo: DynamoGateway,
) -> None:
    """An edit read the entry while shared; it was unshared before the edit landed."""
    repo = JournalRepository()
    client_id = new_id()
    entry = repo.add(make_entry(client_id=client_id, time_of_emotion=DAY_ONE))
    shared = repo.set_shared(client_id, entry.entry_id, DAY_ONE)
    repo.set_shared(client_id, entry.entry_id, None)
    edited = repo.update(replace(shared, feeling="sad"))
    assert edited.feeling == "sad" and not edited.is_shared
    assert "sharedFeltAt" not in _raw_item(dynamo, entry)
    assert repo.list_shared(client_id).items == []
    assert _ids(repo.list_by_feeling(client_id, "sad").items) == [entry.entry_id]


def test_it_reads_entry_labels_in_one_batch_without_their_notes(dynamo: DynamoGateway) -> None:
    repo = JournalRepository()
    client_id = new_id()
    entries = [repo.add(make_entry(client_id=client_id, note="never needed here")) for _ in range(3)]
    with count_dynamodb_calls() as calls:
        labels = repo.get_labels(client_id, [e.entry_id for e in entries[:2]] + [new_id()])
    # One BatchGetItem and no data-key read: the notes are not even fetched.
    assert calls.by_operation() == {"BatchGetItem": 1}
    assert sorted(labels) == sorted(_ids(entries[:2]))
    first = labels[entries[0].entry_id]
    assert (first.feeling, first.intensity, first.time_of_emotion, first.note) == (
        entries[0].feeling,
        entries[0].intensity,
        entries[0].time_of_emotion,
        "",
    )
