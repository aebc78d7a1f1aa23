"""The session histories and confirmation pages show what people typed escaped: the decline reason on the
client's history and session page, names on the cancel and decline questions."""

from __future__ import annotations

from portal.ids import new_id
from portal.services import sessions as service
from tests.sessions_data import in_days
from tests.unit.test_escaping_messages_sessions import HOSTILE, _as, _escaped, _pair


def test_histories_and_questions_escape_reasons_and_titles(dynamo) -> None:  # type: ignore[no-untyped-def]
    pair = _pair()
    declined = service.session_request(
        user=pair.client, therapist_id=pair.therapist.account_id, title=f"Title {HOSTILE}",
        scheduled_for=in_days(3), idempotency_key=new_id(),
    )
    service.session_reject(user=pair.therapist, session_id=declined.session_id, reason=f"Reason {HOSTILE}")
    booked = service.session_create(
        user=pair.therapist, client_id=pair.client.account_id, title=f"Booked {HOSTILE}", scheduled_for=in_days(4),
        location=f"Room {HOSTILE}", idempotency_key=new_id(), confirm_overlap=True,
    )
    client, therapist = _as(pair.client), _as(pair.therapist)

    for body in (
        client.get("/client/sessions/").content.decode(),
        client.get(f"/client/sessions/{declined.session_id}/").content.decode(),
        client.get(f"/client/sessions/{booked.session_id}/cancel/").content.decode(),
        client.get(f"/client/sessions/{booked.session_id}/move/").content.decode(),
        therapist.get("/therapist/sessions/").content.decode(),
        therapist.get(f"/therapist/sessions/{booked.session_id}/cancel/").content.decode(),
    ):
        _escaped(body)
    history = client.get("/client/sessions/").content.decode()
    assert "Reason &lt;script&gt;" in history
