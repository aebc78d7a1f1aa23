"""A client deletes their account: everything about them goes, and their text becomes unreadable everywhere.

What goes: the account and its email claim (at once, in the transaction that
starts the erasure, so nobody can log in from then on and the email is free),
the client's data key (crypto-shredding: every copy of the text they wrote, in
backups and point-in-time copies too, becomes unreadable), their web sessions,
their calendar feed, journal entries (with their sharing), questionnaire
assignments, results and alerts, and relationships (the mappings go; the
relationship records are marked ended and lose their pending email notices).

What stays: sessions and messages, the therapist's clinical record. They show
"Former client", and what the client wrote in them reads "Removed at the
client's request." The therapist's own notes and messages stay readable (they
are under the therapist's record key, see portal/dynamo/schema.py); what the
client wrote in a session's record (correction requests and statements of
disagreement) is under the client's key and reads removed. The audit
log keeps its ids and times (who read what, when), as security records.

The steps after the first are idempotent and recorded on the erasure's progress
record; a run that fails half-way is finished by the next (``manage.py
finish_erasures``, run by the scheduler).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib.auth.hashers import check_password

from portal.accounts.user import user_key
from portal.domain import FORMER_CLIENT, AccountKind, DatabaseUnavailable, DomainError, NotFound
from portal.dynamo.audit import AuditRepository
from portal.dynamo.calendar_feeds import CalendarFeedRepository
from portal.dynamo.clients import ClientRepository
from portal.dynamo.data_keys import DataKeyRepository
from portal.dynamo.erasures import ErasureJob, ErasureRepository
from portal.dynamo.field_crypto import client_key_owner
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.web_sessions import WebSessionRepository
from portal.services.measures import measures_erase_client
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

STARTED = "account.erasure_started"
FINISHED = "account.erased"


class WrongPassword(DomainError):
    pass


def _destroy_data_key(client_id: str) -> None:
    DataKeyRepository().destroy(client_key_owner(client_id))


def _end_web_sessions(client_id: str) -> None:
    WebSessionRepository().delete_for_account(user_key(AccountKind.CLIENT, client_id))


def _revoke_calendar_feed(client_id: str) -> None:
    # The secret feed would otherwise keep serving the sessions' times, which stay.
    feeds = CalendarFeedRepository()
    current = feeds.current_hash(AccountKind.CLIENT, client_id)
    if current is not None:
        feeds.replace(AccountKind.CLIENT, client_id, new_hash=None, old_hash=current)


def _delete_journal(client_id: str) -> None:
    erasures = ErasureRepository()
    while erasures.delete_journal_page(client_id):
        pass


def _delete_measures(client_id: str) -> None:
    measures_erase_client(client_id)


def _delete_relationships(client_id: str) -> None:
    """End every relationship record, then delete the mappings (both idempotent, so a rerun finishes it).

    The records stay as the therapist's clinical record, but ended, with no
    pending email notice: nobody is emailed about a conversation with an
    erased client. A record that ended before keeps its end time.
    """
    records = RelationshipRepository()
    at = utcnow()
    cursor: str | None = None
    while True:
        records_page = records.list_for_client(client_id, limit=100, cursor=cursor)
        for record in records_page.items:
            records.end_for_erasure(client_id, record.therapist_id, at=at)
        cursor = records_page.next_cursor
        if cursor is None:
            break
    mappings = MappingRepository()
    while True:
        page = mappings.list_for_client(client_id, limit=100, cursor=cursor)
        for mapping in page.items:
            mappings.delete(client_id, mapping.therapist_id)
        cursor = page.next_cursor
        if cursor is None:
            return


def _forget_name(client_id: str) -> None:
    """The name copied onto what stays (relationship records, sessions) becomes "Former client".

    The sessions are found on their relationship records, read consistently
    (a session's id joins its record in the transaction that made it, and no
    session is made once the record ended, which the step before did), and in
    the client's session index for sessions made before those marks began. The
    index alone may lag and miss a session made a moment ago.
    """
    records = RelationshipRepository()
    session_ids: set[str] = set()
    cursor: str | None = None
    while True:
        records_page = records.list_for_client(client_id, limit=100, cursor=cursor)
        for record in records_page.items:
            records.set_client_name(client_id, record.therapist_id, FORMER_CLIENT)
            session_ids.update(record.session_ids)
        cursor = records_page.next_cursor
        if cursor is None:
            break
    sessions = SessionRepository()
    while True:
        page = sessions.list_by_client(client_id, limit=100, cursor=cursor)
        session_ids.update(session.session_id for session in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    for session_id in sorted(session_ids):
        sessions.set_client_name(session_id, FORMER_CLIENT)


# In order: the key first, so the text is unreadable as early as possible.
STEPS: tuple[tuple[str, Callable[[str], None]], ...] = (
    ("data_key", _destroy_data_key),
    ("web_sessions", _end_web_sessions),
    ("calendar_feed", _revoke_calendar_feed),
    ("journal", _delete_journal),
    ("measures", _delete_measures),
    ("relationships", _delete_relationships),
    ("name", _forget_name),
)


def client_account_erase(*, client_id: str, password: str) -> ErasureJob:
    """Check the password, start the erasure and run it as far as the database allows.

    Once started, a database failure does not undo anything and is not raised:
    the account is already gone, and the progress record makes sure the rest
    is finished by the next run. The returned job says whether it finished.
    """
    client = ClientRepository().get(client_id, consistent=True)
    if client is None:
        raise NotFound("No such account.")
    if not check_password(password, client.password_hash):
        raise WrongPassword("That password was not right.")
    ErasureRepository().start_client(client)
    logger.info("erasure of client %s started", client_id)
    try:
        AuditRepository().record(
            subject_id=client_id, action=STARTED, actor_kind=AccountKind.CLIENT, actor_id=client_id
        )
        return account_erasure_run(account_id=client_id)
    except DatabaseUnavailable:
        logger.warning("erasure of client %s interrupted; the next run of finish_erasures completes it", client_id)
        return ErasureJob(client_id, AccountKind.CLIENT, started_at=utcnow())


def account_erasure_run(*, account_id: str) -> ErasureJob:
    """Run every step not yet done, then audit and close the record. Safe to run again."""
    erasures = ErasureRepository()
    job = erasures.get(account_id)
    if job is None:
        raise NotFound("No erasure was started for this account.")
    if job.finished:
        return job
    for name, step in STEPS:
        if name in job.steps_done:
            continue
        step(account_id)
        erasures.mark_step_done(account_id, name)
        logger.info("erasure of %s: %s done", account_id, name)
    # Audited before the record closes: a failure in between audits twice, never not at all.
    AuditRepository().record(
        subject_id=account_id,
        action=FINISHED,
        actor_kind=job.account_kind,
        actor_id=account_id,
        detail={"steps": ",".join(name for name, _ in STEPS)},
    )
    erasures.finish(account_id)
    finished = erasures.get(account_id)
    assert finished is not None
    return finished


def account_erasures_finish(*, page_size: int = 25) -> list[str]:
    """Finish every erasure a failure left unfinished, oldest first; the ids it finished.

    One pass over the sparse index of running erasures (the index lags a
    little, so an erasure that finished a moment ago may still be listed: it
    is read consistently and skipped).
    """
    erasures = ErasureRepository()
    done: list[str] = []
    cursor: str | None = None
    while True:
        page = erasures.list_unfinished(limit=page_size, cursor=cursor)
        for listed in page.items:
            current = erasures.get(listed.account_id)
            if current is None or current.finished:
                continue
            account_erasure_run(account_id=listed.account_id)
            done.append(listed.account_id)
        cursor = page.next_cursor
        if cursor is None:
            return done
