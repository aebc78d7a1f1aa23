"""create_tables and seed_demo, as make run uses them."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import Client as HttpClient

from portal.accounts.user import User
from portal.domain import AccountKind, MappingStatus, SessionStatus, Side
from portal.dynamo.clients import ClientRepository
from portal.dynamo.connection import get_gateway
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.schema import SESSIONS
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.staff import StaffRepository
from portal.dynamo.therapists import TherapistRepository
from portal.timeutil import utcnow
from tests.accounts import log_in


def test_it_says_there_is_nothing_to_do_when_every_table_exists(dynamo):
    out = StringIO()
    call_command("create_tables", stdout=out)
    assert "nothing to do" in out.getvalue()
    assert "created:" not in out.getvalue()


def test_it_loads_the_demo_data_once(dynamo):
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    assert "Loaded demo data" in first.getvalue()
    assert "already loaded" in second.getvalue()
    assert "client@example.com" in second.getvalue()  # it always says how to log in
    client = ClientRepository().find_by_email("client@example.com")
    therapist = TherapistRepository().find_by_email("therapist@example.com")
    assert client and therapist and StaffRepository().find_by_email("staff@example.com")
    assert MappingRepository().get(client.client_id, therapist.therapist_id).status is MappingStatus.ACTIVE
    entries = JournalRepository().list_by_time(client.client_id).items
    assert len(entries) == 4 and sum(e.is_shared for e in entries) == 1
    assert len(ClientRepository().list_page().items) == 2
    # Several listed therapists across specializations, one pending request each way.
    assert {t.specialization for t in TherapistRepository().list_page(limit=50).items} >= {
        "anxiety",
        "trauma",
        "depression",
        "relationships",
        "grief",
    }
    assert TherapistRepository().search_listed("trauma").items
    waiting = MappingRepository().list_pending_for_therapist(therapist.therapist_id).items
    assert [(m.client_name, m.requested_by) for m in waiting] == [("Jamie Lee", Side.CLIENT)]
    invitations = [
        m for m in MappingRepository().list_for_client(client.client_id).items if m.awaits_answer_from(Side.CLIENT)
    ]
    assert [m.therapist_name for m in invitations] == ["Jonas Berg"]


def test_it_gives_the_demo_pair_a_past_an_upcoming_and_a_requested_session_once(dynamo):
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    assert "Added the demo sessions" in first.getvalue()
    assert "Added the demo sessions" not in second.getvalue()
    client = ClientRepository().find_by_email("client@example.com")
    therapist = TherapistRepository().find_by_email("therapist@example.com")
    sessions = SessionRepository().list_by_client(client.client_id).items
    by_status = {s.status: s for s in sessions}
    assert len(sessions) == 3 and set(by_status) == {SessionStatus.CLOSED, SessionStatus.APPROVED, SessionStatus.PENDING}
    assert all(s.therapist_id == therapist.therapist_id for s in sessions)
    now = utcnow()
    closed, upcoming, request = (by_status[s] for s in (SessionStatus.CLOSED, SessionStatus.APPROVED, SessionStatus.PENDING))
    assert closed.scheduled_for < now and closed.shared_notes and closed.private_notes
    assert now < upcoming.scheduled_for < now + timedelta(days=7) and upcoming.location
    assert request.scheduled_for > now and request.request_message
    # The close moved the relationship record: "since last session" starts there.
    record = RelationshipRepository().get(client.client_id, therapist.therapist_id)
    assert record is not None and record.last_session_at == closed.scheduled_for
    # The client reads the shared note of the past session, never the private one.
    http = HttpClient()
    log_in(http, User.from_account(AccountKind.CLIENT, client))
    body = http.get(f"/client/sessions/{closed.session_id}/").content.decode()
    assert closed.shared_notes in body and closed.private_notes not in body


def test_it_completes_the_demo_sessions_of_a_load_that_stopped_half_way(dynamo):
    call_command("seed_demo", stdout=StringIO())
    client = ClientRepository().find_by_email("client@example.com")
    repository = SessionRepository()
    closed = next(s for s in repository.list_by_client(client.client_id).items if s.status is SessionStatus.CLOSED)
    # As if the run had stopped between storing the past session and closing it.
    gateway = get_gateway()
    gateway.update(SESSIONS, {"sessionId": closed.session_id}, set_values={"status": "open"})
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Added the demo sessions" in out.getvalue()
    sessions = repository.list_by_client(client.client_id).items
    assert len(sessions) == 3
    assert repository.get(closed.session_id).status is SessionStatus.CLOSED


def test_it_completes_a_demo_load_that_stopped_half_way(dynamo):
    from portal.services.accounts import client_sign_up

    client_sign_up(email="client@example.com", name="Sam Rivera", password="calm-harbour-2026")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Loaded demo data" in out.getvalue()
    client = ClientRepository().find_by_email("client@example.com")
    assert len(JournalRepository().list_by_time(client.client_id).items) == 4
    assert StaffRepository().find_by_email("staff@example.com") is not None


def test_it_stops_create_tables_over_an_old_local_journal_and_says_how_to_rebuild(dynamo):
    import pytest
    from django.core.management.base import CommandError

    from portal.dynamo.schema import JOURNAL, create_table_request
    from tests.contract.test_tables import OLD_JOURNAL

    dynamo.client.delete_table(TableName=dynamo.table_name(JOURNAL))
    dynamo.client.create_table(**create_table_request(OLD_JOURNAL, dynamo.prefix))
    with pytest.raises(CommandError) as stopped:
        call_command("create_tables", stdout=StringIO())
    message = str(stopped.value)
    assert "LSI_Journal_FeelingTime" in message and "is missing" in message
    assert "python manage.py rebuild_table" in message and "make run" in message
    # The rebuild itself (a maintenance Scan the app's IAM role does not need) is
    # proven in tests/unit/test_local_data.py and tests/contract/test_tables.py.
