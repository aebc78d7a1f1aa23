"""The messaging service's own rules: what a message must be, and domain errors (never HTTP ones)."""

from __future__ import annotations

import pytest

from portal.domain import AccountKind, InvalidMessage, NotFound
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.messages import MessageRepository
from portal.ids import new_id
from portal.services import messaging
from tests.accounts import make_account
from tests.messaging_data import make_active_pair

pytestmark = pytest.mark.usefixtures("dynamo")


@pytest.mark.parametrize("content", ["", "   ", "\n\t", "x" * 4001])
def test_it_refuses_a_message_without_text_or_too_long_before_any_call(content: str) -> None:
    client, therapist = make_active_pair()
    with count_dynamodb_calls() as calls, pytest.raises(InvalidMessage):
        messaging.message_send(user=client, other_id=therapist.account_id, content=content, idempotency_key=new_id())
    assert calls.total == 0
    assert MessageRepository().list_conversation(client.account_id, therapist.account_id).items == []


def test_it_sends_a_message_of_the_longest_allowed_length() -> None:
    client, therapist = make_active_pair()
    sent = messaging.message_send(
        user=client, other_id=therapist.account_id, content="x" * 4000, idempotency_key=new_id()
    )
    assert len(sent.content) == 4000


def test_a_conversation_that_never_was_is_not_found() -> None:
    client, _ = make_active_pair()
    stranger = make_account(AccountKind.THERAPIST)
    with pytest.raises(NotFound):
        messaging.thread_open(user=client, other_id=stranger.account_id)
    with pytest.raises(NotFound):
        messaging.message_send(user=client, other_id=stranger.account_id, content="hello", idempotency_key=new_id())


def test_a_poll_token_for_another_thread_or_a_forged_one_is_not_found() -> None:
    client, therapist = make_active_pair()
    other_client, _ = make_active_pair()
    opened = messaging.thread_open(user=client, other_id=therapist.account_id)
    assert opened.since is not None
    with pytest.raises(NotFound):
        messaging.thread_poll(
            user=other_client, other_id=therapist.account_id, poll_token=opened.poll_token, since=opened.since
        )
    with pytest.raises(NotFound):
        messaging.thread_poll(user=client, other_id=therapist.account_id, poll_token="forged", since=opened.since)
