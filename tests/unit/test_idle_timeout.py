"""Automatic logoff after 30 idle minutes, and the warning that comes before it."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.timeutil import utcnow
from tests.accounts import PASSWORD, make_account


def _logged_in_client() -> HttpClient:
    user = make_account(AccountKind.CLIENT)
    http = HttpClient()
    assert http.post("/accounts/login/", {"email": user.email, "password": PASSWORD}).status_code == 302
    return http


def test_it_keeps_a_session_idle_for_just_under_30_minutes(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http = _logged_in_client()
        clock.move_to(start + timedelta(minutes=29, seconds=50))
        assert http.get("/client/").status_code == 200


def test_it_ends_a_session_idle_for_just_over_30_minutes(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http = _logged_in_client()
        clock.move_to(start + timedelta(minutes=30, seconds=10))
        response = http.get("/client/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_it_counts_each_request_as_activity(dynamo):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        http = _logged_in_client()
        clock.move_to(start + timedelta(minutes=20))
        assert http.get("/client/").status_code == 200
        clock.move_to(start + timedelta(minutes=45))
        assert http.get("/client/").status_code == 200


def test_it_gives_the_page_what_it_needs_to_warn_before_logoff(dynamo):
    start = utcnow().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        http = _logged_in_client()
        # Within the minute the expiry is not pushed: the page is told what is really left.
        clock.move_to(start + timedelta(seconds=30))
        body = http.get("/client/").content.decode()
    assert 'data-idle-seconds="1770"' in body
    assert 'data-idle-warning-seconds="300"' in body
    assert 'id="idle-warning"' in body
