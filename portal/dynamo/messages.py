"""The Messages table: one partition per conversation, sorted by creation.

The seed's sort key is a bare creation timestamp, which silently overwrites two
messages sent in one millisecond. Ours is ``<iso-8601>#<messageId>``: still
time-ordered, never colliding, and written with a condition. A send carries an
idempotency key (from the form that was submitted), claimed in the same
transaction as the message, so a retried or double-submitted send stores one
message and returns it.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from portal.domain import Message, Page, Sender
from portal.dynamo.base import Repository, clamp_limit, to_page
from portal.dynamo.gateway import Item, TransactionCancelled, TransactPut
from portal.dynamo.pagination import decode_cursor, encode_cursor
from portal.dynamo.schema import IDEMPOTENCY_KEYS, MESSAGES
from portal.ids import new_ulid
from portal.timeutil import epoch_seconds, from_iso, to_iso, utcnow

_CONFLICT_ATTEMPTS = 5
# Long enough to cover any retry or a browser's resubmission.
IDEMPOTENCY_WINDOW = timedelta(days=1)


def conversation_id(client_id: str, therapist_id: str) -> str:
    return f"CLIENT#{client_id}#THERAPIST#{therapist_id}"


def _to_item(message: Message) -> dict[str, Any]:
    return {
        "conversationId": conversation_id(message.client_id, message.therapist_id),
        "createdAt": message.sort_key,
        "messageId": message.message_id,
        "clientId": message.client_id,
        "therapistId": message.therapist_id,
        "sender": str(message.sender),
        "receiver": str(message.receiver),
        "content": message.content,
    }


def _from_item(item: Item) -> Message:
    sort_key = item["createdAt"]
    return Message(
        client_id=item["clientId"],
        therapist_id=item["therapistId"],
        message_id=item["messageId"],
        created_at=from_iso(sort_key.split("#", 1)[0]),
        sender=Sender(item["sender"]),
        content=item["content"],
        sort_key=sort_key,
    )


class MessageRepository(Repository):
    def send(
        self,
        *,
        client_id: str,
        therapist_id: str,
        sender: Sender,
        content: str,
        idempotency_key: str,
    ) -> Message:
        """Send Message: store it once per idempotency key and return it."""
        ulid = new_ulid()
        message_id = str(ulid)
        sort_key = f"{to_iso(ulid.datetime)}#{message_id}"
        message = Message(
            client_id=client_id,
            therapist_id=therapist_id,
            message_id=message_id,
            created_at=ulid.datetime,
            sender=sender,
            content=content,
            sort_key=sort_key,
        )
        conversation = conversation_id(client_id, therapist_id)
        claim_key = f"message:{conversation}:{sender}:{idempotency_key}"
        claim: dict[str, Any] = {
            "idempotencyKey": claim_key,
            "conversationId": conversation,
            "createdAt": sort_key,
            "expiresAt": epoch_seconds(utcnow() + IDEMPOTENCY_WINDOW),
        }
        operations = [
            TransactPut(IDEMPOTENCY_KEYS, claim, Attr("idempotencyKey").not_exists()),
            TransactPut(MESSAGES, _to_item(message), Attr("createdAt").not_exists()),
        ]
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                self.db.transact_write(operations)
                return message
            except TransactionCancelled as exc:
                if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                    existing = self._claimed_message(claim_key)
                    if existing is not None:
                        return existing
                # A double submit racing its twin can be cancelled with
                # TransactionConflict; trying again lets the claim decide.
                if "TransactionConflict" not in exc.reasons or attempt == _CONFLICT_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _claimed_message(self, key: str) -> Message | None:
        claim = self.db.get(IDEMPOTENCY_KEYS, {"idempotencyKey": key}, consistent=True)
        if claim is None:
            return None
        item = self.db.get(
            MESSAGES,
            {"conversationId": claim["conversationId"], "createdAt": claim["createdAt"]},
            consistent=True,
        )
        return _from_item(item) if item else None

    def list_conversation(
        self, client_id: str, therapist_id: str, *, limit: int = 30, cursor: str | None = None
    ) -> Page[Message]:
        """List Messages, newest page first (each page newest first)."""
        conversation = conversation_id(client_id, therapist_id)
        scope = f"messages:{conversation}"
        result = self.db.query(
            MESSAGES,
            Key("conversationId").eq(conversation),
            limit=clamp_limit(limit),
            forward=False,
            start_key=decode_cursor(cursor, scope),
        )
        return to_page(result, _from_item, scope)

    def list_newer(
        self, client_id: str, therapist_id: str, *, since: str | None, limit: int = 50
    ) -> Page[Message]:
        """Messages after the ``since`` token, oldest first (for polling).

        ``next_cursor`` is the token to poll with next time: it stays put when
        nothing new arrived.
        """
        conversation = conversation_id(client_id, therapist_id)
        scope = f"messages.since:{conversation}"
        after = decode_cursor(since, scope) or {}
        condition: ConditionBase = Key("conversationId").eq(conversation)
        if after.get("createdAt"):
            condition = condition & Key("createdAt").gt(str(after["createdAt"]))
        result = self.db.query(MESSAGES, condition, limit=clamp_limit(limit), forward=True)
        items = [_from_item(i) for i in result.items]
        if items:
            token = encode_cursor({"createdAt": items[-1].sort_key}, scope)
        else:
            token = since or encode_cursor({"createdAt": ""}, scope)
        return Page(items=items, next_cursor=token)

    def since_token(self, message: Message) -> str:
        """A polling token that means "everything after this message"."""
        scope = f"messages.since:{conversation_id(message.client_id, message.therapist_id)}"
        token = encode_cursor({"createdAt": message.sort_key}, scope)
        assert token is not None
        return token
