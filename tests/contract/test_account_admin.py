"""Staff writes on accounts (each with its audit event in one transaction), and what staff pages read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.domain import AccountKind, NotFound, SessionStatus
from portal.dynamo.account_store import AccountStore
from portal.dynamo.audit import AuditRepository, new_audit_event
from portal.dynamo.clients import ClientRepository
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import SESSIONS
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.therapists import TherapistRepository
from portal.dynamo.web_sessions import WebSessionRecord, WebSessionRepository
from portal.ids import new_id
from tests.factories import make_client, make_session, make_therapist


def _event(subject_id: str, action: str = "staff.account.deactivate"):  # type: ignore[no-untyped-def]
    return new_audit_event(
        subject_id=subject_id, action=action, actor_kind=AccountKind.STAFF, actor_id=new_id(),
        detail={"reason": "test"},
    )


def test_it_deactivates_and_reactivates_bumping_the_version_with_the_audit_event(dynamo: DynamoGateway) -> None:
    client = ClientRepository().sign_up(make_client(mfa_secret="JBSWY3DPEHPK3PXP"))
    store = AccountStore()
    store.set_deactivated(AccountKind.CLIENT, client.client_id, True, audit=_event(client.client_id))
    stored = ClientRepository().get(client.client_id, consistent=True)
    assert stored is not None and stored.deactivated and stored.account_version == 1
    store.set_deactivated(
        AccountKind.CLIENT, client.client_id, False, audit=_event(client.client_id, "staff.account.reactivate")
    )
    stored = ClientRepository().get(client.client_id, consistent=True)
    assert stored is not None and not stored.deactivated and stored.account_version == 2
    store.reset_mfa(AccountKind.CLIENT, client.client_id, audit=_event(client.client_id, "staff.account.mfa_reset"))
    stored = ClientRepository().get(client.client_id, consistent=True)
    assert stored is not None and stored.mfa_secret is None and stored.account_version == 3
    actions = [e.action for e in AuditRepository().list_for_subject(client.client_id).items]
    assert actions == ["staff.account.mfa_reset", "staff.account.reactivate", "staff.account.deactivate"]


def test_it_writes_neither_change_nor_event_for_a_missing_account(dynamo: DynamoGateway) -> None:
    missing = new_id()
    with pytest.raises(NotFound):
        AccountStore().set_deactivated(AccountKind.CLIENT, missing, True, audit=_event(missing))
    assert ClientRepository().get(missing, consistent=True) is None
    assert AuditRepository().list_for_subject(missing).items == []


def test_it_unlists_and_lists_a_therapist(dynamo: DynamoGateway) -> None:
    therapist = TherapistRepository().sign_up(make_therapist())
    assert therapist.listed
    AccountStore().set_listed(therapist.therapist_id, False, audit=_event(therapist.therapist_id, "staff.therapist.unlist"))
    stored = TherapistRepository().get(therapist.therapist_id, consistent=True)
    assert stored is not None and stored.listed is False
    AccountStore().set_listed(therapist.therapist_id, True, audit=_event(therapist.therapist_id, "staff.therapist.list"))
    stored = TherapistRepository().get(therapist.therapist_id, consistent=True)
    assert stored is not None and stored.listed is True


def test_it_bumps_the_version_when_the_password_changes_and_records_the_login(dynamo: DynamoGateway) -> None:
    client = ClientRepository().sign_up(make_client())
    AccountStore().set_password_hash(AccountKind.CLIENT, client.client_id, "md5$x$y")
    at = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    AccountStore().record_login(AccountKind.CLIENT, client.client_id, at)
    stored = ClientRepository().get(client.client_id, consistent=True)
    assert stored is not None and stored.account_version == 1 and stored.last_login_at == at


def test_it_lists_an_accounts_live_sessions_newest_login_first(dynamo: DynamoGateway) -> None:
    repository = WebSessionRepository()
    now = datetime.now(UTC).replace(microsecond=0)
    for number, device in enumerate(("Firefox on Linux", "Safari on iPhone")):
        repository.create(
            WebSessionRecord(
                session_key=f"{number}" * 32, session_data="d", expires_at=now + timedelta(minutes=30),
                account_key="client:A", device=device, logged_in_at=now - timedelta(minutes=10 - number),
            )
        )
    repository.create(
        WebSessionRecord(session_key="x" * 32, session_data="d", expires_at=now - timedelta(minutes=1), account_key="client:A")
    )
    records = repository.list_for_account("client:A")
    assert [r.device for r in records] == ["Safari on iPhone", "Firefox on Linux"]
    assert records[0].logged_in_at == now - timedelta(minutes=9)


def test_it_scans_session_schedules_without_titles_or_notes(dynamo: DynamoGateway) -> None:
    session = make_session(title="SECRET TITLE", private_notes="SECRET NOTE", status=SessionStatus.APPROVED)
    SessionRepository().create(session)
    page = SessionRepository().list_all_schedules()
    assert len(page.items) == 1
    schedule = page.items[0]
    assert schedule.session_id == session.session_id and schedule.status is SessionStatus.APPROVED
    assert "SECRET" not in repr(schedule)
    raw = dynamo.scan(SESSIONS, limit=5, projection=("sessionId", "status"))
    assert set(raw.items[0]) == {"sessionId", "status"}
