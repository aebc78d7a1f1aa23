"""MessageRepository: idempotent send, a conversation newest page first, polling with list_newer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.domain import ConversationClosed, InvalidCursor, InvalidMessage, Message, Sender, Side
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.messages import MessageRepository, conversation_id
from portal.dynamo.relationships import RelationshipRepository
from portal.ids import new_id
from portal.timeutil import to_iso


def _send(
    repo: MessageRepository,
    client_id: str,
    therapist_id: str,
    content: str,
    sender: Sender = Sender.CLIENT,
) -> Message:
    return repo.send(
        client_id=client_id,
        therapist_id=therapist_id,
        sender=sender,
        content=content,
        idempotency_key=new_id(),
    )


def _stored(dynamo: DynamoGateway) -> list[dict[str, dict[str, str]]]:
    return dynamo.client.scan(TableName=dynamo.table_name(schema.MESSAGES))["Items"]


def test_it_sends_a_message_into_the_conversations_partition(dynamo: DynamoGateway) -> None:
    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()

    sent = _send(repo, client_id, therapist_id, "See you Tuesday?", Sender.THERAPIST)

    [item] = _stored(dynamo)
    assert item["conversationId"] == {"S": f"CLIENT#{client_id}#THERAPIST#{therapist_id}"}
    assert item["conversationId"]["S"] == conversation_id(client_id, therapist_id)
    # The sort key starts with the ISO time (time order) and ends with the id (no collisions).
    assert item["createdAt"]["S"] == f"{to_iso(sent.created_at)}#{sent.message_id}"
    assert (item["sender"], item["receiver"]) == ({"S": "therapist"}, {"S": "client"})
    assert item["messageId"] == {"S": sent.message_id}
    assert repo.list_conversation(client_id, therapist_id).items == [sent]
    assert repo.list_conversation(client_id, new_id()).items == []


def test_it_lists_a_conversation_newest_page_first(dynamo: DynamoGateway) -> None:
    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    sent = [_send(repo, client_id, therapist_id, f"message {i}") for i in range(7)]
    _send(repo, client_id, new_id(), "another conversation")

    with count_dynamodb_calls() as calls:
        newest = repo.list_conversation(client_id, therapist_id, limit=3)
    assert calls.by_operation() == {"Query": 1, "BatchGetItem": 1}  # + the page's data keys
    older = repo.list_conversation(client_id, therapist_id, limit=3, cursor=newest.next_cursor)
    oldest = repo.list_conversation(client_id, therapist_id, limit=3, cursor=older.next_cursor)

    assert [m.content for m in newest.items] == ["message 6", "message 5", "message 4"]
    assert [m.content for m in older.items] == ["message 3", "message 2", "message 1"]
    assert [m.content for m in oldest.items] == ["message 0"]
    assert oldest.next_cursor is None
    assert oldest.items[0] == sent[0]


def test_it_polls_for_newer_messages_with_a_since_token(dynamo: DynamoGateway) -> None:
    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    empty_page = repo.empty_conversation_token(client_id, therapist_id)
    first = [_send(repo, client_id, therapist_id, f"early {i}") for i in range(3)]

    start = repo.list_newer(client_id, therapist_id, since=empty_page)
    assert start.items == first  # oldest first, for appending to the page
    assert start.next_cursor is not None

    quiet = repo.list_newer(client_id, therapist_id, since=start.next_cursor)
    assert quiet.items == []
    assert quiet.next_cursor == start.next_cursor  # nothing new: the token stays put

    later = [_send(repo, client_id, therapist_id, f"late {i}", Sender.THERAPIST) for i in range(2)]
    with count_dynamodb_calls() as calls:
        poll = repo.list_newer(client_id, therapist_id, since=quiet.next_cursor)
    assert calls.by_operation() == {"Query": 1, "BatchGetItem": 1}  # + the page's data keys
    assert poll.items == later
    assert repo.list_newer(client_id, therapist_id, since=poll.next_cursor).items == []
    # A page that showed the first two messages polls for the rest.
    assert repo.list_newer(client_id, therapist_id, since=repo.since_token(first[:2])).items == [
        first[2],
        *later,
    ]

    # A token is good for its own conversation only, and only as we signed it.
    with pytest.raises(InvalidCursor):
        repo.list_newer(new_id(), therapist_id, since=poll.next_cursor)
    token = repo.since_token(first[:1])
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(InvalidCursor):
        repo.list_newer(client_id, therapist_id, since=tampered)


def test_it_stores_one_message_for_a_repeated_idempotency_key(dynamo: DynamoGateway) -> None:
    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    key = new_id()

    def send() -> Message:
        return repo.send(
            client_id=client_id,
            therapist_id=therapist_id,
            sender=Sender.CLIENT,
            content="Can we move our session?",
            idempotency_key=key,
        )

    first = send()
    again = send()

    assert again == first
    assert again.sort_key == first.sort_key
    assert len(_stored(dynamo)) == 1
    # The key is the sender's in this conversation: the same key elsewhere is another message.
    other = repo.send(
        client_id=client_id,
        therapist_id=therapist_id,
        sender=Sender.THERAPIST,
        content="Sure.",
        idempotency_key=key,
    )
    assert other.message_id != first.message_id
    assert len(_stored(dynamo)) == 2


def test_it_delivers_a_message_that_lands_after_a_later_one_was_polled(
    dynamo: DynamoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from ulid import ULID

    import portal.dynamo.messages as messages_module
    from portal.timeutil import utcnow

    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    empty_page = repo.empty_conversation_token(client_id, therapist_id)
    on_time = _send(repo, client_id, therapist_id, "on time")
    poll = repo.list_newer(client_id, therapist_id, since=empty_page)
    assert poll.items == [on_time]

    # A send whose key was chosen two seconds ago (say, a slow request) lands only now.
    monkeypatch.setattr(
        messages_module, "new_ulid", lambda: ULID.from_datetime(utcnow() - timedelta(seconds=2))
    )
    late = _send(repo, client_id, therapist_id, "late")
    assert late.sort_key < on_time.sort_key

    again = repo.list_newer(client_id, therapist_id, since=poll.next_cursor)
    assert again.items == [late]
    # Delivered once: the following polls are quiet and say so with the same token.
    quiet = repo.list_newer(client_id, therapist_id, since=again.next_cursor)
    assert quiet.items == [] and quiet.next_cursor == again.next_cursor


def test_it_keeps_a_polling_token_valid_through_a_quiet_week(dynamo: DynamoGateway) -> None:
    """Page cursors expire after a day; a conversation's polling token must not."""
    from datetime import timedelta

    import time_machine

    from portal.timeutil import utcnow

    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    first = _send(repo, client_id, therapist_id, "before the quiet week")
    token = repo.since_token([first])
    with time_machine.travel(utcnow() + timedelta(days=7)):
        later = _send(repo, client_id, therapist_id, "a week later")
        poll = repo.list_newer(client_id, therapist_id, since=token)
    assert poll.items == [later] and first not in poll.items


def test_it_keeps_the_polling_token_small_in_a_burst(dynamo: DynamoGateway) -> None:
    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    empty_page = repo.empty_conversation_token(client_id, therapist_id)
    sent = [_send(repo, client_id, therapist_id, f"burst {i}") for i in range(60)]
    poll = repo.list_newer(client_id, therapist_id, since=empty_page, limit=100)
    assert poll.items == sent
    assert poll.next_cursor is not None and len(poll.next_cursor) < 3000  # fits a URL


def test_it_requires_a_polling_token(dynamo: DynamoGateway) -> None:
    """Without one, the oldest messages of the conversation would come back as "new"."""
    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    _send(repo, client_id, therapist_id, "long ago")
    for missing in (None, ""):
        with pytest.raises(InvalidCursor):
            repo.list_newer(client_id, therapist_id, since=missing)  # type: ignore[arg-type]


def test_it_caps_a_message_at_4000_characters(dynamo: DynamoGateway) -> None:
    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    longest = _send(repo, client_id, therapist_id, "x" * 4000)
    assert len(longest.content) == 4000
    with pytest.raises(InvalidMessage):
        _send(repo, client_id, therapist_id, "y" * 4001)
    # Far over DynamoDB's 400 KB item limit: refused before any call, not a ValidationException.
    with count_dynamodb_calls() as calls, pytest.raises(InvalidMessage):
        _send(repo, client_id, therapist_id, "z" * 500_000)
    assert calls.total == 0
    page = repo.list_conversation(client_id, therapist_id)
    assert [m.content for m in page.items] == [longest.content]


def _activate(client_id: str, therapist_id: str) -> None:
    from portal.dynamo.mappings import MappingRepository
    from portal.timeutil import utcnow

    mappings = MappingRepository()
    pending = mappings.create_pending(
        client_id, therapist_id, requested_by=Side.CLIENT, client_name="C", therapist_name="T", at=utcnow()
    )
    mappings.accept(pending, at=utcnow())


def test_a_send_in_a_relationship_needs_it_active_and_moves_the_record(dynamo: DynamoGateway) -> None:
    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    with pytest.raises(ConversationClosed):
        repo.send_in_relationship(
            client_id=client_id, therapist_id=therapist_id, sender=Sender.CLIENT, content="hi", idempotency_key=new_id()
        )
    assert _stored(dynamo) == []

    _activate(client_id, therapist_id)
    key = new_id()
    first = repo.send_in_relationship(
        client_id=client_id, therapist_id=therapist_id, sender=Sender.CLIENT, content="hi", idempotency_key=key
    )
    again = repo.send_in_relationship(
        client_id=client_id, therapist_id=therapist_id, sender=Sender.CLIENT, content="hi", idempotency_key=key
    )
    assert again.message_id == first.message_id and len(_stored(dynamo)) == 1
    record = RelationshipRepository().get(client_id, therapist_id)
    assert record is not None
    assert (record.therapist_unread, record.client_unread) == (1, 0)
    assert record.last_message_at == first.created_at

    assert RelationshipRepository().mark_thread_read(
        client_id, therapist_id, side=Side.THERAPIST, at=first.created_at, newest_seen=to_iso(first.created_at)
    )
    record = RelationshipRepository().get(client_id, therapist_id)
    assert record is not None and record.therapist_unread == 0


def test_marking_read_keeps_the_count_of_a_message_that_arrived_after_the_page(dynamo: DynamoGateway) -> None:
    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    _activate(client_id, therapist_id)
    shown = repo.send_in_relationship(
        client_id=client_id, therapist_id=therapist_id, sender=Sender.CLIENT, content="one", idempotency_key=new_id()
    )
    repo.send_in_relationship(
        client_id=client_id, therapist_id=therapist_id, sender=Sender.CLIENT, content="two", idempotency_key=new_id()
    )
    # The page showed messages up to a moment before the newest one landed.
    page_newest = shown.created_at - timedelta(milliseconds=1)
    assert not RelationshipRepository().mark_thread_read(
        client_id, therapist_id, side=Side.THERAPIST, at=shown.created_at, newest_seen=to_iso(page_newest)
    )
    record = RelationshipRepository().get(client_id, therapist_id)
    assert record is not None and record.therapist_unread == 2


def test_a_page_of_the_newest_messages_polls_none_of_the_older_ones(dynamo: DynamoGateway) -> None:
    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    for i in range(12):
        _send(repo, client_id, therapist_id, f"m{i}")
    page = repo.list_conversation(client_id, therapist_id, limit=5)
    token = repo.since_token(page.items)
    assert repo.list_newer(client_id, therapist_id, since=token).items == []
    late = _send(repo, client_id, therapist_id, "late")
    assert [m.content for m in repo.list_newer(client_id, therapist_id, since=token).items] == [late.content]


def _transaction_tables(dynamo: DynamoGateway) -> tuple[list[list[str]], str]:
    written: list[list[str]] = []

    def hook(params: dict[str, object], **_: object) -> None:
        items = params["TransactItems"]
        assert isinstance(items, list)
        written.append([next(iter(entry.values()))["TableName"] for entry in items])

    hook_id = f"test-transaction-tables-{id(written)}"
    dynamo.client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", hook, unique_id=hook_id)
    return written, hook_id


def test_a_send_in_an_active_relationship_leaves_the_mapping_item_out_of_its_transaction(
    dynamo: DynamoGateway,
) -> None:
    # A condition check in a transaction is billed as a write: the record's state guards instead.
    client_id, therapist_id = new_id(), new_id()
    _activate(client_id, therapist_id)
    written, hook_id = _transaction_tables(dynamo)
    try:
        MessageRepository().send_in_relationship(
            client_id=client_id, therapist_id=therapist_id, sender=Sender.CLIENT, content="hi", idempotency_key=new_id()
        )
    finally:
        dynamo.client.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", unique_id=hook_id)

    assert len(written) == 1
    assert dynamo.table_name(schema.MAPPINGS) not in written[0]
    assert len(_stored(dynamo)) == 1


def test_a_send_after_the_end_is_refused_by_the_record_and_the_mapping(dynamo: DynamoGateway) -> None:
    from portal.dynamo.mappings import MappingRepository
    from portal.timeutil import utcnow

    repo = MessageRepository()
    client_id, therapist_id = new_id(), new_id()
    _activate(client_id, therapist_id)
    MappingRepository().end(client_id, therapist_id, by=Side.THERAPIST, at=utcnow())

    with pytest.raises(ConversationClosed):
        repo.send_in_relationship(
            client_id=client_id, therapist_id=therapist_id, sender=Sender.CLIENT, content="hi", idempotency_key=new_id()
        )
    assert _stored(dynamo) == []


def test_a_send_for_an_active_mapping_without_a_record_asks_the_mapping(dynamo: DynamoGateway) -> None:
    # Pairs active before relationship records existed have a mapping only.
    from portal.domain import MappingStatus
    from portal.dynamo.mappings import MappingRepository

    client_id, therapist_id = new_id(), new_id()
    MappingRepository().put(client_id, therapist_id, MappingStatus.ACTIVE)

    sent = MessageRepository().send_in_relationship(
        client_id=client_id, therapist_id=therapist_id, sender=Sender.THERAPIST, content="hi", idempotency_key=new_id()
    )

    assert len(_stored(dynamo)) == 1
    record = RelationshipRepository().get(client_id, therapist_id)
    assert record is not None and record.client_unread == 1 and record.last_message_at == sent.created_at
