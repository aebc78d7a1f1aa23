"""The client's access history: visits grouped by reader, naming the entries read."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client as HttpClient

from portal import ids
from portal.domain import AccountKind, MappingStatus
from portal.dynamo.audit import AuditRepository
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.services.journal import SHARED_READ, journal_access_history, shared_entries_for_therapist
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.journal_data import seed_entries


@pytest.fixture
def care_team(dynamo):
    patient = make_account(AccountKind.CLIENT, name="Pat Client")
    tess = make_account(AccountKind.THERAPIST, name="Dr Tess")
    omar = make_account(AccountKind.THERAPIST, name="Dr Omar")
    for therapist in (tess, omar):
        MappingRepository().put(patient.account_id, therapist.account_id, MappingStatus.ACTIVE)
    return patient, tess, omar


def _share(patient, entries):
    for entry in entries:
        JournalRepository().set_shared(patient.account_id, entry.entry_id, utcnow())


def test_it_records_which_entries_a_therapist_was_shown(care_team):
    patient, tess, _ = care_team
    entries = seed_entries(patient.account_id, 4)
    _share(patient, entries[:2])
    shared_entries_for_therapist(user=tess, client_id=patient.account_id)
    event = AuditRepository().list_for_subject(patient.account_id, action=SHARED_READ).items[0]
    assert sorted(event.detail["entryIds"].split()) == sorted(e.entry_id for e in entries[:2])


def test_it_groups_repeated_readings_into_visits_by_reader(care_team, monkeypatch):
    patient, tess, omar = care_team
    # Ids never go back in time within a process; an earlier test that travelled
    # ahead would otherwise stamp these readings with its own future time.
    monkeypatch.setattr(ids, "_last", None)
    _share(patient, seed_entries(patient.account_id, 2))
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        for minutes in (0, 2, 5, 9, 14, 20):  # six openings in one visit
            clock.move_to(start + timedelta(minutes=minutes))
            shared_entries_for_therapist(user=tess, client_id=patient.account_id)
        clock.move_to(start + timedelta(minutes=25))
        shared_entries_for_therapist(user=omar, client_id=patient.account_id)
        clock.move_to(start + timedelta(hours=3))
        shared_entries_for_therapist(user=tess, client_id=patient.account_id)
    visits = journal_access_history(user=patient).items
    assert [(v.reader_name, v.openings) for v in visits] == [("Dr Tess", 1), ("Dr Omar", 1), ("Dr Tess", 6)]
    assert visits[2].ended_at - visits[2].started_at == timedelta(minutes=20)


def test_it_names_the_entries_read_and_counts_the_ones_deleted_since(care_team):
    patient, tess, _ = care_team
    entries = seed_entries(patient.account_id, 3)
    _share(patient, entries)
    shared_entries_for_therapist(user=tess, client_id=patient.account_id)
    JournalRepository().delete(patient.account_id, entries[0].entry_id)
    (visit,) = journal_access_history(user=patient).items
    assert [e.entry_id for e in visit.entries] == [e.entry_id for e in entries[1:]]
    assert visit.deleted_entries == 1


def test_it_shows_the_visit_with_the_entries_on_the_page(care_team):
    patient, tess, _ = care_team
    entries = seed_entries(patient.account_id, 3)
    _share(patient, entries[:1])
    for _ in range(6):
        shared_entries_for_therapist(user=tess, client_id=patient.account_id)
    http = HttpClient()
    log_in(http, patient)
    body = http.get("/client/journal/access/").content.decode()
    assert body.count("<h2 class=\"visit-heading\">Dr Tess</h2>") == 1
    assert "opened 6 times" in body
    assert f"{entries[0].feeling.capitalize()}, {entries[0].intensity}/10" in body
    assert body.count("/10 · felt") == 1  # the two private entries are not named


def test_it_keeps_the_access_page_at_fixed_cost_however_many_readings(care_team):
    patient, tess, omar = care_team
    _share(patient, seed_entries(patient.account_id, 40))
    http = HttpClient()
    log_in(http, patient)
    counts = []
    for readings in (1, 30):
        for number in range(readings):
            shared_entries_for_therapist(user=tess if number % 2 else omar, client_id=patient.account_id)
        with count_dynamodb_calls() as calls:
            assert http.get("/client/journal/access/").status_code == 200
        counts.append(calls.by_operation())
    # Session; the audit Query; one BatchGetItem for names, one for the entries.
    assert counts == [{"GetItem": 1, "Query": 1, "BatchGetItem": 2}] * 2


def test_it_shows_a_client_only_their_own_access_history(care_team):
    patient, tess, _ = care_team
    _share(patient, seed_entries(patient.account_id, 1))
    shared_entries_for_therapist(user=tess, client_id=patient.account_id)
    other = make_account(AccountKind.CLIENT)
    http = HttpClient()
    log_in(http, other)
    body = http.get("/client/journal/access/").content.decode()
    assert "Dr Tess" not in body and "Nobody has read" in body
