"""The note page of a session and the client's record page: access, autosave, Save draft without
JavaScript, template picker, sign and 409 afterwards, Altered, addenda, corrections, escaping."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo import schema
from portal.dynamo.clinical_notes import ClinicalNoteRepository, note_key
from portal.dynamo.connection import get_gateway
from portal.note_domain import NoteKind
from portal.services import clinical_notes as notes
from tests.accounts import log_in, make_account
from tests.notes_data import SOAP, held
from tests.sessions_data import Pair, care_pair

SECRET = "private-narwhal-9031"
HOSTILE = '<script>alert(1)</script> "quoted" {{ 7*7 }}'
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def pair(dynamo) -> Pair:
    return care_pair()


def _as(user) -> HttpClient:
    http = HttpClient()
    log_in(http, user)
    return http


def _url(session_id: str) -> str:
    return f"/therapist/notes/{session_id}/"


def _post(http, session, *, action="save", version=0, kind="progress", template="soap", extra=None, **headers):
    data = {"kind": kind, "template": template, "version": str(version), "action": action, **SOAP, **(extra or {})}
    return http.post(_url(session.session_id), data, **headers)


def _stored(session) -> object:
    return ClinicalNoteRepository().get_note(session.session_id, NoteKind.PROGRESS)


def test_the_note_page_is_the_therapists_alone(pair):
    session = held(pair)
    assert HttpClient().get(_url(session.session_id)).status_code == 302
    assert _as(care_pair().therapist).get(_url(session.session_id)).status_code == 404
    assert _as(pair.client).get(_url(session.session_id)).status_code == 403
    assert _as(make_account(AccountKind.STAFF)).get(_url(session.session_id)).status_code == 403
    assert _as(pair.therapist).get(_url("not-an-id")).status_code == 404

    page = _as(pair.therapist).get(_url(session.session_id))

    body = page.content.decode()
    assert page.status_code == 200
    assert "Private progress note: only you" in body
    assert 'id="progress-subjective"' in body and 'name="plan"' in body  # SOAP, the default
    assert "Save draft" in body and 'hx-trigger="input changed delay:3s, blur changed"' in body
    assert "js/notes.js" in body and "<script>" not in body


def test_save_draft_without_javascript_keeps_the_text(pair):
    session = held(pair)
    http = _as(pair.therapist)

    response = _post(http, session, extra={"plan": SECRET})

    assert response.status_code == 302
    stored = _stored(session)
    assert stored.text("plan") == SECRET and stored.version == 1
    assert SECRET in http.get(_url(session.session_id)).content.decode()


def test_autosave_answers_saved_at_and_the_new_version(pair):
    session = held(pair)
    http = _as(pair.therapist)

    response = _post(http, session, action="autosave", **HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Saved at" in body and 'id="progress-status"' in body
    assert 'id="progress-version" value="1" hx-swap-oob="true"' in body
    again = _post(http, session, action="autosave", version=1, extra={"plan": "more"}, **HX)
    assert again.status_code == 200 and _stored(session).version == 2


def test_the_draft_survives_an_idle_logoff_and_is_there_after_logging_in_again(pair):
    session = held(pair)
    http = _as(pair.therapist)
    _post(http, session, action="autosave", extra={"plan": "Typed before the logoff"}, **HX)
    http.logout()

    late = _post(http, session, action="autosave", version=1, extra={"plan": "after"}, **HX)
    log_in(http, pair.therapist)
    page = http.get(_url(session.session_id))

    # An htmx save after the logoff gets 401 (the page and its text stay put), never a login page.
    assert late.status_code == 401
    assert "Typed before the logoff" in page.content.decode()


def test_a_second_tab_gets_409_and_keeps_what_it_typed(pair):
    session = held(pair)
    http = _as(pair.therapist)
    _post(http, session, extra={"plan": "Tab A"})

    stale = _post(http, session, version=0, extra={"plan": "Tab B words"})
    stale_htmx = _post(http, session, action="autosave", version=0, extra={"plan": "Tab B words"}, **HX)

    assert stale.status_code == 409 and "another tab" in stale.content.decode()
    assert "Tab B words" in stale.content.decode()
    assert stale_htmx.status_code == 409 and "another tab" in stale_htmx.content.decode()
    assert _stored(session).text("plan") == "Tab A"


def test_the_template_picker_changes_the_sections(pair):
    session = held(pair)
    http = _as(pair.therapist)

    response = _post(http, session, action="template", template="birp", extra={"plan": "kept"}, **HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="progress-behavior"' in body and 'id="progress-subjective"' not in body
    assert "kept" in body
    assert _stored(session).template == "birp"


def test_the_picker_can_make_a_template_the_default_for_new_notes(pair):
    http = _as(pair.therapist)

    _post(http, held(pair), action="template", template="dap", extra={"make_default": "1"})

    body = http.get(_url(held(pair).session_id)).content.decode()
    assert 'id="progress-data"' in body and 'id="progress-subjective"' not in body


def test_signing_shows_the_signature_and_every_later_edit_is_409(pair):
    session = held(pair)
    http = _as(pair.therapist)

    signed = _post(http, session, action="sign")

    assert signed.status_code == 302
    body = http.get(_url(session.session_id)).content.decode()
    assert f"Signed by {pair.therapist.name} on" in body and "Sign addendum" in body
    assert "Altered" not in body
    for response in (
        _post(http, session, version=1, extra={"plan": "changed"}),
        _post(http, session, action="autosave", version=1, extra={"plan": "changed"}, **HX),
        _post(http, session, action="sign", version=1),
        _post(http, session, action="start_from_last", version=1),
    ):
        assert response.status_code == 409
        assert "signed" in response.content.decode()
    assert _stored(session).text("plan") == SOAP["plan"]


def test_an_altered_signed_note_shows_altered(pair):
    session = held(pair)
    http = _as(pair.therapist)
    _post(http, session, action="sign")
    get_gateway().update(
        schema.CLINICAL_NOTES,
        {"sessionId": session.session_id, "noteKey": note_key(NoteKind.PROGRESS)},
        set_values={"template": "dap"},
    )

    body = http.get(_url(session.session_id)).content.decode()

    assert "Altered" in body


def test_addenda_are_listed_in_order_under_the_note(pair):
    session = held(pair)
    http = _as(pair.therapist)
    _post(http, session, action="sign")
    add = f"/therapist/notes/{session.session_id}/addendum/"

    assert http.post(add, {"kind": "progress", "text": "First addition", "reason": "Late"}).status_code == 302
    assert http.post(add, {"kind": "progress", "text": "Second addition", "reason": "Later"}).status_code == 302
    refused = http.post(add, {"kind": "progress", "text": "No reason", "reason": ""})

    body = http.get(_url(session.session_id)).content.decode()
    assert body.index("First addition") < body.index("Second addition")
    assert refused.status_code == 400 and "No reason" in refused.content.decode()


def test_the_client_reads_the_signed_shared_note_never_the_private_one(pair):
    session = held(pair)
    http = _as(pair.therapist)
    _post(http, session, action="sign", extra={"plan": SECRET})
    _post(http, session, kind="shared", template="simple", extra={"note": "Practise breathing"})
    client_url = f"/client/notes/{session.session_id}/"

    before = _as(pair.client).get(client_url).content.decode()
    _post(
        http, session, action="sign", kind="shared", template="simple", version=1, extra={"note": "Practise breathing"}
    )
    after = _as(pair.client).get(client_url).content.decode()

    assert "Practise breathing" not in before
    assert "Practise breathing" in after and "Signed by" in after
    assert SECRET not in before + after and "Private progress note" not in after
    assert _as(care_pair().client).get(client_url).status_code == 404
    assert _as(pair.therapist).get(client_url).status_code == 403
    assert _as(make_account(AccountKind.STAFF)).get(client_url).status_code == 403
    assert HttpClient().get(client_url).status_code == 302


def test_a_correction_cycle_through_the_pages(pair):
    session = held(pair)
    client, therapist = _as(pair.client), _as(pair.therapist)
    client_url = f"/client/notes/{session.session_id}/"

    assert client.post(client_url, {"text": "That was not what I said"}).status_code == 302
    (request,) = notes.corrections_due(user=pair.therapist)
    page = therapist.get(_url(session.session_id)).content.decode()
    assert "That was not what I said" in page and "answer due by" in page
    answer = f"/therapist/notes/{session.session_id}/corrections/{request.request_id}/"
    assert therapist.post(answer, {"action": "decline", "reason": "Accurate"}).status_code == 302
    statement = f"/client/notes/{session.session_id}/corrections/{request.request_id}/statement/"
    assert client.post(statement, {"statement": "I still disagree"}).status_code == 302

    shown = client.get(client_url).content.decode()
    assert "Accurate" in shown and "I still disagree" in shown and "Statement of disagreement" in shown
    assert "I still disagree" in therapist.get(_url(session.session_id)).content.decode()
    assert client.post(statement, {"statement": "Twice"}).status_code == 409
    assert client.post(client_url, {"text": ""}).status_code == 400


def test_typed_text_is_escaped_everywhere(pair):
    session = held(pair)
    http = _as(pair.therapist)
    _post(http, session, action="sign", extra={"plan": HOSTILE})
    _post(http, session, action="sign", kind="shared", template="simple", extra={"note": HOSTILE})
    http.post(
        f"/therapist/notes/{session.session_id}/addendum/", {"kind": "shared", "text": HOSTILE, "reason": HOSTILE}
    )
    client = _as(pair.client)
    client.post(f"/client/notes/{session.session_id}/", {"text": HOSTILE})

    for body in (
        http.get(_url(session.session_id)).content.decode(),
        client.get(f"/client/notes/{session.session_id}/").content.decode(),
    ):
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "{{ 7*7 }}" in body and ">49<" not in body


def test_a_double_submit_stores_one_addendum_and_one_request(pair):
    import re

    from django.core import mail

    session = held(pair)
    http = _as(pair.therapist)
    _post(http, session, action="sign")
    page = http.get(_url(session.session_id)).content.decode()
    key = re.search(r'name="form_key" value="([0-9A-Z]+)"', page).group(1)
    add = f"/therapist/notes/{session.session_id}/addendum/"
    for _ in range(2):
        assert http.post(add, {"kind": "progress", "text": "Once", "reason": "r", "form_key": key}).status_code == 302
    client = _as(pair.client)
    record = client.get(f"/client/notes/{session.session_id}/").content.decode()
    client_key = re.search(r'name="form_key" value="([0-9A-Z]+)"', record).group(1)
    for _ in range(2):
        form = {"text": "Please fix", "form_key": client_key}
        assert client.post(f"/client/notes/{session.session_id}/", form).status_code == 302

    stored = ClinicalNoteRepository().for_session(session.session_id)
    assert [a.text for a in stored.addenda] == ["Once"]
    assert [c.text for c in stored.corrections] == ["Please fix"]
    assert len(mail.outbox) == 1


def test_the_session_pages_lead_to_the_note_and_the_record(pair):
    session = held(pair)

    therapist_page = _as(pair.therapist).get(f"/therapist/sessions/{session.session_id}/").content.decode()
    client_page = _as(pair.client).get(f"/client/sessions/{session.session_id}/").content.decode()

    assert f'href="{_url(session.session_id)}"' in therapist_page
    assert f'href="/client/notes/{session.session_id}/"' in client_page
