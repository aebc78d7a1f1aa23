"""Messaging pages: conversations, a thread, sending, polling, read state, the nav badge."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind, Sender
from portal.dynamo.audit import AuditRepository
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.messages import MessageRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.ids import new_id
from portal.services import messaging
from portal.services.relationships import relationship_invite
from tests.accounts import log_in, logged_in, make_account
from tests.messaging_data import end_relationship, make_active_pair

pytestmark = pytest.mark.usefixtures("dynamo")

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def _send(http: HttpClient, other_id: str, text: str, key: str | None = None, **headers: str) -> object:
    return http.post(
        f"/messages/{other_id}/",
        {"content": text, "idempotency_key": key or new_id()},
        **headers,
    )


def _stored(client_id: str, therapist_id: str) -> list[str]:
    return [m.content for m in MessageRepository().list_conversation(client_id, therapist_id, limit=100).items]


def test_it_refuses_anonymous_visitors() -> None:
    client, therapist = make_active_pair()
    http = HttpClient()
    for url in ("/messages/", f"/messages/{therapist.account_id}/", "/messages/badge/"):
        response = http.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = _send(http, therapist.account_id, "hello")
    assert response.status_code == 302
    assert _stored(client.account_id, therapist.account_id) == []


def test_it_sends_a_message_and_the_other_side_reads_it() -> None:
    client, therapist = make_active_pair()
    http = HttpClient()
    log_in(http, client)
    response = _send(http, therapist.account_id, "Can we move Tuesday?\nAfter 5 works.")
    assert response.status_code == 302
    # Back at the newest message and the reply box.
    assert response["Location"] == f"/messages/{therapist.account_id}/#latest"
    mine = http.get(f"/messages/{therapist.account_id}/").content.decode()
    assert "not for emergencies" in mine and "Suicide &amp; Crisis Lifeline" in mine and 'id="latest"' in mine
    assert _stored(client.account_id, therapist.account_id) == ["Can we move Tuesday?\nAfter 5 works."]

    other = HttpClient()
    log_in(other, therapist)
    page = other.get(f"/messages/{client.account_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Can we move Tuesday?<br>After 5 works." in html
    # Crisis text is for the client only: the therapist is told what their client reads.
    assert "If you are in danger" not in html and "Suicide &amp; Crisis Lifeline" not in html
    assert "Your client is told that messages are not for emergencies" in html
    # Newest last, then the reply box the page opens at.
    assert html.index("After 5 works.") < html.index('id="latest"')


def test_it_escapes_message_text_and_makes_no_links() -> None:
    client, therapist = make_active_pair()
    http = HttpClient()
    log_in(http, client)
    _send(http, therapist.account_id, "<script>alert(1)</script> see https://example.com")
    html = http.get(f"/messages/{therapist.account_id}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="https://example.com"' not in html


def test_it_stores_one_message_for_a_double_submit() -> None:
    client, therapist = make_active_pair()
    http = HttpClient()
    log_in(http, client)
    key = new_id()
    _send(http, therapist.account_id, "only once", key)
    _send(http, therapist.account_id, "only once", key)
    assert _stored(client.account_id, therapist.account_id) == ["only once"]
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.therapist_unread == 1


def test_it_keeps_what_was_typed_when_the_message_is_too_long() -> None:
    client, therapist = make_active_pair()
    http = HttpClient()
    log_in(http, client)
    text = "x" * 4001
    response = _send(http, therapist.account_id, text)
    assert response.status_code == 400
    assert "at most 4000 characters" in response.content.decode()
    assert text in response.content.decode()
    assert _stored(client.account_id, therapist.account_id) == []


def test_it_counts_unread_messages_per_side_and_clears_them_on_opening() -> None:
    client, therapist = make_active_pair()
    c, t = HttpClient(), HttpClient()
    log_in(c, client)
    log_in(t, therapist)
    for text in ("one", "two", "three"):
        _send(c, therapist.account_id, text)
    _send(t, client.account_id, "reply")

    therapist_list = messaging.conversations(user=therapist).items
    assert [(x.other_name, x.unread) for x in therapist_list] == [("Casey Client", 3)]
    client_list = messaging.conversations(user=client).items
    assert [(x.other_name, x.unread) for x in client_list] == [("Dr Tara Chen", 1)]
    assert 'class="badge badge-count">3' in t.get("/messages/badge/").content.decode()

    t.get(f"/messages/{client.account_id}/")
    assert messaging.conversations(user=therapist).items[0].unread == 0
    assert messaging.conversations(user=client).items[0].unread == 1
    assert 'class="badge' not in t.get("/messages/badge/").content.decode()


def test_it_shows_seen_once_the_other_side_opened_the_thread() -> None:
    client, therapist = make_active_pair()
    c, t = HttpClient(), HttpClient()
    log_in(c, client)
    log_in(t, therapist)
    _send(c, therapist.account_id, "are you there?")
    assert "Seen" not in c.get(f"/messages/{therapist.account_id}/").content.decode()
    t.get(f"/messages/{client.account_id}/")
    assert "Seen" in c.get(f"/messages/{therapist.account_id}/").content.decode()


def test_it_refuses_sending_after_the_relationship_ended_but_keeps_the_history() -> None:
    client, therapist = make_active_pair()
    c = HttpClient()
    log_in(c, client)
    _send(c, therapist.account_id, "before the end")
    end_relationship(client, therapist)

    page = c.get(f"/messages/{therapist.account_id}/").content.decode()
    assert "before the end" in page
    assert "no new messages can be sent" in page
    response = _send(c, therapist.account_id, "after the end")
    assert response.status_code == 400
    assert "closed" in response.content.decode()
    assert _stored(client.account_id, therapist.account_id) == ["before the end"]


def test_it_gives_404_to_another_client_and_an_unrelated_therapist() -> None:
    client, therapist = make_active_pair()
    for kind in (AccountKind.CLIENT, AccountKind.THERAPIST):
        http = HttpClient()
        intruder = logged_in(http, kind)
        other = therapist.account_id if kind is AccountKind.CLIENT else client.account_id
        assert http.get(f"/messages/{other}/").status_code == 404
        assert _send(http, other, "hi").status_code == 404
        assert intruder is not None
    assert _stored(client.account_id, therapist.account_id) == []


def test_it_refuses_staff() -> None:
    client, therapist = make_active_pair()
    http = HttpClient()
    logged_in(http, AccountKind.STAFF)
    assert http.get("/messages/").status_code == 404
    assert http.get(f"/messages/{therapist.account_id}/").status_code == 404


def test_it_refuses_a_pending_relationship() -> None:
    client = make_account(AccountKind.CLIENT)
    therapist = make_account(AccountKind.THERAPIST)
    relationship_invite(user=therapist, email=client.email, portal_url="http://testserver/")
    http = HttpClient()
    log_in(http, client)
    assert http.get(f"/messages/{therapist.account_id}/").status_code == 404
    assert _send(http, therapist.account_id, "hi").status_code == 404


def test_it_asks_an_unverified_client_to_confirm_their_email_first() -> None:
    client, therapist = make_active_pair(verified=False)
    http = HttpClient()
    log_in(http, client)
    response = _send(http, therapist.account_id, "hello")
    assert response.status_code == 400
    assert "confirm your email" in response.content.decode()
    assert _stored(client.account_id, therapist.account_id) == []


def test_it_audits_a_therapist_opening_a_thread_not_each_poll() -> None:
    client, therapist = make_active_pair()
    t = HttpClient()
    log_in(t, therapist)
    page = t.get(f"/messages/{client.account_id}/").content.decode()
    poll_url = re.search(r'hx-get="(/messages/[^"]+/poll/[^"]+)"', page)
    assert poll_url is not None
    t.get(poll_url.group(1).replace("&amp;", "&"))
    events = AuditRepository().list_for_subject(client.account_id, action=messaging.THREAD_OPENED, limit=50).items
    assert [e.action for e in events].count(messaging.THREAD_OPENED) == 1


def _poll_url(html: str) -> str:
    found = re.search(r'hx-get="(/messages/[^"]+/poll/[^"]+)"', html)
    assert found is not None
    return found.group(1).replace("&amp;", "&")


def test_a_poll_answers_204_when_nothing_is_new_and_delivers_new_messages_once() -> None:
    client, therapist = make_active_pair()
    c, t = HttpClient(), HttpClient()
    log_in(c, client)
    log_in(t, therapist)
    url = _poll_url(t.get(f"/messages/{client.account_id}/").content.decode())
    assert t.get(url).status_code == 204

    _send(c, therapist.account_id, "new one")
    response = t.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("new one") == 1
    next_url = _poll_url(html)
    assert t.get(next_url).status_code == 204


def test_a_poll_that_shows_the_other_sides_message_marks_it_read_with_one_write() -> None:
    client, therapist = make_active_pair()
    c, t = HttpClient(), HttpClient()
    log_in(c, client)
    log_in(t, therapist)
    url = _poll_url(t.get(f"/messages/{client.account_id}/").content.decode())
    _send(c, therapist.account_id, "on screen")
    with count_dynamodb_calls() as calls:
        assert t.get(url).status_code == 200
    assert calls.count("UpdateItem") == 1 and calls.count("Query") == 1
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.therapist_unread == 0 and record.therapist_read_at is not None
    # Nothing left to email about, and the client's page says "Seen".
    assert record.therapist_notice_due_at is None
    assert "Seen" in c.get(f"/messages/{therapist.account_id}/").content.decode()

    # The poller's own message (from another tab) marks nothing.
    url = _poll_url(t.get(f"/messages/{client.account_id}/").content.decode())
    _send(t, client.account_id, "mine")
    with count_dynamodb_calls() as calls:
        assert t.get(url).status_code == 200
    assert not WRITES & set(calls.operations)


def test_a_poll_with_someone_elses_token_is_404() -> None:
    client, therapist = make_active_pair()
    other_client, other_therapist = make_active_pair()
    t = HttpClient()
    log_in(t, therapist)
    url = _poll_url(t.get(f"/messages/{client.account_id}/").content.decode())
    o = HttpClient()
    log_in(o, other_therapist)
    # The same token and cursor from another therapist, for a client who is not theirs.
    assert o.get(url).status_code == 404
    assert other_client is not None


def test_a_poll_that_finds_nothing_makes_one_query_beyond_the_session() -> None:
    client, therapist = make_active_pair()
    t = HttpClient()
    log_in(t, therapist)
    url = _poll_url(t.get(f"/messages/{client.account_id}/").content.decode())
    # What any passive request costs before its own work: the session (and the person).
    with count_dynamodb_calls() as baseline:
        t.get("/accounts/session/status/")
    with count_dynamodb_calls() as calls:
        assert t.get(url).status_code == 204
    assert calls.total == baseline.total + 1
    assert calls.count("Query") == 1
    assert not WRITES & set(calls.operations)


def _own_calls(calls: object, baseline: object) -> Counter[str]:
    """What a request cost beyond the session (and person) every request reads.

    A non-passive page view also pushes the session's idle expiry (a PutItem of
    the web session) until the session is written at most once a minute; that
    write is not the page's own.
    """
    own = Counter(calls.operations) - Counter(baseline.operations)  # type: ignore[attr-defined]
    own.pop("PutItem", None)
    return own


def _thread_costs(history: int) -> tuple[Counter[str], Counter[str], Counter[str], str]:
    client, therapist = make_active_pair()
    repository = MessageRepository()
    for i in range(history):
        repository.send_in_relationship(
            client_id=client.account_id,
            therapist_id=therapist.account_id,
            sender=Sender.CLIENT if i % 2 else Sender.THERAPIST,
            content=f"message {i}",
            idempotency_key=new_id(),
        )
    c = HttpClient()
    log_in(c, client)
    c.get(f"/messages/{therapist.account_id}/")  # read once: the next opening has nothing to mark
    with count_dynamodb_calls() as baseline:
        c.get("/accounts/session/status/")
    with count_dynamodb_calls() as thread_calls:
        html = c.get(f"/messages/{therapist.account_id}/").content.decode()
    with count_dynamodb_calls() as list_calls:
        c.get("/messages/")
    with count_dynamodb_calls() as poll_calls:
        assert c.get(_poll_url(html)).status_code == 204
    return (
        _own_calls(thread_calls, baseline),
        _own_calls(list_calls, baseline),
        _own_calls(poll_calls, baseline),
        html,
    )


def test_the_thread_list_and_poll_cost_the_same_whatever_the_history() -> None:
    short = _thread_costs(3)
    long = _thread_costs(70)
    assert short[:3] == long[:3]
    thread, listing, poll, html = long
    # The relationship record, one page of messages, one BatchGetItem of the two data keys.
    assert thread == Counter({"GetItem": 1, "Query": 1, "BatchGetItem": 1})
    assert listing == Counter({"Query": 1})
    assert poll == Counter({"Query": 1})
    assert "Older messages" in html and "Older messages" not in short[3]


def test_the_nav_count_poll_answers_204_while_the_count_it_shows_holds() -> None:
    client, therapist = make_active_pair()
    c, t = HttpClient(), HttpClient()
    log_in(c, client)
    log_in(t, therapist)
    first = t.get("/messages/badge/")
    assert first.status_code == 200 and 'data-unread="0"' in first.content.decode()
    with count_dynamodb_calls() as calls:
        unchanged = t.get("/messages/badge/?seen=0")
    assert unchanged.status_code == 204 and unchanged.content == b""
    # A fixed cost: the account, then one Query for the count.
    assert calls.operations == ["GetItem", "Query"]
    _send(c, therapist.account_id, "one")
    with count_dynamodb_calls() as calls:
        changed = t.get("/messages/badge/?seen=0")
    assert changed.status_code == 200 and calls.operations == ["GetItem", "Query"]
    assert 'data-unread="1"' in changed.content.decode() and 'class="badge badge-count">1' in changed.content.decode()
    assert t.get("/messages/badge/?seen=1").status_code == 204
    # Anything else it is sent is just another count: the link comes back.
    assert t.get("/messages/badge/?seen=<x>").status_code == 200
