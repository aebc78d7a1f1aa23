"""A message as its thread shows it (portal/presenters/messages.py), and the "older messages" page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.test import Client as HttpClient

from portal.domain import Message, Sender
from portal.dynamo.messages import MessageRepository
from portal.ids import new_id
from portal.presenters.messages import message_items
from tests.accounts import log_in
from tests.messaging_data import make_active_pair

SENT = datetime(2026, 3, 4, 21, 40, tzinfo=UTC)


def _message(message_id: str, sender: Sender) -> Message:
    return Message(
        client_id="01C", therapist_id="01T", message_id=message_id, created_at=SENT, sender=sender, content="hello"
    )


def test_it_says_who_wrote_from_the_readers_side_and_seen_under_the_one_message() -> None:
    mine, theirs = _message("01A", Sender.CLIENT), _message("01B", Sender.THERAPIST)
    seen_at = SENT + timedelta(minutes=5)
    as_client = message_items([mine, theirs], "client", "01A", seen_at)
    assert [(m.who, m.mine) for m in as_client] == [("You", True), ("Your therapist", False)]
    assert (as_client[0].seen_iso, as_client[0].seen_when) == ("2026-03-04T21:45+00:00", "Wed 4 Mar 2026, 21:45")
    assert as_client[1].seen_iso is None
    as_therapist = message_items([mine, theirs], "therapist")
    assert [(m.who, m.mine) for m in as_therapist] == [("Your client", False), ("You", True)]
    assert all(m.seen_iso is None for m in as_therapist)
    assert as_client[0].sent_iso == "2026-03-04T21:40+00:00"


def test_older_messages_come_as_a_fragment_oldest_first(dynamo) -> None:  # type: ignore[no-untyped-def]
    client, therapist = make_active_pair()
    for i in range(35):
        MessageRepository().send_in_relationship(
            client_id=client.account_id,
            therapist_id=therapist.account_id,
            sender=Sender.CLIENT,
            content=f"message {i:02d}",
            idempotency_key=new_id(),
        )
    http = HttpClient()
    log_in(http, client)
    page = http.get(f"/messages/{therapist.account_id}/").content.decode()
    link = re.search(r'<p id="older"><a href="\?cursor=([^"]+)" hx-get="\?cursor=\1"', page)
    assert link and "message 34" in page and "message 04" not in page
    older = http.get(f"/messages/{therapist.account_id}/?cursor={link.group(1)}", headers={"HX-Request": "true"})
    html = older.content.decode()
    assert older.status_code == 200 and "<html" not in html and 'class="messages-list"' in html
    shown = re.findall(r"message (\d\d)", html)
    assert shown == sorted(shown) and "00" in shown and "34" not in shown
