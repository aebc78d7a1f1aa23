"""Email notices of unread messages: one email, no content, no name, at most one per 15 minutes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from portal.accounts.user import User
from portal.domain import Side
from portal.dynamo import schema
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.day_keys import day_partitions
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.relationships import RelationshipRepository
from portal.ids import new_id
from portal.services import messaging
from portal.services.account_erasure import client_account_erase
from portal.services.message_notices import message_notices_send_due
from portal.timeutil import to_iso
from tests.accounts import PASSWORD
from tests.consistent_reads import batch_gets
from tests.messaging_data import end_relationship, make_active_pair

BODY = "BODY-MARKER-7f3a"


@pytest.fixture
def pair(dynamo: DynamoGateway, settings) -> tuple[User, User]:  # type: ignore[no-untyped-def]
    settings.PORTAL_BASE_URL = "https://portal.example"
    client, therapist = make_active_pair()
    mail.outbox.clear()  # the request and its acceptance were emailed
    return client, therapist


_first_sent: list[datetime] = []


def _send(sender: User, other: User, text: str = BODY) -> None:
    message = messaging.message_send(user=sender, other_id=other.account_id, content=text, idempotency_key=new_id())
    if not _first_sent:
        _first_sent.append(message.created_at)


def _in(minutes: float) -> datetime:
    """``minutes`` after the test's first message was sent.

    Counted from the message, not the clock: message times never go backwards,
    even when an earlier test travelled in time and came back.
    """
    return _first_sent[0] + timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def _fresh_start() -> None:
    _first_sent.clear()


def test_it_emails_the_recipient_a_link_without_the_message_or_any_name(pair, caplog) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    caplog.set_level(logging.INFO, logger="portal.services.message_notices")

    assert message_notices_send_due(now=_in(6)) == 1

    [email] = mail.outbox
    assert email.to == [therapist.email]
    assert f"https://portal.example/messages/{client.account_id}/" in email.body
    assert "your client" in email.body
    for secret in (BODY, "Casey", "Client", "Tara", "Chen", client.email):
        assert secret not in email.body and secret not in email.subject
    assert BODY not in caplog.text and "Casey" not in caplog.text
    assert client.account_id in caplog.text


def test_it_sends_nothing_before_the_delay(pair) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    assert message_notices_send_due(now=_in(4)) == 0
    assert mail.outbox == []


def test_it_emails_once_however_often_it_runs(pair, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import portal.management.commands.send_due_notices as command

    client, therapist = pair
    _send(client, therapist)
    assert message_notices_send_due(now=_in(6)) == 1
    assert message_notices_send_due(now=_in(6)) == 0
    assert message_notices_send_due(now=_in(30)) == 0
    # The scheduled command too, on a clock long past the due time (and past the 15 minutes).
    monkeypatch.setattr(command, "utcnow", lambda: _in(45))
    call_command("send_due_notices", stdout=open("/dev/null", "w"))
    assert len(mail.outbox) == 1


def test_it_emails_once_when_two_runs_race_for_the_same_notice(pair, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import portal.services.message_notices as notices

    client, therapist = pair
    _send(client, therapist)
    find_due = notices._find_due
    raced: list[int] = []

    def found_then_overtaken(repository, now):  # type: ignore[no-untyped-def]
        found = find_due(repository, now)
        monkeypatch.setattr(notices, "_find_due", find_due)  # the second run reads as usual
        # A second run reads the same notice and sends it while this one is between its read and its claim.
        raced.append(notices.message_notices_send_due(now=now))
        return found

    monkeypatch.setattr(notices, "_find_due", found_then_overtaken)
    assert message_notices_send_due(now=_in(6)) == 0
    assert raced == [1]
    assert [m.to for m in mail.outbox] == [[therapist.email]]


def test_it_sends_nothing_for_a_message_read_before_it_was_due(pair) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    messaging.thread_open(user=therapist, other_id=client.account_id)
    assert message_notices_send_due(now=_in(6)) == 0
    assert mail.outbox == []


def test_it_waits_15_minutes_before_another_notice_and_sends_it_if_still_unread(pair) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    assert message_notices_send_due(now=_in(6)) == 1
    _send(client, therapist, "a second message")
    # Due five minutes after the second message, but the first notice was sent 6 minutes in.
    assert message_notices_send_due(now=_in(8)) == 0
    assert message_notices_send_due(now=_in(20)) == 0
    assert len(mail.outbox) == 1
    assert message_notices_send_due(now=_in(21.5)) == 1
    assert [m.to for m in mail.outbox] == [[therapist.email], [therapist.email]]


def test_it_sends_no_second_notice_when_the_second_message_is_read_within_the_15_minutes(pair) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    assert message_notices_send_due(now=_in(6)) == 1
    _send(client, therapist, "a second message")
    assert message_notices_send_due(now=_in(8)) == 0  # deferred
    messaging.thread_open(user=therapist, other_id=client.account_id)
    assert message_notices_send_due(now=_in(30)) == 0
    assert len(mail.outbox) == 1


def test_it_does_not_nag_about_a_message_already_noticed(pair) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    assert message_notices_send_due(now=_in(6)) == 1
    # Still unread an hour later, but nothing new arrived: one notice per batch of news.
    assert message_notices_send_due(now=_in(60)) == 0


def test_it_notifies_both_sides_when_each_has_an_unread_message(pair) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    _send(therapist, client)
    assert message_notices_send_due(now=_in(6)) == 2
    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert "your client" in by_recipient[therapist.email]
    assert "your therapist" in by_recipient[client.email]
    assert f"/messages/{therapist.account_id}/" in by_recipient[client.email]


def test_it_emails_nobody_after_the_relationship_ended(pair) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    _send(therapist, client)
    end_relationship(client, therapist)
    mail.outbox.clear()  # the end itself was announced
    assert message_notices_send_due(now=_in(6)) == 0
    assert mail.outbox == []
    # The messages stay unread and readable; only the email is dropped.
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and (record.client_unread, record.therapist_unread) == (1, 1)
    assert record.client_notice_due_at is None and record.therapist_notice_due_at is None


def test_it_drops_the_notice_of_a_deactivated_recipient(pair, dynamo: DynamoGateway) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(therapist, client)
    dynamo.update(schema.CLIENTS, {"clientId": client.account_id}, set_values={"deactivated": True})
    assert message_notices_send_due(now=_in(6)) == 0
    assert message_notices_send_due(now=_in(7)) == 0
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.notice_due_at(Side.CLIENT) is None


def test_it_emails_nobody_about_a_conversation_with_an_erased_client(pair) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    _send(therapist, client)
    client_account_erase(client_id=client.account_id, password=PASSWORD)
    mail.outbox.clear()

    assert message_notices_send_due(now=_in(6)) == 0
    assert mail.outbox == []
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.ended_at is not None
    assert record.client_notice_due_at is None and record.therapist_notice_due_at is None


def test_it_drops_a_notice_about_a_writer_whose_account_is_gone(pair, dynamo: DynamoGateway) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    # The client's account went, and nothing ended the record (an erasure interrupted before that step).
    dynamo.delete(schema.CLIENTS, {"clientId": client.account_id})

    assert message_notices_send_due(now=_in(6)) == 0
    assert mail.outbox == []
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.notice_due_at(Side.THERAPIST) is None


def test_it_reads_the_accounts_consistently(pair) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    with batch_gets() as reads:
        assert message_notices_send_due(now=_in(6)) == 1
    assert {table for table, _ in reads} == {"Clients", "Therapists"}
    assert all(consistent for _, consistent in reads)


def test_it_sends_the_notice_of_a_new_message_after_a_scheduler_outage(pair, dynamo: DynamoGateway) -> None:  # type: ignore[no-untyped-def]
    client, therapist = pair
    _send(client, therapist)
    # As the record stands after a message three days ago that no run saw (the scheduler was down):
    # its notice sits in a day partition no run reads any more.
    three_days_ago = _in(-3 * 24 * 60)
    key = {"clientId": client.account_id, "therapistId": therapist.account_id}
    dynamo.update(
        schema.RELATIONSHIPS,
        key,
        set_values={"therapistNoticeDay": to_iso(three_days_ago)[:10], "therapistNoticeDueAt": to_iso(three_days_ago)},
    )
    assert message_notices_send_due(now=_in(6)) == 0  # out of reach: the run reads two days

    _send(client, therapist, "a new message")
    assert message_notices_send_due(now=_in(7)) == 1
    assert [m.to for m in mail.outbox] == [[therapist.email]]
    assert message_notices_send_due(now=_in(30)) == 0


def test_it_tries_again_next_run_when_the_mail_server_fails(pair, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import portal.services.message_notices as notices

    client, therapist = pair
    _send(client, therapist)

    def refuse(**_: object) -> None:
        raise OSError("mail server down")

    monkeypatch.setattr(notices, "send_mail", refuse)
    assert message_notices_send_due(now=_in(6)) == 0
    monkeypatch.undo()
    assert message_notices_send_due(now=_in(7)) == 1
    assert len(mail.outbox) == 1


def test_it_finds_due_conversations_with_a_fixed_number_of_queries_whatever_their_number(
    dynamo: DynamoGateway, settings
) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example"
    pairs = [make_active_pair() for _ in range(4)]
    mail.outbox.clear()
    for client, therapist in pairs:
        for _ in range(3):
            _send(client, therapist)
        _send(therapist, client)
    with count_dynamodb_calls() as calls:
        sent = message_notices_send_due(now=_in(6))
    assert sent == 8
    # Two sides, two days, every partition of each day (its shards and the bare day).
    queries = 2 * 2 * len(day_partitions("2026-01-01"))
    assert calls.count("Query") == queries and calls.count("Scan") == 0
    assert calls.count("BatchGetItem") == 2
    # One conditional write per email, nothing else.
    assert calls.count("UpdateItem") == 8 and calls.total == queries + 10


def test_the_scheduled_command_sends_message_notices(pair, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import portal.management.commands.send_due_notices as command

    client, therapist = pair
    _send(client, therapist)
    # The command's clock six minutes on (not a time machine: ids would stay in its future).
    monkeypatch.setattr(command, "utcnow", lambda: _in(6))
    call_command("send_due_notices", stdout=open("/dev/null", "w"))
    assert [m.to for m in mail.outbox] == [[therapist.email]]
