"""Account erasure: the progress record of each erasure and the deletions it makes.

An erasure starts with one transaction: the progress record is created and the
account item and its email claim are deleted, so from that moment nobody can
log in to the account and the email is free. The remaining steps each record
themselves done on the progress record when they finish; each can run again
safely, so a run that fails half-way is finished by the next one (a sparse
index lists the erasures still running).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import AccountKind, Client, Conflict, Page, normalize_email
from portal.dynamo.base import Repository, query_page
from portal.dynamo.gateway import Item, TransactDelete, TransactionCancelled, TransactPut
from portal.dynamo.schema import ACCOUNT_ERASURES, CLIENTS, EMAIL_CLAIMS, JOURNAL
from portal.timeutil import maybe_from_iso, to_iso, utcnow

_PENDING_INDEX = "GSI_AccountErasures_Pending"
_PENDING = "pending"
_JOURNAL_PAGE = 100


@dataclass(frozen=True)
class ErasureJob:
    account_id: str
    account_kind: AccountKind
    started_at: datetime
    steps_done: frozenset[str] = field(default_factory=frozenset)
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


def _from_item(item: Item) -> ErasureJob:
    started = maybe_from_iso(item.get("startedAt"))
    assert started is not None
    return ErasureJob(
        account_id=item["accountId"],
        account_kind=AccountKind(item["accountKind"]),
        started_at=started,
        steps_done=frozenset(item.get("stepsDone", set())),
        finished_at=maybe_from_iso(item.get("finishedAt")),
    )


class ErasureRepository(Repository):
    def start_client(self, client: Client) -> ErasureJob:
        """Create the progress record and delete the account and its email claim, all or nothing.

        Conflict when this account's erasure already started (or the account is gone).
        """
        now = utcnow()
        record: dict[str, Any] = {
            "accountId": client.client_id,
            "accountKind": str(AccountKind.CLIENT),
            "startedAt": to_iso(now),
            # Sparse index key: present only while the erasure runs.
            "pending": _PENDING,
        }
        try:
            self.db.transact_write(
                [
                    TransactPut(ACCOUNT_ERASURES, record, Attr("accountId").not_exists()),
                    TransactDelete(CLIENTS, {"clientId": client.client_id}, Attr("clientId").exists()),
                    TransactDelete(
                        EMAIL_CLAIMS,
                        {"email": normalize_email(client.email)},
                        Attr("accountId").eq(client.client_id),
                    ),
                ]
            )
        except TransactionCancelled as exc:
            if "ConditionalCheckFailed" in exc.reasons:
                raise Conflict("This account is already being deleted.") from exc
            raise
        return ErasureJob(client.client_id, AccountKind.CLIENT, now)

    def get(self, account_id: str) -> ErasureJob | None:
        item = self.db.get(ACCOUNT_ERASURES, {"accountId": account_id}, consistent=True)
        return _from_item(item) if item else None

    def mark_step_done(self, account_id: str, step: str) -> None:
        self.db.update(
            ACCOUNT_ERASURES,
            {"accountId": account_id},
            add={"stepsDone": {step}},
            condition=Attr("accountId").exists(),
        )

    def finish(self, account_id: str) -> None:
        self.db.update(
            ACCOUNT_ERASURES,
            {"accountId": account_id},
            set_values={"finishedAt": to_iso(utcnow())},
            remove=["pending"],
            condition=Attr("accountId").exists(),
        )

    def list_unfinished(self, *, limit: int = 25, cursor: str | None = None) -> Page[ErasureJob]:
        """Erasures still running, oldest first: one Query of the sparse index."""
        return query_page(
            self.db,
            ACCOUNT_ERASURES,
            Key("pending").eq(_PENDING),
            index=_PENDING_INDEX,
            limit=limit,
            scope="erasures.pending",
            cursor=cursor,
            convert=_from_item,
        )

    def delete_journal_page(self, client_id: str) -> int:
        """Delete up to one page of the client's journal entries; how many were deleted (0: none left).

        Always reads from the start: what an earlier page deleted is gone, so
        a rerun after a failure simply continues.
        """
        result = self.db.query(
            JOURNAL, Key("clientId").eq(client_id), limit=_JOURNAL_PAGE, consistent=True
        )
        keys = [{"clientId": i["clientId"], "journalEntryId": i["journalEntryId"]} for i in result.items]
        if keys:
            self.db.batch_delete(JOURNAL, keys)
        return len(keys)
