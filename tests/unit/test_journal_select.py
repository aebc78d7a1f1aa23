"""Sharing several journal entries, or stopping, in one step: one transaction, idempotent, own entries only."""

from __future__ import annotations

from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.journal import JournalRepository
from tests.accounts import log_in, make_account
from tests.journal_data import seed_entries

XSS = '<script>alert(1)</script> "quoted" {{ 7*7 }}'


def _client(dynamo):  # type: ignore[no-untyped-def]
    user = make_account(AccountKind.CLIENT, name="Casey Client")
    http = HttpClient()
    log_in(http, user)
    return user, http


def test_it_shares_40_entries_in_one_transaction_each_once_and_survives_a_double_submit(dynamo):
    user, http = _client(dynamo)
    entries = seed_entries(user.account_id, 45)
    chosen = [e.entry_id for e in entries[:40]]
    with count_dynamodb_calls() as calls:
        response = http.post("/client/journal/select/", {"action": "share", "entry": chosen})
    assert response.status_code == 302
    assert calls.count("TransactWriteItems") == 1 and calls.count("BatchGetItem") == 1
    assert calls.count("UpdateItem") == 0 and calls.count("PutItem") == 0
    journal = JournalRepository()
    first = {e.entry_id: e.shared_at for e in journal.list_shared(user.account_id, limit=100).items}
    assert set(first) == set(chosen)
    # The same form again: nothing new is stored, and each keeps the time it was first shared.
    again = http.post("/client/journal/select/", {"action": "share", "entry": chosen}, follow=True)
    assert "40 entries shared" in again.content.decode()
    second = {e.entry_id: e.shared_at for e in journal.list_shared(user.account_id, limit=100).items}
    assert second == first

    http.post("/client/journal/select/", {"action": "unshare", "entry": chosen[:10]})
    left = {e.entry_id for e in journal.list_shared(user.account_id, limit=100).items}
    assert left == set(chosen[10:])


def test_it_ignores_other_peoples_entries_and_bad_ids(dynamo):
    user, http = _client(dynamo)
    other = make_account(AccountKind.CLIENT)
    theirs = seed_entries(other.account_id, 2)
    mine = seed_entries(user.account_id, 1)
    response = http.post(
        "/client/journal/select/",
        {"action": "share", "entry": [theirs[0].entry_id, theirs[1].entry_id, mine[0].entry_id, "not-an-id"]},
        follow=True,
    )
    assert "1 entry shared" in response.content.decode()
    assert JournalRepository().list_shared(other.account_id, limit=10).items == []
    nothing = http.post("/client/journal/select/", {"action": "share"}, follow=True)
    assert "Choose at least one entry." in nothing.content.decode()
    too_many = http.post(
        "/client/journal/select/",
        {"action": "share", "entry": [e.entry_id for e in seed_entries(user.account_id, 51)]},
        follow=True,
    )
    assert "at most 50" in too_many.content.decode()


def test_the_page_lists_entries_with_their_state_and_escapes_the_note(dynamo):
    user, http = _client(dynamo)
    seed_entries(user.account_id, 3, shared_every=2, note=XSS)
    body = http.get("/client/journal/select/").content.decode()
    assert body.count('name="entry"') == 3
    assert "Shared" in body and "Private" in body
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body
    assert "No therapist is connected yet" in body


def test_only_the_client_may_use_it(dynamo):
    assert HttpClient().get("/client/journal/select/").status_code == 302
    therapist = HttpClient()
    log_in(therapist, make_account(AccountKind.THERAPIST))
    assert therapist.get("/client/journal/select/").status_code in (302, 403)
    assert therapist.post(
        "/client/journal/select/", {"action": "share", "entry": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]}
    ).status_code in (302, 403)
