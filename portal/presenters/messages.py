"""One message of a thread as its template shows it: who wrote it, when, and whether the other side has seen it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from portal.domain import Message
from portal.templating.filters import every_form, iso, when


@dataclass(frozen=True, slots=True)
class MessageItem:
    message_id: str
    mine: bool
    who: str  # "You", "Your therapist" or "Your client": a thread never names the writer
    content: str
    sent_iso: str
    sent_when: str
    # Set on my newest message once the other side has opened the thread after it.
    seen_iso: str | None = None
    seen_when: str | None = None


def message_item(
    message: Message, side: str, seen_id: str | None = None, seen_at: datetime | None = None
) -> MessageItem:
    mine = str(message.sender) == str(side)
    who = "You" if mine else ("Your therapist" if str(message.sender) == "therapist" else "Your client")
    sent_iso, sent_when, _short = every_form(message.created_at)
    seen = seen_id is not None and seen_id == message.message_id
    return MessageItem(
        message_id=message.message_id,
        mine=mine,
        who=who,
        content=message.content,
        sent_iso=sent_iso,
        sent_when=sent_when,
        seen_iso=iso(seen_at) if seen else None,
        seen_when=when(seen_at) if seen else None,
    )


def message_items(
    messages: Iterable[Message], side: str, seen_id: str | None = None, seen_at: datetime | None = None
) -> list[MessageItem]:
    """The messages in the order given, each once."""
    return [message_item(m, side, seen_id, seen_at) for m in messages]
