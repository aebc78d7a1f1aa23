"""My therapists, My clients, and the actions on them: plain forms, htmx, access, cost."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind, MappingStatus, Side
from portal.dynamo.account_store import AccountStore
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.mappings import MappingRepository
from portal.ids import new_id
from portal.services import relationships as service
from portal.services.journal import journal_entry_create, journal_entry_set_shared
from portal.timeutil import utcnow
from tests.accounts import log_in, logged_in, make_account
from tests.page_links import next_cursor
from tests.relationships import PORTAL_URL, connect

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def pair(dynamo):
    client = make_account(AccountKind.CLIENT, name="Casey Client")
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara")
    return client, therapist


def _as(user) -> HttpClient:
    http = HttpClient()
    log_in(http, user)
    return http


def _mapping(client, therapist):
    return MappingRepository().get(client.account_id, therapist.account_id)


def _request(client, therapist):
    service.relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)


# --- access -------------------------------------------------------------------------

GET_PAGES = {
    "/client/my-therapists/": AccountKind.CLIENT,
    "/client/therapists/": AccountKind.CLIENT,
    "/therapist/clients/": AccountKind.THERAPIST,
    "/therapist/profile/": AccountKind.THERAPIST,
}


@pytest.mark.parametrize("url", list(GET_PAGES))
def test_it_sends_anonymous_visitors_to_login(dynamo, client: HttpClient, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "url",
    [
        f"/client/my-therapists/{'0' * 26}/accept/",
        f"/therapist/clients/{'0' * 26}/accept/",
        "/therapist/clients/invite/",
        "/client/my-therapists/make-private/",
        f"/client/therapists/{'0' * 26}/request/",
    ],
)
def test_it_refuses_anonymous_actions_and_changes_nothing(dynamo, client: HttpClient, url):
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url,owner", GET_PAGES.items())
@pytest.mark.parametrize("visitor", list(AccountKind))
def test_it_refuses_the_wrong_kind_of_account_staff_included(dynamo, client, url, owner, visitor):
    logged_in(client, visitor)
    assert client.get(url).status_code == (200 if visitor is owner else 403)


def test_it_answers_404_for_someone_elses_relationship_and_changes_nothing(pair):
    client, therapist = pair
    connect(client, therapist)
    stranger_client = make_account(AccountKind.CLIENT)
    stranger_therapist = make_account(AccountKind.THERAPIST)

    as_other_client, as_other_therapist = _as(stranger_client), _as(stranger_therapist)
    assert as_other_client.get(f"/client/my-therapists/{therapist.account_id}/end/").status_code == 404
    assert as_other_client.post(f"/client/my-therapists/{therapist.account_id}/withdraw/").status_code == 404
    assert as_other_therapist.get(f"/therapist/clients/{client.account_id}/end/").status_code == 404
    assert (
        as_other_therapist.post(f"/therapist/clients/{client.account_id}/end/", {"confirm": "yes"}).status_code == 404
    )
    assert as_other_therapist.post(f"/therapist/clients/{client.account_id}/block/").status_code == 404
    assert as_other_therapist.get(f"/therapist/clients/{client.account_id}/journal/").status_code == 404
    assert _as(client).post(f"/client/my-therapists/{therapist.account_id}/nonsense/").status_code == 404
    assert _as(client).post("/client/my-therapists/not-an-id/accept/").status_code == 404
    assert _mapping(client, therapist).status is MappingStatus.ACTIVE


# --- the client's list ------------------------------------------------------------------


def test_it_lists_a_clients_therapists_with_what_each_waits_for(pair):
    client, therapist = pair
    asked = make_account(AccountKind.THERAPIST, name="Dr Asked")
    inviter = make_account(AccountKind.THERAPIST, name="Dr Inviter")
    blocker = make_account(AccountKind.THERAPIST, name="Dr Blocker")
    connect(client, therapist)
    _request(client, asked)
    service.relationship_invite(user=inviter, email=client.email, portal_url=PORTAL_URL)
    _request(client, blocker)
    service.relationship_block(user=blocker, client_id=client.account_id)

    body = _as(client).get("/client/my-therapists/").content.decode()

    assert "Dr Tara" in body and "Working together" in body
    assert "Dr Asked" in body and "waiting for an answer" in body
    assert "Dr Inviter" in body and "invited you" in body
    assert "Dr Blocker" in body and "This therapist is not available." in body
    assert "blocked" not in body.lower()


def test_it_costs_the_same_calls_for_the_client_list_however_many_therapists(pair):
    client, therapist = pair
    http = _as(client)
    connect(client, therapist)
    with count_dynamodb_calls() as few:
        assert http.get("/client/my-therapists/").status_code == 200
    for _ in range(6):
        other = make_account(AccountKind.THERAPIST, name="Dr More")
        connect(client, other)
        service.relationship_end(user=client, other_id=other.account_id, portal_url=PORTAL_URL)
        _request(client, make_account(AccountKind.THERAPIST))
    with count_dynamodb_calls() as many:
        body = http.get("/client/my-therapists/").content.decode()
    assert many.by_operation() == few.by_operation()
    assert "Before" in body and body.count("Dr More") == 6


def test_it_lets_a_client_accept_an_invitation_inline_and_tells_what_becomes_readable(pair):
    client, therapist = pair
    for n in range(3):
        entry = journal_entry_create(client_id=client.account_id, time_of_emotion=utcnow(), feeling="calm", intensity=n + 1)
        journal_entry_set_shared(user=client, entry_id=entry.entry_id, shared=True)
    service.relationship_invite(user=therapist, email=client.email, portal_url=PORTAL_URL)
    http = _as(client)

    page = http.get("/client/my-therapists/").content.decode()
    assert "If you accept, they can read your 3 shared entries." in page

    response = http.post(f"/client/my-therapists/{therapist.account_id}/accept/", **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="relationships">')
    assert "You are now working together." in body
    assert "Dr Tara can read them now." in body
    assert _mapping(client, therapist).status is MappingStatus.ACTIVE


def test_it_makes_every_shared_entry_private_in_one_step_that_resumes(pair, monkeypatch):
    client, therapist = pair
    connect(client, therapist)
    for n in range(5):
        entry = journal_entry_create(client_id=client.account_id, time_of_emotion=utcnow(), feeling="sad", intensity=n + 1)
        journal_entry_set_shared(user=client, entry_id=entry.entry_id, shared=True)
    monkeypatch.setattr("portal.services.sharing.UNSHARE_BATCH", 3)
    monkeypatch.setattr(
        "portal.views.relationships.journal_unshare_all",
        lambda *, user: __import__("portal.services.sharing", fromlist=["x"]).journal_unshare_all(user=user, batch=3),
    )
    http = _as(client)

    first = http.post("/client/my-therapists/make-private/", follow=True).content.decode()
    assert "3 entries are private again; some are still shared." in first
    second = http.post("/client/my-therapists/make-private/", follow=True).content.decode()
    assert "Done: 2 entries are private again." in second
    from portal.dynamo.journal import JournalRepository

    assert JournalRepository().count_shared(client.account_id) == (0, True)
    assert "What your therapists can read" not in http.get("/client/my-therapists/").content.decode()


# --- the therapist's list ---------------------------------------------------------------


def test_it_shows_waiting_requests_above_the_clients_and_answers_them_with_plain_forms(pair):
    client, therapist = pair
    working = make_account(AccountKind.CLIENT, name="Working Wren")
    connect(working, therapist)
    _request(client, therapist)
    http = _as(therapist)

    body = http.get("/therapist/clients/").content.decode()
    assert body.index("Waiting for your answer") < body.index("Casey Client") < body.index("Working Wren")

    response = http.post(f"/therapist/clients/{client.account_id}/accept/")
    assert response.status_code == 302 and response["Location"] == "/therapist/clients/"
    assert _mapping(client, therapist).status is MappingStatus.ACTIVE
    after = http.get("/therapist/clients/").content.decode()
    assert "You are now working together." in after and "No requests are waiting." in after


def test_it_answers_an_htmx_action_with_the_lists_partial_and_a_stale_one_with_a_message(pair):
    client, therapist = pair
    _request(client, therapist)
    http = _as(therapist)
    service.relationship_withdraw(user=client, other_id=therapist.account_id)
    _request(client, therapist)

    done = http.post(f"/therapist/clients/{client.account_id}/block/", **HTMX)
    assert done.status_code == 200 and "Client blocked." in done.content.decode()
    assert "<html" not in done.content.decode()
    stale = http.post(f"/therapist/clients/{client.account_id}/accept/", **HTMX)
    assert stale.status_code == 200
    assert "There is no request waiting for your answer." in stale.content.decode()
    assert _mapping(client, therapist).status is MappingStatus.BLOCKED


def test_it_costs_the_same_calls_for_the_therapist_list_however_many_clients_and_requests(pair):
    _, therapist = pair
    http = _as(therapist)
    repo = MappingRepository()
    repo.put(new_id(), therapist.account_id, MappingStatus.ACTIVE, client_name="One")
    repo.put(new_id(), therapist.account_id, MappingStatus.PENDING, client_name="Asking")
    with count_dynamodb_calls() as few:
        assert http.get("/therapist/clients/").status_code == 200
    for n in range(60):
        status = (MappingStatus.ACTIVE, MappingStatus.BLOCKED, MappingStatus.PENDING)[n % 3]
        repo.put(new_id(), therapist.account_id, status, client_name=f"Client {n}")
    with count_dynamodb_calls() as many:
        response = http.get("/therapist/clients/")
    assert many.by_operation() == few.by_operation()
    body = response.content.decode()
    clients = re.search(r'<ul class="relationships" id="client-list">(.*?)</ul>', body, re.S)
    assert clients is not None
    assert clients.group(1).count('<li id="client-') == 25
    cursor = next_cursor(body)
    assert cursor
    waiting = re.search(r'aria-labelledby="waiting-heading">(.*?)</section>', body, re.S)
    assert waiting is not None
    assert waiting.group(1).count('<li id="client-') == 21
    more = http.get("/therapist/clients/", {"cursor": cursor}, **HTMX)
    assert more.status_code == 200 and "<html" not in more.content.decode()


def test_it_invites_with_the_same_answer_whether_or_not_the_address_has_an_account(pair):
    client, therapist = pair
    http = _as(therapist)
    known = http.post("/therapist/clients/invite/", {"email": client.email}, follow=True).content.decode()
    unknown = http.post("/therapist/clients/invite/", {"email": "nobody@example.com"}, follow=True).content.decode()
    message = "If this address belongs to a client account, they will find your invitation when they log in."
    assert message in known and message in unknown
    assert _mapping(client, therapist).requested_by is Side.THERAPIST

    bad = http.post("/therapist/clients/invite/", {"email": "not an address"}, **HTMX)
    assert bad.status_code == 400
    assert 'value="not an address"' in bad.content.decode()


# --- the actions, from either side ----------------------------------------------------------


def _invite(therapist, client):
    service.relationship_invite(user=therapist, email=client.email, portal_url=PORTAL_URL)


def _act(user, other, action: str):
    side = "client/my-therapists" if user.kind is AccountKind.CLIENT else "therapist/clients"
    return _as(user).post(f"/{side}/{other.account_id}/{action}/", **HTMX)


@pytest.mark.parametrize(
    "set_up,actor,action,said,status",
    [
        (_invite, "client", "decline", "Invitation declined.", None),
        (_invite, "therapist", "withdraw", "Invitation withdrawn.", None),
        (_request, "client", "withdraw", "Request withdrawn.", None),
        (_request, "therapist", "decline", "Request declined.", None),
        (_request, "therapist", "block", "Client blocked.", MappingStatus.BLOCKED),
        (_invite, "client", "accept", "You are now working together.", MappingStatus.ACTIVE),
    ],
)
def test_each_side_answers_in_its_own_words(pair, set_up, actor, action, said, status):
    client, therapist = pair
    if set_up is _invite:
        _invite(therapist, client)
    else:
        _request(client, therapist)
    user, other = (client, therapist) if actor == "client" else (therapist, client)
    response = _act(user, other, action)
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert f'<p class="message" role="status">{said}</p>' in response.content.decode()
    stored = _mapping(client, therapist)
    assert (stored.status if stored else None) is status


def test_only_a_therapist_blocks_and_unblocks(pair):
    client, therapist = pair
    _request(client, therapist)
    assert _act(client, therapist, "block").status_code == 404
    assert _act(client, therapist, "unblock").status_code == 404
    assert _mapping(client, therapist).status is MappingStatus.PENDING
    assert "Client blocked." in _act(therapist, client, "block").content.decode()
    assert "Client unblocked." in _act(therapist, client, "unblock").content.decode()


@pytest.mark.parametrize("actor", ["client", "therapist"])
def test_the_other_side_is_pointed_to_its_own_list(pair, actor, monkeypatch):
    client, therapist = pair
    seen: dict[str, str] = {}
    monkeypatch.setattr(service, "relationship_decline", lambda **kw: seen.update(portal_url=kw["portal_url"]))
    user, other = (client, therapist) if actor == "client" else (therapist, client)
    assert _act(user, other, "decline").status_code == 200
    assert seen["portal_url"] == (
        "http://testserver/therapist/clients/" if actor == "client" else "http://testserver/client/my-therapists/"
    )


def test_every_action_form_of_a_list_carries_a_token_that_passes_the_csrf_check(pair):
    client, therapist = pair
    _request(client, therapist)
    http = HttpClient(enforce_csrf_checks=True)
    log_in(http, therapist)
    page = http.get("/therapist/clients/").content.decode()
    forms = re.findall(r'<form class="inline" method="post" action="([^"]+)"[^>]*>\s*(<input[^>]*>)', page)
    forms = [(action, field) for action, field in forms if action.startswith("/therapist/clients/")]
    assert [action.rsplit("/", 2)[-2] for action, _ in forms] == ["accept", "decline", "block"]
    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', field) for _, field in forms]
    assert all(tokens)
    accept = forms[0][0]
    assert http.post(accept).status_code == 403
    assert http.post(accept, {"csrfmiddlewaretoken": tokens[0].group(1)}).status_code == 302  # type: ignore[union-attr]
    assert _mapping(client, therapist).status is MappingStatus.ACTIVE


# --- ending -------------------------------------------------------------------------------


def test_it_asks_before_ending_and_then_closes_the_journal_at_once(pair):
    client, therapist = pair
    connect(client, therapist)
    as_client, as_therapist = _as(client), _as(therapist)
    assert as_therapist.get(f"/therapist/clients/{client.account_id}/journal/").status_code == 200

    ask = as_client.get(f"/client/my-therapists/{therapist.account_id}/end/")
    assert ask.status_code == 200
    assert "End working with <strong>Dr Tara</strong>?" in ask.content.decode()
    inline = as_client.get(f"/client/my-therapists/{therapist.account_id}/end/", **HTMX)
    assert "<html" not in inline.content.decode() and "Yes, end it" in inline.content.decode()
    # A POST without the confirmation only asks again.
    assert "Yes, end it" in as_client.post(f"/client/my-therapists/{therapist.account_id}/end/").content.decode()
    assert _mapping(client, therapist) is not None

    ended = as_client.post(f"/client/my-therapists/{therapist.account_id}/end/", {"confirm": "yes"})
    assert ended.status_code == 302 and ended["Location"] == "/client/my-therapists/"
    assert _mapping(client, therapist) is None
    assert as_therapist.get(f"/therapist/clients/{client.account_id}/journal/").status_code == 404
    assert as_client.get(f"/client/my-therapists/{therapist.account_id}/end/").status_code == 404


def test_it_lets_the_therapist_end_too(pair):
    client, therapist = pair
    connect(client, therapist)
    response = _as(therapist).post(f"/therapist/clients/{client.account_id}/end/", {"confirm": "yes"}, **HTMX)
    assert response.status_code == 200 and "The relationship has ended." in response.content.decode()
    assert _mapping(client, therapist) is None


def test_it_asks_an_unverified_client_to_confirm_their_email_before_accepting_an_invitation(dynamo):
    client = make_account(AccountKind.CLIENT, name="Casey Client", verified=False)
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara")
    service.relationship_invite(user=therapist, email=client.email, portal_url=PORTAL_URL)
    http = _as(client)
    url = f"/client/my-therapists/{therapist.account_id}/accept/"

    refused = http.post(url, follow=True)
    assert "Please confirm your email address before you accept an invitation." in refused.content.decode()
    assert _mapping(client, therapist).status is MappingStatus.PENDING
    partial = http.post(url, **HTMX)
    assert partial.status_code == 200 and "confirm your email" in partial.content.decode()
    assert _mapping(client, therapist).status is MappingStatus.PENDING

    # Confirmed meanwhile (in another tab): the next POST re-reads the account and accepts.
    AccountStore().mark_email_verified(AccountKind.CLIENT, client.account_id)
    assert http.post(url).status_code == 302
    assert _mapping(client, therapist).status is MappingStatus.ACTIVE
