"""A deactivated account's calendar feed answers 404 until staff reactivate it."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from icalendar import Calendar

from portal.domain import AccountKind
from portal.services.calendar import feed_create
from portal.services.staff_admin import account_deactivate, account_reactivate
from tests.accounts import make_account
from tests.sessions_data import Pair, booked, care_pair


@pytest.fixture
def pair(dynamo) -> Pair:  # type: ignore[no-untyped-def]
    return care_pair()


@pytest.mark.parametrize("side", ["therapist", "client"])
def test_a_deactivated_accounts_feed_is_gone_until_reactivated(pair: Pair, side: str) -> None:
    session = booked(pair)
    owner = getattr(pair, side)
    token = feed_create(user=owner)
    url = f"/calendar/{token}.ics"
    assert HttpClient().get(url).status_code == 200
    staff = make_account(AccountKind.STAFF)

    account_deactivate(staff=staff, kind=side, account_id=owner.account_id, reason="Left the practice")

    gone = HttpClient().get(url)
    assert gone.status_code == 404
    assert session.session_id not in gone.content.decode()

    # The link itself was not revoked: reactivation brings the same feed back.
    account_reactivate(staff=staff, kind=side, account_id=owner.account_id, reason="Back from leave")
    back = HttpClient().get(url)
    assert back.status_code == 200
    uids = [str(event["UID"]) for event in Calendar.from_ical(back.content).walk("VEVENT")]
    assert uids == [f"{session.session_id}@therapy-portal"]
