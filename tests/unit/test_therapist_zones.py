"""A therapist reads every time in their own zone, with the client's own beside it where the two zones meet."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.test import Client as HttpClient

from portal.dynamo.journal import JournalRepository
from portal.presenters.journal import shared_entry_items
from portal.services.accounts import own_settings_save
from portal.services.journal import journal_entry_create
from tests.accounts import log_in
from tests.sessions_data import booked, care_pair

# Monday 7 December 2026, 20:03 in New York; already Tuesday 02:03 in Paris.
FELT = datetime(2026, 12, 8, 1, 3, tzinfo=UTC)


def test_the_client_journal_and_the_session_panel_put_an_entry_on_the_therapists_day(dynamo):
    with time_machine.travel(datetime(2026, 12, 8, 9, 0, tzinfo=UTC), tick=False):
        pair = care_pair()
        own_settings_save(user=pair.client, time_zone="America/New_York", optional_emails=True)
        own_settings_save(user=pair.therapist, time_zone="Europe/Paris", optional_emails=True)
        entry = journal_entry_create(client_id=pair.client.account_id, time_of_emotion=FELT, feeling="calm", intensity=4)
        JournalRepository().set_shared(pair.client.account_id, entry.entry_id, FELT)
        session = booked(pair, when=datetime(2026, 12, 9, 16, 0, tzinfo=UTC))
        http = HttpClient()
        log_in(http, pair.therapist)
        journal = http.get(f"/therapist/clients/{pair.client.account_id}/journal/").content.decode()
        panel = http.get(f"/therapist/sessions/{session.session_id}/").content.decode()

    assert "Tue 8 Dec 2026, 02:03" in journal
    assert "your time (7 Dec, 20:03 for the client)" in journal
    assert "Mon 7 Dec" not in journal
    # The "since last session" panel: the same entry, the same day.
    assert "8 Dec 2026, 02:03" in panel and "7 Dec" not in panel
    # The session itself: 17:00 in Paris, 11:00 in New York.
    assert "Wed 9 Dec 2026, 17:00</time> your time (9 Dec, 11:00 for the client, America/New_York)" in panel


def test_a_session_page_gives_one_time_when_both_live_in_one_zone(dynamo):
    pair = care_pair()
    own_settings_save(user=pair.therapist, time_zone="Europe/London", optional_emails=True)
    session = booked(pair, when=datetime(2027, 1, 5, 17, 0, tzinfo=UTC))
    http = HttpClient()
    log_in(http, pair.therapist)
    body = http.get(f"/therapist/sessions/{session.session_id}/").content.decode()
    assert "Tue 5 Jan 2027, 17:00</time> (Europe/London)" in body and "for the client" not in body


def test_no_second_time_when_both_live_in_one_zone():
    from tests.factories import make_entry

    (item,) = shared_entry_items([make_entry(time_of_emotion=FELT)], time_zone="Europe/Paris", client_time_zone="Europe/Paris")
    assert item.client_when == "" and item.when == "Tue 8 Dec 2026, 02:03"
