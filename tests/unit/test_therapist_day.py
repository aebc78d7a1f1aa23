"""The therapist's home is their day: today's and tomorrow's sessions in their own zone, and what waits for them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine
from django.test import Client as HttpClient

from portal.domain import AccountKind, MappingStatus
from portal.dynamo.mappings import MappingRepository
from portal.services import sessions as service
from portal.services.accounts import own_settings_save
from tests.accounts import log_in, make_account
from tests.sessions_data import booked, care_pair, requested

# Saturday 13 March 2027, 10:00 in New York; the clocks go forward there on Sunday 14 March.
SATURDAY_MORNING = datetime(2027, 3, 13, 15, 0, tzinfo=UTC)


def _home(pair) -> str:  # type: ignore[no-untyped-def]
    http = HttpClient()
    log_in(http, pair.therapist)
    response = http.get("/therapist/")
    assert response.status_code == 200
    return response.content.decode()


def _section(body: str, heading_id: str) -> str:
    start = body.index(f'id="{heading_id}"')
    following = re.search(r"<h3 ", body[start + 1 :])
    return body[start : start + 1 + following.start()] if following else body[start:]


def test_it_lists_today_and_tomorrow_in_the_therapists_zone_in_time_order_and_counts_what_waits(dynamo):
    with time_machine.travel(SATURDAY_MORNING, tick=False):
        pair = care_pair()
        own_settings_save(user=pair.therapist, time_zone="America/New_York", optional_emails=True)
        # Tomorrow's 17:00 booked first, so the order on the page is the time's, not the booking's.
        tomorrow_evening = booked(pair, when=datetime(2027, 3, 14, 21, 0, tzinfo=UTC))  # 17:00 EDT
        today = booked(pair, when=datetime(2027, 3, 13, 22, 0, tzinfo=UTC))  # 17:00 EST
        tomorrow_morning = booked(pair, when=datetime(2027, 3, 14, 13, 0, tzinfo=UTC))  # 09:00 EDT
        booked(pair, when=datetime(2027, 3, 15, 13, 0, tzinfo=UTC))  # Monday: not on the home page
        # 02:30 UTC on Sunday is still Saturday evening in New York: today's.
        late = booked(pair, when=datetime(2027, 3, 14, 2, 30, tzinfo=UTC))
        cancelled = booked(pair, when=datetime(2027, 3, 13, 20, 0, tzinfo=UTC))
        service.session_cancel(user=pair.therapist, session_id=cancelled.session_id)
        asked = requested(pair, when=datetime(2027, 3, 20, 14, 0, tzinfo=UTC))
        for _ in range(2):
            other = make_account(AccountKind.CLIENT)
            MappingRepository().put(other.account_id, pair.therapist.account_id, MappingStatus.PENDING)
        body = _home(pair)

    today_part = _section(body, "today-heading")
    assert "Sat 13 Mar" in today_part
    assert today_part.index(today.session_id) < today_part.index(late.session_id)
    assert "13 Mar, 17:00" in today_part and "13 Mar, 21:30" in today_part
    assert cancelled.session_id not in body.split('id="waiting-heading"')[0]
    tomorrow_part = _section(body, "tomorrow-heading")
    assert "Sun 14 Mar" in tomorrow_part
    assert tomorrow_part.index(tomorrow_morning.session_id) < tomorrow_part.index(tomorrow_evening.session_id)
    # The day the clocks change: 17:00 stays 17:00.
    assert "14 Mar, 09:00" in tomorrow_part and "14 Mar, 17:00" in tomorrow_part
    assert "15 Mar" not in tomorrow_part

    waiting = _section(body, "waiting-heading")
    assert "1 session request<" in waiting and "2 care requests<" in waiting
    assert f'href="/therapist/sessions/{asked.session_id}/"' in waiting
    assert 'href="/therapist/sessions/#requests-heading"' in waiting


def test_an_empty_day_says_so(dynamo):
    pair = care_pair()
    body = _home(pair)
    assert body.count("No sessions.") == 2
    assert "0 session requests<" in body and "0 care requests<" in body
