"""A person's own settings: time zone and optional emails, shown at once on every page."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.clients import ClientRepository
from tests.accounts import PASSWORD, make_account
from tests.sessions_data import booked, care_pair


def _browser(user) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient()
    response = http.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return http


def test_a_client_changes_their_zone_and_their_pages_show_it_at_once(dynamo):
    pair = care_pair()
    session = booked(pair, when=datetime(2027, 3, 14, 21, 0, tzinfo=UTC))
    http = _browser(pair.client)
    page = f"/client/sessions/{session.session_id}/"
    assert "21:00" in http.get(page).content.decode()  # Europe/London, as signed up

    form = http.get("/accounts/account/settings/").content.decode()
    assert 'name="time_zone"' in form and 'name="optional_emails"' in form and "checked" in form

    response = http.post("/accounts/account/settings/", {"time_zone": "America/New_York"})
    assert response.status_code == 302
    stored = ClientRepository().get(pair.client.account_id)
    assert stored.time_zone == "America/New_York" and stored.optional_emails is False
    # The session's copy of the person moved with it: the next page is in the new zone.
    body = http.get(page).content.decode()
    assert "17:00" in body and "21:00" not in body
    assert "now America/New_York" in http.get("/accounts/account/settings/").content.decode()

    http.post("/accounts/account/settings/", {"time_zone": "America/New_York", "optional_emails": "on"})
    assert ClientRepository().get(pair.client.account_id).optional_emails is True


def test_an_unknown_zone_is_refused(dynamo):
    client = make_account(AccountKind.CLIENT)
    http = _browser(client)
    response = http.post("/accounts/account/settings/", {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert ClientRepository().get(client.account_id).time_zone == "Europe/London"
