"""Sharing honesty: who can read a client's shared entries, how many, and taking them back.

Sharing is per entry, not per therapist: a therapist who becomes active can
read everything the client shared with earlier therapists. So the client is
told how many shared entries there are and who can read them now, and can
make them all private in one step.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from portal.accounts.user import Reader, User
from portal.domain import Conflict, DomainError, NotFound
from portal.dynamo.journal import SHARE_MANY_LIMIT, JournalRepository
from portal.ids import is_valid_id
from portal.policy import journal_readers, own_client_id, require_verified_email
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

# Entries made private per request: bounded work per POST; the next one carries on.
UNSHARE_BATCH = 100
_UNSHARE_PAGE = 25


@dataclass(frozen=True)
class SharedCount:
    count: int
    complete: bool  # False: at least ``count``

    def __str__(self) -> str:
        return f"{self.count}" if self.complete else f"{self.count} or more"


@dataclass(frozen=True)
class UnshareResult:
    made_private: int
    finished: bool


def sharing_readers(*, user: User) -> list[Reader]:
    """The active therapists who can read the client's shared entries now.

    From the user's copy when it has one (see portal/accounts/session_user.py:
    a page that states who can read loads it consistently in that request with
    ``current_readers``), else one Query of the client's mappings.
    """
    if user.readers is not None:
        return list(user.readers)
    return [Reader(m.therapist_id, m.therapist_name) for m in journal_readers(user)]


def shared_entry_count(*, user: User) -> SharedCount:
    count, complete = JournalRepository().count_shared(own_client_id(user))
    return SharedCount(count, complete)


def journal_unshare_all(*, user: User, batch: int = UNSHARE_BATCH) -> UnshareResult:
    """Make shared entries private, up to ``batch`` of them; safe to repeat until finished.

    Resumable by construction: an unshared entry leaves the sparse index, so
    each round reads the shared entries that remain, wherever the last stopped.
    """
    client_id = own_client_id(user)
    journal = JournalRepository()
    done = 0
    while done < batch:
        page = journal.list_shared(client_id, limit=min(_UNSHARE_PAGE, batch - done))
        for entry in page.items:
            try:
                journal.set_shared(client_id, entry.entry_id, None)
            except NotFound:
                pass  # deleted meanwhile: private enough
            done += 1
        if not page.next_cursor:
            break
    finished = not journal.list_shared(client_id, limit=1).items if done >= batch else True
    logger.info("client %s made %d shared entries private (finished: %s)", client_id, done, finished)
    return UnshareResult(made_private=done, finished=finished)


class NothingChosen(DomainError):
    pass


def journal_entries_set_shared(*, user: User, entry_ids: Sequence[str], shared: bool) -> int:
    """Share (or stop sharing) the chosen entries in one step: one transaction, safe to submit twice.

    Ids that are not the client's entries are left out (the key includes the
    client's id, so nobody else's entry can be named). Returns how many entries
    are now as asked.
    """
    client_id = own_client_id(user)
    if shared:
        require_verified_email(user, "share journal entries")
    ids = sorted({entry_id for entry_id in entry_ids if is_valid_id(entry_id)})
    if not ids:
        raise NothingChosen("Choose at least one entry.")
    if len(ids) > SHARE_MANY_LIMIT:
        raise NothingChosen(f"Choose at most {SHARE_MANY_LIMIT} entries at a time.")
    journal = JournalRepository()
    moment = utcnow() if shared else None
    try:
        done = journal.set_shared_many(client_id, ids, moment)
    except Conflict:
        # An entry changed between the read and the write (a time edited, an entry deleted): once more.
        done = journal.set_shared_many(client_id, ids, moment)
    logger.info("client %s %s %d journal entries at once", client_id, "shared" if shared else "unshared", done)
    return done
