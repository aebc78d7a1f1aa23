"""The journal entry form carries an idempotency key: a double submit or a resend stores one entry."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.journal import JournalRepository
from tests.accounts import log_in, make_account

HTMX = {"HTTP_HX_REQUEST": "true"}
KEY_FIELD = re.compile(r'<input type="hidden" name="idempotency_key" value="([0-9A-Za-z_-]+)"')


def _entry(key: str | None, **overrides: str) -> dict[str, str]:
    form = {"time_of_emotion": "2026-01-01T10:00", "feeling": "hopeful", "intensity": "6", "note": "new job"}
    if key is not None:
        form["idempotency_key"] = key
    return {**form, **overrides}


def _key_in(html: str) -> str:
    match = KEY_FIELD.search(html)
    assert match, "the form has no idempotency key"
    return match.group(1)


@pytest.fixture
def writer(dynamo):
    user = make_account(AccountKind.CLIENT)
    http = HttpClient()
    log_in(http, user)
    return http, user.account_id


def _stored(client_id: str) -> list:
    return JournalRepository().list_by_time(client_id).items


def test_it_renders_a_fresh_key_into_each_blank_form(writer):
    http, _ = writer
    first = _key_in(http.get("/client/journal/").content.decode())
    second = _key_in(http.get("/client/journal/").content.decode())
    assert first != second


def test_it_stores_one_entry_when_the_same_form_is_sent_twice(writer):
    http, client_id = writer
    key = _key_in(http.get("/client/journal/").content.decode())
    first = http.post("/client/journal/", _entry(key))
    again = http.post("/client/journal/", _entry(key))
    assert first.status_code == again.status_code == 302
    assert [e.note for e in _stored(client_id)] == ["new job"]


def test_it_stores_one_entry_for_an_htmx_double_submit_and_gives_the_next_form_a_new_key(writer):
    http, client_id = writer
    key = _key_in(http.get("/client/journal/").content.decode())
    responses = [http.post("/client/journal/", _entry(key), **HTMX) for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200]
    assert len(_stored(client_id)) == 1
    assert _key_in(responses[1].content.decode()) != key


def test_it_keeps_the_key_when_it_shows_the_form_again_with_an_error(writer):
    http, client_id = writer
    key = _key_in(http.get("/client/journal/").content.decode())
    response = http.post("/client/journal/", _entry(key, intensity="11"), **HTMX)
    assert response.status_code == 400
    assert _key_in(response.content.decode()) == key
    assert http.post("/client/journal/", _entry(key), **HTMX).status_code == 200
    assert len(_stored(client_id)) == 1


@pytest.mark.parametrize("key", [None, "", "short", "has spaces in it and more"])
def test_it_refuses_a_form_without_a_good_key_and_keeps_what_was_typed(writer, key):
    http, client_id = writer
    response = http.post("/client/journal/", _entry(key))
    body = response.content.decode()
    assert response.status_code == 400
    assert "out of date" in body and "new job" in body
    assert _stored(client_id) == []
    # The form shown again carries a good key: sending it now works.
    assert http.post("/client/journal/", _entry(_key_in(body))).status_code == 302
    assert len(_stored(client_id)) == 1


def test_it_does_not_bring_back_an_entry_deleted_since_the_form_was_sent(writer):
    http, client_id = writer
    key = _key_in(http.get("/client/journal/").content.decode())
    http.post("/client/journal/", _entry(key))
    (entry,) = _stored(client_id)
    http.post(f"/client/journal/{entry.entry_id}/delete/")
    response = http.post("/client/journal/", _entry(key))
    assert response.status_code == 400 and "already saved" in response.content.decode()
    assert _stored(client_id) == []


def test_it_keeps_one_clients_key_away_from_another_clients_entry(writer, dynamo):
    http, client_id = writer
    key = _key_in(http.get("/client/journal/").content.decode())
    http.post("/client/journal/", _entry(key, note="mine"))
    other = make_account(AccountKind.CLIENT)
    other_http = HttpClient()
    log_in(other_http, other)
    assert other_http.post("/client/journal/", _entry(key, note="theirs")).status_code == 302
    assert [e.note for e in _stored(other.account_id)] == ["theirs"]
    assert [e.note for e in _stored(client_id)] == ["mine"]
