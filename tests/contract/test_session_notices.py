"""A notice of a session's change is claimed once: a conditional ADD to the session's string set."""

from __future__ import annotations

from dataclasses import replace

from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.session_notices import SessionNoticeRepository
from portal.dynamo.sessions import SessionRepository
from portal.ids import new_id
from tests.factories import make_session


def test_each_notice_is_claimed_once_and_one_never_holds_back_another(dynamo: DynamoGateway) -> None:
    sessions = SessionRepository()
    session = make_session()
    sessions.create(session)
    claims = SessionNoticeRepository()

    assert claims.claim(session.session_id, "requested:therapist:1") is True
    assert claims.claim(session.session_id, "requested:therapist:1") is False
    assert claims.claim(session.session_id, "approved:client:2") is True
    # The session's own writes neither lose nor trip over the claims.
    changed = sessions.update(replace(session, title="Moved"), expected_version=session.version)
    assert changed.version == 2
    assert claims.claim(session.session_id, "approved:client:2") is False


def test_a_released_claim_can_be_taken_again_and_a_missing_session_is_never_claimed(dynamo: DynamoGateway) -> None:
    session = make_session()
    SessionRepository().create(session)
    claims = SessionNoticeRepository()
    assert claims.claim(session.session_id, "cancelled:client:2") is True
    claims.release(session.session_id, "cancelled:client:2")
    assert claims.claim(session.session_id, "cancelled:client:2") is True
    assert claims.claim(new_id(), "cancelled:client:2") is False
    claims.release(new_id(), "cancelled:client:2")  # nothing to undo: no error
