"""A conditional write that landed but whose answer was lost is success when botocore retries it.

Runs on dynoxide behind a proxy (tests/doubles/lossy_proxy.py) that forwards
the request, lets the engine apply it, and drops the answer, so botocore
retries exactly as it does after a read timeout on AWS. Each test checks the
write is reported as done and happened once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from portal.domain import (
    MESSAGE_NOTICE_INTERVAL,
    AccountKind,
    Conflict,
    JournalEntry,
    MappingStatus,
    SessionStatus,
    Side,
)
from portal.dynamo.account_store import AccountStore
from portal.dynamo.audit import AuditRepository
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.throttle import ThrottleRepository
from portal.dynamo.web_sessions import WebSessionRecord, WebSessionRepository
from portal.ids import new_id
from portal.services.accounts import client_sign_up
from portal.services.messaging import message_send
from portal.timeutil import utcnow
from tests.factories import make_entry, make_session
from tests.messaging_data import make_active_pair


def _client_id() -> str:
    return client_sign_up(
        email=f"{new_id().lower()}@example.com", name="Robin", password="a quiet harbour", time_zone="UTC"
    ).client_id


def _lost_once(proxy, operation: str) -> None:  # type: ignore[no-untyped-def]
    assert proxy.dropped == [operation]
    # Sent twice: the attempt that applied (answer lost) and botocore's retry.
    assert proxy.forwarded.count(operation) == 2


def test_it_turns_two_factor_on_when_the_answer_to_the_write_was_lost(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    client_id = _client_id()
    proxy.drop_next_answer("UpdateItem")
    AccountStore(gateway).enable_mfa(
        AccountKind.CLIENT, client_id, secret="JBSWY3DPEHPK3PXP", recovery_hashes={"a", "b"}, last_step=7
    )
    _lost_once(proxy, "UpdateItem")
    state = AccountStore().mfa_state(AccountKind.CLIENT, client_id)
    assert state.secret == "JBSWY3DPEHPK3PXP" and state.recovery_hashes == {"a", "b"} and state.last_step == 7


def test_it_accepts_a_recovery_code_and_a_totp_step_whose_answer_was_lost(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    client_id = _client_id()
    AccountStore().enable_mfa(AccountKind.CLIENT, client_id, secret="S", recovery_hashes={"a", "b"}, last_step=7)
    store = AccountStore(gateway)
    proxy.drop_next_answer("UpdateItem")
    assert store.consume_recovery_hash(AccountKind.CLIENT, client_id, "a") is True
    proxy.drop_next_answer("UpdateItem")
    assert store.claim_totp_step(AccountKind.CLIENT, client_id, 8) is True
    assert proxy.dropped == ["UpdateItem", "UpdateItem"]
    state = AccountStore().mfa_state(AccountKind.CLIENT, client_id)
    assert state.recovery_hashes == {"b"} and state.last_step == 8
    # Used once means used: another login with the same code or step is still refused.
    assert store.consume_recovery_hash(AccountKind.CLIENT, client_id, "a") is False
    assert store.claim_totp_step(AccountKind.CLIENT, client_id, 8) is False


def test_it_reports_a_therapy_session_update_done_not_changed_by_someone_else(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    session = SessionRepository().create(make_session())
    proxy.drop_next_answer("UpdateItem")
    updated = SessionRepository(gateway).update(
        replace(session, status=SessionStatus.APPROVED), expected_version=session.version
    )
    _lost_once(proxy, "UpdateItem")
    assert updated.status is SessionStatus.APPROVED and updated.version == session.version + 1
    assert SessionRepository().get(session.session_id).version == session.version + 1  # type: ignore[union-attr]


def test_it_saves_edits_shares_and_deletes_a_journal_entry_whose_answers_were_lost(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    repo = JournalRepository(gateway)
    entry: JournalEntry = make_entry()
    proxy.drop_next_answer("PutItem")
    repo.add(entry)  # not "already exists" (which the page showed as a 500)
    proxy.drop_next_answer("UpdateItem")
    edited = repo.update(replace(entry, feeling="sad", time_of_emotion=entry.time_of_emotion - timedelta(hours=1)))
    proxy.drop_next_answer("UpdateItem")
    shared = repo.set_shared(entry.client_id, entry.entry_id, utcnow())
    proxy.drop_next_answer("UpdateItem")
    unshared = repo.set_shared(entry.client_id, entry.entry_id, None)
    assert edited.feeling == "sad" and shared.is_shared and not unshared.is_shared
    proxy.drop_next_answer("DeleteItem")
    assert repo.delete(entry.client_id, entry.entry_id) is True  # not "no such entry"
    assert proxy.dropped == ["PutItem", "UpdateItem", "UpdateItem", "UpdateItem", "DeleteItem"]
    assert JournalRepository().get(entry.client_id, entry.entry_id) is None
    # A delete of something that was never there is still "not there".
    assert repo.delete(entry.client_id, new_id()) is False


def test_it_counts_one_attempt_once_when_the_answer_was_lost(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    throttles = ThrottleRepository(gateway)
    key = f"login:{new_id()}:1"
    expires = utcnow() + timedelta(minutes=30)
    proxy.drop_next_answer("UpdateItem")
    assert throttles.increment(key, expires_at=expires) == 1
    assert ThrottleRepository().counts([key]) == {key: 1}
    assert throttles.increment(key, expires_at=expires) == 2
    proxy.drop_next_answer("UpdateItem")
    assert throttles.decrement(key) == 1  # given back once, not twice
    assert ThrottleRepository().counts([key]) == {key: 1}


def test_it_keeps_a_web_session_audit_event_and_unmapping_whose_answers_were_lost(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    record = WebSessionRecord(
        session_key=new_id().lower(), session_data="e30", expires_at=utcnow() + timedelta(hours=1)
    )
    proxy.drop_next_answer("PutItem")
    WebSessionRepository(gateway).create(record)  # not a "taken" key
    assert WebSessionRepository().get(record.session_key) is not None

    subject = new_id()
    proxy.drop_next_answer("PutItem")
    AuditRepository(gateway).record(
        subject_id=subject, action="journal.shared.read", actor_kind=AccountKind.THERAPIST, actor_id=new_id()
    )
    assert len(AuditRepository().list_for_subject(subject).items) == 1

    client_id, therapist_id = new_id(), new_id()
    MappingRepository().put(client_id, therapist_id, MappingStatus.ACTIVE)
    proxy.drop_next_answer("DeleteItem")
    assert MappingRepository(gateway).delete(client_id, therapist_id) is True
    assert proxy.dropped == ["PutItem", "PutItem", "DeleteItem"]


def _pending_request(gateway, client_id: str, therapist_id: str):  # type: ignore[no-untyped-def]
    return MappingRepository(gateway).create_pending(
        client_id,
        therapist_id,
        requested_by=Side.CLIENT,
        client_name="Casey Client",
        therapist_name="Dr Tara Chen",
        at=utcnow(),
    )


def test_it_makes_a_care_request_whose_answer_was_lost_once_not_already_asked(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    client_id, therapist_id = new_id(), new_id()
    proxy.drop_next_answer("PutItem")
    mapping = _pending_request(gateway, client_id, therapist_id)  # not "you already asked"
    _lost_once(proxy, "PutItem")
    stored = MappingRepository().get(client_id, therapist_id)
    assert stored is not None and stored.status is MappingStatus.PENDING and mapping.status is MappingStatus.PENDING
    # A second request of the pair is still refused: the token only recognises its own write.
    with pytest.raises(Conflict):
        _pending_request(gateway, client_id, therapist_id)


@pytest.mark.parametrize("how", ["withdraw", "decline", "unblock"])
def test_it_reports_a_withdraw_decline_or_unblock_whose_answer_was_lost_as_done(lossy, how: str) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    client_id, therapist_id = new_id(), new_id()
    repo = MappingRepository(gateway)
    mapping = _pending_request(MappingRepository().db, client_id, therapist_id)
    if how == "unblock":
        MappingRepository().block(mapping, at=utcnow())
    proxy.drop_next_answer("TransactWriteItems")
    if how == "unblock":
        repo.delete_if(client_id, therapist_id, status=MappingStatus.BLOCKED)
    else:
        # Withdraw (the client) and decline (the therapist) delete the same pending request.
        repo.delete_if(client_id, therapist_id, status=MappingStatus.PENDING, requested_by=Side.CLIENT)
    _lost_once(proxy, "TransactWriteItems")
    assert MappingRepository().get(client_id, therapist_id) is None
    # Nothing left to delete: a plain "changed meanwhile", as before.
    with pytest.raises(Conflict):
        repo.delete_if(client_id, therapist_id, status=MappingStatus.PENDING, requested_by=Side.CLIENT)


def test_it_blocks_a_pending_request_whose_answer_was_lost(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    client_id, therapist_id = new_id(), new_id()
    mapping = _pending_request(MappingRepository().db, client_id, therapist_id)
    proxy.drop_next_answer("UpdateItem")
    MappingRepository(gateway).block(mapping, at=utcnow())  # not "changed meanwhile"
    _lost_once(proxy, "UpdateItem")
    assert MappingRepository().get(client_id, therapist_id).status is MappingStatus.BLOCKED  # type: ignore[union-attr]


def test_it_keeps_a_request_notice_claim_whose_answer_was_lost(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    client_id, therapist_id = new_id(), new_id()
    records = RelationshipRepository(gateway)
    proxy.drop_next_answer("UpdateItem")
    assert records.claim_notice(client_id, therapist_id, at=utcnow(), min_interval=timedelta(minutes=15)) is True
    _lost_once(proxy, "UpdateItem")
    # Claimed once: another claim within the interval is still refused.
    assert records.claim_notice(client_id, therapist_id, at=utcnow(), min_interval=timedelta(minutes=15)) is False


def test_it_keeps_a_message_notice_claim_whose_answer_was_lost(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    client, therapist = make_active_pair()
    sent = message_send(user=therapist, other_id=client.account_id, content="Hello", idempotency_key=new_id())
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.notice_due_at(Side.CLIENT) is not None
    at = sent.created_at + timedelta(minutes=6)
    proxy.drop_next_answer("UpdateItem")
    claimed = RelationshipRepository(gateway).claim_message_notice(
        record, Side.CLIENT, at=at, min_interval=MESSAGE_NOTICE_INTERVAL
    )
    assert claimed is True  # the notice is sent now, not lost until the next message
    _lost_once(proxy, "UpdateItem")
    after = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert after is not None and after.notice_due_at(Side.CLIENT) is None and after.noticed_at(Side.CLIENT) == at
    assert (
        RelationshipRepository(gateway).claim_message_notice(
            record, Side.CLIENT, at=at + timedelta(seconds=1), min_interval=MESSAGE_NOTICE_INTERVAL
        )
        is False
    )


def test_it_keeps_a_reminder_mark_whose_answer_was_lost(lossy) -> None:  # type: ignore[no-untyped-def]
    proxy, gateway = lossy
    session = SessionRepository().create(make_session(status=SessionStatus.APPROVED))
    proxy.drop_next_answer("UpdateItem")
    assert SessionRepository(gateway).mark_reminded(session, "client") is True  # the reminder is sent
    _lost_once(proxy, "UpdateItem")
    assert SessionRepository().get(session.session_id).client_reminded_at is not None  # type: ignore[union-attr]
    assert SessionRepository(gateway).mark_reminded(session, "client") is False  # and only once
