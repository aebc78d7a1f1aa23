"""Staff pages: the account page, relationships, sessions, the audit log; never clinical content."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client as HttpClient

from portal.domain import AccountKind, MappingStatus, Sender, SessionStatus
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.messages import MessageRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from portal.services.journal import journal_entry_create
from portal.services.staff_admin import account_deactivate
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.factories import make_session
from tests.page_links import next_cursor

MARKERS = {
    "journal note": "MARKER-JOURNAL-NOTE-7f3a",
    "session title": "MARKER-SESSION-TITLE-91bc",
    "private notes": "MARKER-PRIVATE-NOTES-4d2e",
    "shared notes": "MARKER-SHARED-NOTES-c8e1",
    "message body": "MARKER-MESSAGE-BODY-55aa",
}


def _practice():  # type: ignore[no-untyped-def]
    """A client and a therapist with an active relationship and clinical text in every field."""
    patient = make_account(AccountKind.CLIENT, name="Pat Patient")
    doctor = make_account(AccountKind.THERAPIST, name="Dr Dana")
    MappingRepository().put(patient.account_id, doctor.account_id, MappingStatus.ACTIVE)
    journal_entry_create(
        client_id=patient.account_id,
        time_of_emotion=utcnow() - timedelta(hours=2),
        feeling="sad",
        intensity=7,
        note=MARKERS["journal note"],
    )
    SessionRepository().create(
        make_session(
            therapist_id=doctor.account_id,
            client_id=patient.account_id,
            title=MARKERS["session title"],
            private_notes=MARKERS["private notes"],
            shared_notes=MARKERS["shared notes"],
            status=SessionStatus.APPROVED,
        )
    )
    MessageRepository().send(
        client_id=patient.account_id,
        therapist_id=doctor.account_id,
        sender=Sender.CLIENT,
        content=MARKERS["message body"],
        idempotency_key=new_id(),
    )
    return patient, doctor


def test_it_never_shows_clinical_text_on_any_staff_page(dynamo, client):
    patient, doctor = _practice()
    member = make_account(AccountKind.STAFF)
    log_in(client, member)
    # Something in the audit log about both accounts, from a therapist and from staff.
    client_of_doctor = HttpClient()
    log_in(client_of_doctor, doctor)
    assert client_of_doctor.get(f"/therapist/clients/{patient.account_id}/journal/").status_code == 200
    account_deactivate(staff=member, kind="therapist", account_id=doctor.account_id, reason="Left the practice")
    pages = [
        "/staff/",
        "/staff/?kind=therapist",
        f"/staff/?q={patient.email}",
        "/staff/?q=Pat",
        f"/staff/audit/?who={patient.email}",
        f"/staff/accounts/client/{patient.account_id}/",
        f"/staff/accounts/therapist/{doctor.account_id}/",
        f"/staff/accounts/client/{patient.account_id}/relationships/",
        f"/staff/accounts/therapist/{doctor.account_id}/relationships/",
        "/staff/sessions/",
        f"/staff/sessions/?therapist={doctor.account_id}",
        "/staff/audit/",
        f"/staff/audit/?subject={patient.account_id}",
        f"/staff/audit/?subject={doctor.account_id}",
        f"/staff/audit/?actor=therapist:{doctor.account_id}",
        f"/staff/audit/?actor=staff:{member.account_id}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for field, marker in MARKERS.items():
            assert marker not in body, f"{field} shown on {url}"
    # The pages did show the metadata they are for.
    assert "Dr Dana" in client.get("/staff/sessions/").content.decode()
    assert "Pat Patient" in client.get(f"/staff/sessions/?therapist={doctor.account_id}").content.decode()
    assert "journal.shared.read" in client.get(f"/staff/audit/?subject={patient.account_id}").content.decode()


def test_it_shows_an_accounts_facts(dynamo, client):
    patient, doctor = _practice()
    HttpClient().post("/accounts/login/", {"email": patient.email, "password": patient.test_password})
    log_in(client, make_account(AccountKind.STAFF))
    with count_dynamodb_calls() as calls:
        response = client.get(f"/staff/accounts/client/{patient.account_id}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Pat Patient" in body and patient.email in body
    assert "<dt>Active sessions</dt><dd>1</dd>" in body
    assert "1 active" in body
    assert "<dt>Last login</dt><dd>never" not in body
    # The account (besides the session and its user), then one Query each for
    # its sessions, relationships and recent events: no Scan, no loop.
    assert calls.count("Query") == 3 and calls.count("GetItem") <= 3, calls.by_operation()
    assert calls.count("Scan") == 0


def test_it_lists_relationships_with_names_and_statuses(dynamo, client):
    patient, doctor = _practice()
    other = make_account(AccountKind.CLIENT, name="Quinn Pending")
    MappingRepository().put(other.account_id, doctor.account_id, MappingStatus.PENDING)
    log_in(client, make_account(AccountKind.STAFF))
    body = client.get(f"/staff/accounts/therapist/{doctor.account_id}/relationships/").content.decode()
    assert "Pat Patient" in body and "Quinn Pending" in body
    assert "active" in body and "pending" in body
    assert client.get("/staff/accounts/therapist/01ARZ3NDEKTSV4RRFFQ69G5FAV/relationships/").status_code == 404


def test_it_pages_through_a_therapists_sessions_at_a_fixed_cost_without_a_scan(dynamo, client):
    patient, doctor = _practice()
    repository = SessionRepository()
    for _ in range(30):
        repository.create(make_session(therapist_id=doctor.account_id, client_id=patient.account_id))
    log_in(client, make_account(AccountKind.STAFF))
    client.get("/staff/")  # the session and user are loaded once already
    url = f"/staff/sessions/?therapist={doctor.account_id}"
    with count_dynamodb_calls() as calls:
        first = client.get(url)
    assert first.status_code == 200
    assert calls.count("Scan") == 0
    baseline = calls.total
    assert first.content.decode().count("Pat Patient") == 25
    cursor = next_cursor(first.content.decode())
    assert cursor
    with count_dynamodb_calls() as calls:
        second = client.get(
            "/staff/sessions/", {"therapist": doctor.account_id, "cursor": cursor}, HTTP_HX_REQUEST="true"
        )
    assert calls.total == baseline
    assert second.content.decode().count("Pat Patient") == 6
    assert "<html" not in second.content.decode()


def test_it_browses_the_audit_log_by_subject_actor_and_day(dynamo, client):
    member = make_account(AccountKind.STAFF, name="Sam Staff")
    targets = [make_account(AccountKind.CLIENT, name=f"Target {n}") for n in range(3)]
    for target in targets:
        account_deactivate(staff=member, kind="client", account_id=target.account_id, reason="Spam accounts")
    log_in(client, make_account(AccountKind.STAFF))

    by_subject = client.get("/staff/audit/", {"subject": targets[0].account_id}).content.decode()
    assert "Target 0" in by_subject and "Target 1" not in by_subject
    by_actor = client.get("/staff/audit/", {"actor": f"staff:{member.account_id}"}).content.decode()
    assert all(f"Target {n}" in by_actor for n in range(3))
    assert by_actor.index("Target 2") < by_actor.index("Target 0")  # newest first
    assert "Sam Staff" in by_actor and "Spam accounts" in by_actor
    by_day = client.get("/staff/audit/", {"day": utcnow().date().isoformat()}).content.decode()
    assert all(f"Target {n}" in by_day for n in range(3))
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    assert "Target 0" not in client.get("/staff/audit/", {"day": yesterday}).content.decode()
    assert client.get("/staff/audit/", {"actor": "nobody"}).status_code == 400
    assert client.get("/staff/audit/", {"subject": "x" * 26}).status_code == 400


def test_it_pages_the_audit_log_with_one_query_per_page(dynamo, client):
    member = make_account(AccountKind.STAFF)
    for _ in range(30):
        account_deactivate(
            staff=member, kind="client", account_id=make_account(AccountKind.CLIENT).account_id, reason="cleanup"
        )
    log_in(client, make_account(AccountKind.STAFF))
    client.get("/staff/")
    with count_dynamodb_calls() as calls:
        first = client.get("/staff/audit/", {"actor": f"staff:{member.account_id}"})
    assert first.content.decode().count("staff.account.deactivate") == 25
    assert calls.count("Query") == 1
    assert calls.count("Scan") == 0
    cursor = next_cursor(first.content.decode())
    assert cursor
    second = client.get("/staff/audit/", {"actor": f"staff:{member.account_id}", "cursor": cursor})
    assert second.content.decode().count("staff.account.deactivate") == 5


def test_it_refuses_staff_pages_to_clients_and_therapists(dynamo, client):
    patient, doctor = _practice()
    for user in (patient, doctor):
        http = HttpClient()
        log_in(http, user)
        for url in (
            f"/staff/accounts/client/{patient.account_id}/",
            f"/staff/accounts/client/{patient.account_id}/relationships/",
            "/staff/sessions/",
            "/staff/audit/",
        ):
            assert http.get(url).status_code == 403, url
    anonymous = HttpClient()
    assert anonymous.get("/staff/audit/").status_code == 302
