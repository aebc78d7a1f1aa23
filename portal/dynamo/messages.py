"""The Messages table: one partition per conversation, sorted by creation.

The seed's sort key is a bare creation timestamp, which silently overwrites two
messages sent in one millisecond. Ours is ``<iso-8601>#<messageId>``: still
time-ordered, never colliding, and written with a condition. A send carries an
idempotency key (from the form that was submitted), claimed in the same
transaction as the message, so a retried or double-submitted send stores one
message and returns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from portal.domain import (
    MAX_MESSAGE_LENGTH,
    MESSAGE_NOTICE_DELAY,
    ConversationClosed,
    InvalidCursor,
    InvalidMessage,
    Message,
    Page,
    Sender,
    Side,
)
from portal.dynamo.base import MAX_PAGE_SIZE, Repository, clamp_limit, query_page
from portal.dynamo.field_crypto import (
    client_key_owner,
    data_key_scope,
    decrypt_text,
    encrypt_text,
    field_context,
    record_key_owner,
)
from portal.dynamo.gateway import (
    Item,
    TransactConditionCheck,
    TransactionCancelled,
    TransactOp,
    TransactPut,
    TransactUpdate,
)
from portal.dynamo.idempotency import claim_key, create_once, load_item
from portal.dynamo.pagination import decode_cursor, encode_cursor
from portal.dynamo.relationships import notice_pending_values
from portal.dynamo.schema import MAPPINGS, MESSAGES, RELATIONSHIPS
from portal.ids import new_ulid
from portal.timeutil import from_iso, to_iso

# Longer than a send can take between choosing its key and its write landing
# (client timeouts and retries are well under this).
POLL_LAG = timedelta(seconds=15)
# How many delivered keys a polling token carries at most: enough for any real
# conversation's 15 seconds, small enough (~2.5 KB) to travel in a query string.
_MAX_SEEN = 30


# The receiver's unread counter on the relationship record (reset when they open the thread).
UNREAD_ATTRIBUTE: dict[Sender, str] = {Sender.CLIENT: "clientUnread", Sender.THERAPIST: "therapistUnread"}


def conversation_id(client_id: str, therapist_id: str) -> str:
    return f"CLIENT#{client_id}#THERAPIST#{therapist_id}"


def _content_owner(client_id: str, therapist_id: str, sender: Sender) -> str:
    # The client's words go with the client (erased with them); the therapist's
    # stay in the therapist's record of this client (reasons in schema.py).
    if sender is Sender.CLIENT:
        return client_key_owner(client_id)
    return record_key_owner(therapist_id, client_id)


def _content_context(conversation: str, sort_key: str) -> str:
    return field_context(MESSAGES, {"conversationId": conversation, "createdAt": sort_key}, "content")


def _key_owners(item: Item) -> list[str]:
    return [_content_owner(item["clientId"], item["therapistId"], Sender(item["sender"]))]


def _to_item(message: Message) -> dict[str, Any]:
    conversation = conversation_id(message.client_id, message.therapist_id)
    return {
        "conversationId": conversation,
        "createdAt": message.sort_key,
        "messageId": message.message_id,
        "clientId": message.client_id,
        "therapistId": message.therapist_id,
        "sender": str(message.sender),
        "receiver": str(message.receiver),
        "content": encrypt_text(
            _content_owner(message.client_id, message.therapist_id, message.sender),
            _content_context(conversation, message.sort_key),
            message.content,
        ),
    }


def _from_item(item: Item) -> Message:
    sort_key = item["createdAt"]
    sender = Sender(item["sender"])
    return Message(
        client_id=item["clientId"],
        therapist_id=item["therapistId"],
        message_id=item["messageId"],
        created_at=from_iso(sort_key.split("#", 1)[0]),
        sender=sender,
        content=decrypt_text(
            _content_owner(item["clientId"], item["therapistId"], sender),
            _content_context(item["conversationId"], sort_key),
            item["content"],
        ),
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
        """Send Message: store it once per idempotency key and return it.

        Raises InvalidMessage for one over MAX_MESSAGE_LENGTH characters: the
        service and the form refuse those first, and this keeps every stored
        item far below DynamoDB's 400 KB limit whoever calls.
        """
        return self._send(client_id, therapist_id, sender, content, idempotency_key, guarded=False)

    def send_in_relationship(
        self,
        *,
        client_id: str,
        therapist_id: str,
        sender: Sender,
        content: str,
        idempotency_key: str,
    ) -> Message:
        """Send within an active care relationship, in one transaction.

        The mapping item must still be active when the message is written (a
        condition check in the same transaction), so a send racing the end of
        the relationship cannot land after it; the relationship record's last
        message time and the receiver's unread counter move in the same write,
        so the conversation list never counts messages. The same write makes
        the receiver's email notice due MESSAGE_NOTICE_DELAY later, unless one
        is already pending (then only its day partition moves to this send's,
        see ``notice_pending_values`` and RELATIONSHIPS in schema.py). Raises
        ConversationClosed when the relationship is not active.
        """
        return self._send(client_id, therapist_id, sender, content, idempotency_key, guarded=True)

    def _send(
        self,
        client_id: str,
        therapist_id: str,
        sender: Sender,
        content: str,
        idempotency_key: str,
        *,
        guarded: bool,
    ) -> Message:
        if len(content) > MAX_MESSAGE_LENGTH:
            raise InvalidMessage(f"A message holds at most {MAX_MESSAGE_LENGTH} characters.")
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
        if not guarded:
            return self._write_message(message, idempotency_key, None)
        # The record's own state (activated, not ended) is the usual guard: every
        # accept and end writes it in the mapping's transaction, and an erasure
        # ends it before deleting the mapping, so an active record means an
        # active mapping. It spares a condition check of the mapping item, which
        # a transaction bills as a write. A record that says otherwise (ended, or
        # from before records existed) sends the question to the mapping itself.
        try:
            active = Attr("activeSince").exists() & Attr("endedAt").not_exists()
            return self._write_message(message, idempotency_key, active)
        except TransactionCancelled as exc:
            # The transaction is [claim, message, record update].
            if not (len(exc.reasons) > 2 and exc.reasons[2] == "ConditionalCheckFailed"):
                raise
        try:
            return self._write_message(message, idempotency_key, None, check_mapping=True)
        except TransactionCancelled as exc:
            # The transaction is [claim, message, record update, mapping check].
            if len(exc.reasons) > 3 and exc.reasons[3] == "ConditionalCheckFailed":
                raise ConversationClosed("This conversation is closed: the relationship is not active.") from None
            raise

    def _write_message(
        self,
        message: Message,
        idempotency_key: str,
        record_condition: ConditionBase | None,
        *,
        check_mapping: bool = False,
    ) -> Message:
        """The message, its idempotency claim and (unless ``record_condition`` and
        ``check_mapping`` are both unset, a send outside a relationship) the record's update."""
        client_id, therapist_id, sender = message.client_id, message.therapist_id, message.sender
        conversation = conversation_id(client_id, therapist_id)
        operations: list[TransactOp] = [TransactPut(MESSAGES, _to_item(message), Attr("createdAt").not_exists())]
        pair = {"clientId": client_id, "therapistId": therapist_id}
        if record_condition is not None or check_mapping:
            notice_day_value, notice_due_if_absent = notice_pending_values(
                Side(str(message.receiver)),
                message.created_at + MESSAGE_NOTICE_DELAY,
                client_id=client_id,
                therapist_id=therapist_id,
            )
            operations.append(
                TransactUpdate(
                    RELATIONSHIPS,
                    pair,
                    set_values={
                        "lastMessageAt": to_iso(message.created_at),
                        "lastActivityAt": to_iso(message.created_at),
                        "lastSender": str(sender),
                        **notice_day_value,
                    },
                    add={UNREAD_ATTRIBUTE[message.receiver]: 1},
                    set_if_absent=notice_due_if_absent,
                    condition=record_condition,
                )
            )
        if check_mapping:
            operations.append(TransactConditionCheck(MAPPINGS, pair, Attr("status").eq("active")))
        stored, _ = create_once(
            self.db,
            key=claim_key("message", f"{conversation}:{sender}", idempotency_key),
            target={"conversationId": conversation, "createdAt": message.sort_key},
            operations=operations,
            created=message,
            load=load_item(self.db, MESSAGES, _from_item),
        )
        return stored

    def list_conversation(
        self, client_id: str, therapist_id: str, *, limit: int = 30, cursor: str | None = None
    ) -> Page[Message]:
        """List Messages, newest page first (each page newest first)."""
        conversation = conversation_id(client_id, therapist_id)
        return query_page(
            self.db,
            MESSAGES,
            Key("conversationId").eq(conversation),
            limit=limit,
            forward=False,
            scope=f"messages:{conversation}",
            cursor=cursor,
            convert=_from_item,
            key_owners=_key_owners,
        )

    def list_newer(
        self, client_id: str, therapist_id: str, *, since: str, limit: int = 50
    ) -> Page[Message]:
        """Messages not yet delivered to this poller, oldest first (for polling).

        A message's sort key is fixed a moment before it is written, so a send
        that started earlier can land after a later one was already polled.
        The token therefore keeps a window of POLL_LAG behind the newest key it
        delivered: the next poll reads from the start of that window and skips
        the keys it lists as delivered. ``next_cursor`` is the token for the
        next poll; it stays put when nothing new arrived.

        ``since`` is required: without it every poll would deliver the oldest
        messages of the conversation as "new". A page gets its first token from
        ``since_token`` (what it shows) or ``empty_conversation_token``.
        """
        conversation = conversation_id(client_id, therapist_id)
        scope = f"messages.since:{conversation}"
        if not since:
            raise InvalidCursor("A polling token is required.")
        # A conversation can stay quiet for days while its page polls: no age limit.
        state = decode_cursor(since, scope, max_age=None) or {}
        floor = str(state.get("floor", ""))
        delivered = {str(key) for key in state.get("seen", [])}
        condition: ConditionBase = Key("conversationId").eq(conversation)
        if floor:
            condition = condition & Key("createdAt").gt(floor)
        result = self.db.query(
            MESSAGES,
            condition,
            limit=clamp_limit(limit + len(delivered), _MAX_SEEN + MAX_PAGE_SIZE),
            forward=True,
        )
        # Skip what was delivered before decrypting: a quiet poll reads no key.
        fresh_items = [i for i in result.items if i["createdAt"] not in delivered][:limit]
        with data_key_scope() as ring:
            ring.prefetch(owner for item in fresh_items for owner in _key_owners(item))
            fresh = [_from_item(item) for item in fresh_items]
        if not fresh:
            return Page(items=[], next_cursor=since or self._poll_token(scope, floor, []))
        return Page(items=fresh, next_cursor=self._poll_token(scope, floor, [*delivered, *(m.sort_key for m in fresh)]))

    def empty_conversation_token(self, client_id: str, therapist_id: str) -> str:
        """A polling token for a page that shows no message yet: everything sent later is new."""
        return self._poll_token(f"messages.since:{conversation_id(client_id, therapist_id)}", "", [])

    def since_token(self, shown: Sequence[Message]) -> str:
        """A polling token for a page that shows ``shown`` (for example the newest page)."""
        if not shown:
            raise ValueError("a polling token needs at least one message shown")
        first = shown[0]
        scope = f"messages.since:{conversation_id(first.client_id, first.therapist_id)}"
        keys = [m.sort_key for m in shown]
        # Messages older than the page are "older", not "new": a page of the newest
        # 30 of 70 sent within the lag window must not have the other 40 polled in.
        # Keys are unique, so reading strictly after the oldest shown one is exact.
        return self._poll_token(scope, min(keys), keys)

    @staticmethod
    def _poll_token(scope: str, floor: str, delivered: list[str]) -> str:
        keys = sorted(set(delivered))
        if keys:
            newest_time = from_iso(keys[-1].split("#", 1)[0])
            # Keys older than the window are final: nothing can still land there.
            floor = max(floor, to_iso(newest_time - POLL_LAG))
        window = [key for key in keys if key > floor]
        if len(window) > _MAX_SEEN:
            # A burst larger than the token can carry: keep the newest and
            # treat the rest as final.
            floor = window[-_MAX_SEEN - 1]
            window = window[-_MAX_SEEN:]
        token = encode_cursor({"floor": floor, "seen": window}, scope)
        assert token is not None
        return token
