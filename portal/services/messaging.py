"""Secure messaging between a client and their therapist.

A conversation exists for every pair that was ever active (its relationship
record). Both sides read it for as long as the record exists, which is longer
than the relationship: after the end the history stays, read-only, as part of
the clinical record. Sending needs the relationship to be active at the moment
of the write (checked inside the send's own transaction) and a verified email.

Costs are fixed whatever the history: the conversation list reads the
relationship records (one Query), a thread reads its record and one page of
messages, a poll reads one Query.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core import signing

from portal.accounts.user import User
from portal.domain import (
    MAX_MESSAGE_LENGTH,
    AccountKind,
    InvalidMessage,
    Message,
    NotFound,
    Page,
    Relationship,
    Sender,
    Side,
)
from portal.dynamo.audit import AuditRepository
from portal.dynamo.messages import MessageRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.policy import pair_for, require_verified_email, side_of
from portal.timeutil import to_iso, utcnow

logger = logging.getLogger(__name__)

THREAD_PAGE_SIZE = 30
LIST_LIMIT = 50
THREAD_OPENED = "message.thread.opened"
# The permission to poll one thread rides in a signed token this long; then the
# poll checks the relationship record again and gets a new token.
POLL_PERMISSION_SECONDS = 5 * 60
_POLL_SALT = "portal.messaging.poll"


@dataclass(frozen=True)
class Conversation:
    other_id: str
    other_name: str
    last_message_at: datetime | None
    unread: int
    active: bool


@dataclass(frozen=True)
class Thread:
    relationship: Relationship
    side: Side
    other_id: str
    other_name: str
    page: Page[Message]
    poll_token: str
    since: str | None
    # The time the other side last opened the thread (for "Seen").
    other_read_at: datetime | None

    @property
    def can_send(self) -> bool:
        return self.relationship.is_active

    @property
    def seen_message_id(self) -> str | None:
        """The id of my newest message the other side has opened, if it is my last one."""
        mine = Sender(str(self.side))
        for message in self.page.items:  # newest first
            if message.sender is mine:
                if self.other_read_at is not None and self.other_read_at >= message.created_at:
                    return message.message_id
                return None
        return None


def _sender(side: Side) -> Sender:
    return Sender.CLIENT if side is Side.CLIENT else Sender.THERAPIST


def _names(record: Relationship, side: Side) -> tuple[str, str]:
    """(other id, other name) from the names copied onto the record."""
    if side is Side.CLIENT:
        return record.therapist_id, record.therapist_name or "Your therapist"
    return record.client_id, record.client_name or "Former client"


def _conversation_record(user: User, other_id: str) -> tuple[Relationship, Side]:
    """The relationship record between this user and ``other_id``; NotFound unless the pair was ever active."""
    side = side_of(user)
    client_id, therapist_id = pair_for(user, other_id)
    record = RelationshipRepository().get(client_id, therapist_id)
    if record is None or not record.was_active:
        raise NotFound("No such conversation.")
    return record, side


def conversations(*, user: User, cursor: str | None = None) -> Page[Conversation]:
    """Every conversation of this user, newest activity first: one Query.

    A client has few relationships (read at once and sorted); a therapist's
    list is paged through the record index that sorts by activity.
    """
    side = side_of(user)
    repository = RelationshipRepository()
    if side is Side.CLIENT:
        page = repository.list_for_client(user.account_id, limit=LIST_LIMIT)
        records = sorted(
            (r for r in page.items if r.was_active),
            key=lambda r: r.last_activity_at or r.active_since or datetime.min,  # type: ignore[arg-type, return-value]
            reverse=True,
        )
        next_cursor = None
    else:
        page = repository.list_for_therapist(user.account_id, limit=LIST_LIMIT, cursor=cursor)
        records = [r for r in page.items if r.was_active]
        next_cursor = page.next_cursor
    items = []
    for record in records:
        other_id, other_name = _names(record, side)
        items.append(
            Conversation(
                other_id=other_id,
                other_name=other_name,
                last_message_at=record.last_message_at,
                unread=record.unread_for(side),
                active=record.is_active,
            )
        )
    return Page(items=items, next_cursor=next_cursor)


def unread_total(*, user: User) -> int:
    """Unread messages across the newest conversations (for the nav badge): one Query."""
    return sum(c.unread for c in conversations(user=user).items)


def _poll_token(user: User, client_id: str, therapist_id: str) -> str:
    return signing.dumps({"u": user.pk, "c": client_id, "t": therapist_id}, salt=_POLL_SALT, compress=True)


def thread_open(*, user: User, other_id: str, cursor: str | None = None, opening: bool = True) -> Thread:
    """A page of one conversation, newest first.

    Opening the newest page marks the thread read for this side (a write only
    when there is something unread) and, for a therapist, is audited (the
    opening, not each poll or older page). ``opening=False`` redraws the
    thread after a send without counting as another opening.
    """
    record, side = _conversation_record(user, other_id)
    client_id, therapist_id = record.client_id, record.therapist_id
    messages = MessageRepository()
    page = messages.list_conversation(client_id, therapist_id, limit=THREAD_PAGE_SIZE, cursor=cursor)
    other, other_name = _names(record, side)
    since: str | None = None
    if cursor is None:
        since = messages.since_token(page.items) if page.items else messages.empty_conversation_token(client_id, therapist_id)
        newest = page.items[0].created_at if page.items else None
        if opening and newest is not None and record.unread_for(side) > 0:
            # Read no earlier than the newest message shown, even if this host's clock lags the sender's.
            RelationshipRepository().mark_thread_read(
                client_id, therapist_id, side=side, at=max(utcnow(), newest), newest_seen=to_iso(newest)
            )
        if opening and side is Side.THERAPIST:
            AuditRepository().record(
                subject_id=client_id,
                action=THREAD_OPENED,
                actor_kind=AccountKind.THERAPIST,
                actor_id=therapist_id,
                detail={"messages": str(len(page.items))},
            )
    other_read_at = record.read_at(side.other)
    return Thread(
        relationship=record,
        side=side,
        other_id=other,
        other_name=other_name,
        page=page,
        poll_token=_poll_token(user, client_id, therapist_id),
        since=since,
        other_read_at=other_read_at,
    )


@dataclass(frozen=True)
class PollResult:
    messages: list[Message]
    since: str
    poll_token: str
    # The permission was checked again and a new token issued: the page must take it.
    renewed: bool = False


def thread_poll(*, user: User, other_id: str, poll_token: str, since: str) -> PollResult:
    """Messages that arrived since the last poll, oldest first: one Query.

    The signed token says this user may read this thread; it is trusted for a
    few minutes, then the relationship record is read again and a new token
    issued. A token for another user or another thread raises NotFound, as an
    unknown conversation does.

    A poll that delivers messages from the other side puts them on the open
    thread's screen (polling pauses while the tab is hidden), so it marks them
    read like an opening does: the sender sees "Seen" and no email notice goes
    out about them. That is one write per poll that delivers something new,
    never one per poll.
    """
    client_id, therapist_id = pair_for(user, other_id)
    renewed = False
    try:
        claims = signing.loads(poll_token, salt=_POLL_SALT, max_age=POLL_PERMISSION_SECONDS)
    except signing.SignatureExpired:
        _conversation_record(user, other_id)
        claims = {"u": user.pk, "c": client_id, "t": therapist_id}
        poll_token = _poll_token(user, client_id, therapist_id)
        renewed = True
    except signing.BadSignature:
        raise NotFound("No such conversation.") from None
    if claims != {"u": user.pk, "c": client_id, "t": therapist_id}:
        raise NotFound("No such conversation.")
    page = MessageRepository().list_newer(client_id, therapist_id, since=since)
    side = side_of(user)
    if any(m.sender is not _sender(side) for m in page.items):
        newest = max(m.created_at for m in page.items)
        RelationshipRepository().mark_thread_read(
            client_id, therapist_id, side=side, at=max(utcnow(), newest), newest_seen=to_iso(newest)
        )
    return PollResult(messages=page.items, since=page.next_cursor or since, poll_token=poll_token, renewed=renewed)


def message_content_check(content: str) -> None:
    """What a message must be: some text, at most MAX_MESSAGE_LENGTH characters (raises InvalidMessage)."""
    if not content.strip():
        raise InvalidMessage("A message needs some text.")
    if len(content) > MAX_MESSAGE_LENGTH:
        raise InvalidMessage(f"A message holds at most {MAX_MESSAGE_LENGTH} characters.")


def message_send(*, user: User, other_id: str, content: str, idempotency_key: str) -> Message:
    """Send one message in an active relationship; a retry with the same key stores nothing new.

    Raises NotFound (no such conversation), NotAllowed (unverified email),
    InvalidMessage (no text, or more than MAX_MESSAGE_LENGTH characters),
    ConversationClosed (the relationship is not active).
    """
    message_content_check(content)
    _record, side = _conversation_record(user, other_id)
    require_verified_email(user, "send messages")
    client_id, therapist_id = pair_for(user, other_id)
    message = MessageRepository().send_in_relationship(
        client_id=client_id,
        therapist_id=therapist_id,
        sender=_sender(side),
        content=content,
        idempotency_key=idempotency_key,
    )
    logger.info("message %s sent by %s in relationship %s/%s", message.message_id, side, client_id, therapist_id)
    return message
