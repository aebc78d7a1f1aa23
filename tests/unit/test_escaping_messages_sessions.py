"""What people type on the messages and session pages comes out escaped: names, messages, titles, places, notes.

Every text field a person can fill holds a script tag, both quotes and template syntax; each page that shows
it (and each htmx fragment) must show the characters, never run them or read them as a template.
"""

from __future__ import annotations

from django.test import Client as HttpClient
from django.urls import reverse

from portal.domain import AccountKind, Side
from portal.ids import new_id
from portal.services import messaging
from portal.services import sessions as service
from portal.services.message_notices import notice_text
from tests.accounts import log_in, make_account
from tests.relationships import connect
from tests.sessions_data import Pair, in_days

HOSTILE = "<script>alert(\"x\")</script> 'q' {{ 7*7 }}"


def _escaped(body: str) -> None:
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(" in body
    assert "{{ 7*7 }}" in body  # written as typed, never evaluated


def _pair() -> Pair:
    client = make_account(AccountKind.CLIENT, name=f"Client {HOSTILE}")
    therapist = make_account(AccountKind.THERAPIST, name=f"Therapist {HOSTILE}")
    connect(client, therapist)
    return Pair(client, therapist)


def _as(user) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient()
    log_in(http, user)
    return http


def test_messages_escape_names_and_bodies(dynamo) -> None:  # type: ignore[no-untyped-def]
    pair = _pair()
    messaging.message_send(
        user=pair.client, other_id=pair.therapist.account_id, content=f"{HOSTILE}\nline two", idempotency_key=new_id()
    )
    http = _as(pair.therapist)
    for path in (reverse("conversations"), reverse("message_thread", args=[pair.client.account_id])):
        body = http.get(path).content.decode()
        _escaped(body)
    thread = http.get(reverse("message_thread", args=[pair.client.account_id])).content.decode()
    assert thread.count("&lt;script&gt;") >= 3  # the title, the heading and the message
    assert "line two" in thread and "<br>line two" in thread

    # A message sent from the page, answered as the htmx fragment of the thread.
    sent = http.post(
        reverse("message_thread", args=[pair.client.account_id]),
        {"content": HOSTILE, "idempotency_key": new_id()},
        headers={"HX-Request": "true"},
    )
    assert sent.status_code == 200
    _escaped(sent.content.decode())


def test_session_pages_escape_what_both_sides_typed(dynamo) -> None:  # type: ignore[no-untyped-def]
    pair = _pair()
    asked = service.session_request(
        user=pair.client,
        therapist_id=pair.therapist.account_id,
        title=f"Title {HOSTILE}",
        scheduled_for=in_days(3),
        message=f"Message {HOSTILE}",
        idempotency_key=new_id(),
    )
    booked = service.session_create(
        user=pair.therapist,
        client_id=pair.client.account_id,
        title=f"Booked {HOSTILE}",
        scheduled_for=in_days(5),
        duration_minutes=50,
        location=f"Room {HOSTILE}",
        idempotency_key=new_id(),
        confirm_overlap=True,
    )
    service.session_notes_save(
        user=pair.therapist,
        session_id=booked.session_id,
        version=booked.version,
        private_notes=f"Private {HOSTILE}",
        shared_notes=f"Shared {HOSTILE}",
    )
    client, therapist = _as(pair.client), _as(pair.therapist)
    pages = [
        (client, reverse("client_sessions")),
        (client, reverse("client_session", args=[asked.session_id])),
        (client, reverse("client_session", args=[booked.session_id])),
        (therapist, reverse("therapist_sessions")),
        (therapist, reverse("therapist_session", args=[asked.session_id])),
        (therapist, reverse("therapist_session", args=[booked.session_id])),
        (therapist, reverse("therapist_session_reschedule", args=[booked.session_id])),
    ]
    for http, path in pages:
        response = http.get(path)
        assert response.status_code == 200, path
        _escaped(response.content.decode())

    # The overlap warning names the client of the session in the way.
    clash = therapist.post(
        reverse("therapist_sessions"),
        {
            "client": pair.client.account_id,
            "title": "Clash",
            "day": booked.scheduled_for.date().isoformat(),
            "start_time": booked.scheduled_for.strftime("%H:%M"),
            "duration_minutes": "50",
            "location": "",
            "idempotency_key": new_id(),
        },
    )
    assert clash.status_code == 409
    body = clash.content.decode()
    assert 'id="overlap-warning"' in body
    _escaped(body)


def test_an_email_body_is_plain_text_written_as_given() -> None:
    link = "https://portal.example/messages/01X/?a=1&b=<2>"
    body = notice_text(Side.THERAPIST, link)
    assert link in body and "&amp;" not in body
    assert body.startswith("You have a new message from your client in the therapy portal.")
