"""The ClientTherapistMapping table: the care relationship as it stands now.

One item per pair (the key makes a double request store one thing). Every
change is conditional on the state the caller saw (status and who asked), so
when both sides act at once exactly one of them wins and the other gets a
``Conflict``. Changes that also touch the relationship record (accept, end,
blocking an active client) are one TransactWriteItems.

A pending item carries ``pendingTherapistId``, the key of a sparse GSI holding
pending items only: a therapist reads the requests waiting for an answer in one
Query, however many clients they have.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from portal.domain import Conflict, Mapping, MappingStatus, Page, Relationship, Side
from portal.dynamo.base import Repository, clamp_limit, kept_page, query_page
from portal.dynamo.field_crypto import client_key_owner, decrypt_optional, encrypt_optional, field_context
from portal.dynamo.filling import query_within_budget
from portal.dynamo.gateway import (
    Item,
    TransactDelete,
    TransactionCancelled,
    TransactOp,
    TransactUpdate,
    new_request_token,
)
from portal.dynamo.pagination import decode_cursor
from portal.dynamo.relationships import activation_op, ending_op, record_key, relationship_from_item
from portal.dynamo.schema import MAPPINGS, RELATIONSHIPS
from portal.timeutil import maybe_from_iso, to_iso, utcnow

BY_THERAPIST = "GSI_Mapping_TherapistId"
PENDING_BY_THERAPIST = "GSI_Mapping_PendingByTherapist"
# Items one page of "my clients" may read (in its one Query) past pending items, which are listed apart.
CLIENT_LIST_READ_BUDGET = 100


def _key(client_id: str, therapist_id: str) -> dict[str, str]:
    return {"clientId": client_id, "therapistId": therapist_id}


def _to_item(mapping: Mapping) -> dict[str, Any]:
    pending = mapping.status is MappingStatus.PENDING
    return {
        "clientId": mapping.client_id,
        "therapistId": mapping.therapist_id,
        "status": str(mapping.status),
        "updatedAt": to_iso(mapping.updated_at or utcnow()),
        "requestedBy": str(mapping.requested_by),
        "requestedAt": to_iso(mapping.requested_at or mapping.updated_at or utcnow()),
        "clientName": mapping.client_name or None,
        "therapistName": mapping.therapist_name or None,
        "pendingTherapistId": mapping.therapist_id if pending else None,
    }


def _from_item(item: Item) -> Mapping:
    return Mapping(
        client_id=item["clientId"],
        therapist_id=item["therapistId"],
        status=MappingStatus(item["status"]),
        updated_at=maybe_from_iso(item.get("updatedAt")),
        requested_by=Side(item.get("requestedBy", Side.CLIENT)),
        requested_at=maybe_from_iso(item.get("requestedAt")),
        client_name=item.get("clientName", ""),
        therapist_name=item.get("therapistName", ""),
    )


def _request_message_context(client_id: str, therapist_id: str) -> str:
    return field_context(MAPPINGS, _key(client_id, therapist_id), "requestMessage")


def _seal_request_message(mapping: Mapping) -> str | None:
    return encrypt_optional(
        client_key_owner(mapping.client_id),
        _request_message_context(mapping.client_id, mapping.therapist_id),
        mapping.request_message.strip() or None,
    )


def _from_pending_item(item: Item) -> Mapping:
    """A waiting request with the client's message opened (its key prefetched for the page)."""
    message = decrypt_optional(
        client_key_owner(item["clientId"]),
        _request_message_context(item["clientId"], item["therapistId"]),
        item.get("requestMessage"),
    )
    return replace(_from_item(item), request_message=message)


def _request_message_owner(item: Item) -> list[str]:
    return [client_key_owner(item["clientId"])] if item.get("requestMessage") else []


def _is(status: MappingStatus, requested_by: Side | None = None) -> ConditionBase:
    condition: ConditionBase = Attr("status").eq(str(status))
    if requested_by is not None:
        condition = condition & Attr("requestedBy").eq(str(requested_by))
    return condition


def _transact(db: Any, operations: list[TransactOp]) -> None:
    try:
        db.transact_write(operations)
    except TransactionCancelled as exc:
        if "ConditionalCheckFailed" in exc.reasons:
            raise Conflict("The relationship changed meanwhile.") from exc
        raise


class MappingRepository(Repository):
    def put(
        self,
        client_id: str,
        therapist_id: str,
        status: MappingStatus,
        *,
        requested_by: Side = Side.CLIENT,
        client_name: str = "",
        therapist_name: str = "",
    ) -> Mapping:
        """Map: an unconditional PutItem (demo data and tests; the product goes through the methods below)."""
        now = utcnow()
        mapping = Mapping(client_id, therapist_id, status, now, requested_by, now, client_name, therapist_name)
        self.db.put(MAPPINGS, _to_item(mapping))
        return mapping

    def create_pending(
        self,
        client_id: str,
        therapist_id: str,
        *,
        requested_by: Side,
        client_name: str,
        therapist_name: str,
        at: datetime,
        request_message: str = "",
    ) -> Mapping:
        """A request or an invitation: PutItem only if the pair has no mapping (else Conflict).

        ``request_message`` (the client's optional words to the therapist) is
        clinical text: stored encrypted under the client's key.

        With a request token: a put that landed and whose answer was lost is
        not reported as "you already asked" when botocore sends it again.
        """
        mapping = Mapping(
            client_id,
            therapist_id,
            MappingStatus.PENDING,
            at,
            requested_by,
            at,
            client_name,
            therapist_name,
            request_message,
        )
        item = {**_to_item(mapping), "requestMessage": _seal_request_message(mapping)}
        self.db.put(MAPPINGS, item, condition=Attr("clientId").not_exists(), token=new_request_token())
        return mapping

    def accept(self, mapping: Mapping, *, at: datetime) -> Mapping:
        """pending -> active, and the relationship record opened, in one transaction.

        Conditional on the request the caller saw still waiting (a withdraw or a
        decline that came first makes this a Conflict).
        """
        _transact(
            self.db,
            [
                TransactUpdate(
                    MAPPINGS,
                    _key(mapping.client_id, mapping.therapist_id),
                    set_values={
                        "status": str(MappingStatus.ACTIVE),
                        "updatedAt": to_iso(at),
                        "pendingTherapistId": None,
                        # The request's words were for deciding; they go once it is answered.
                        "requestMessage": None,
                    },
                    condition=_is(MappingStatus.PENDING, mapping.requested_by),
                ),
                activation_op(
                    mapping.client_id,
                    mapping.therapist_id,
                    at=at,
                    client_name=mapping.client_name,
                    therapist_name=mapping.therapist_name,
                ),
            ],
        )
        return Mapping(
            mapping.client_id,
            mapping.therapist_id,
            MappingStatus.ACTIVE,
            at,
            mapping.requested_by,
            mapping.requested_at,
            mapping.client_name,
            mapping.therapist_name,
        )

    def delete_if(
        self, client_id: str, therapist_id: str, *, status: MappingStatus, requested_by: Side | None = None
    ) -> None:
        """Unmap a pending or blocked item, only in the state the caller saw (else Conflict).

        A one-item TransactWriteItems rather than a DeleteItem, for what proves
        the delete landed. A deleted item cannot carry a request token, and
        "absent after a retry" does not prove it was this delete (the other side
        may have withdrawn or declined in between). A transaction's
        ClientRequestToken does: botocore sends the same token again when an
        answer is lost, and DynamoDB answers that copy with the first one's
        outcome instead of running it again (for ten minutes). So a withdraw,
        decline or unblock that landed is reported done, and a failed condition
        is always someone else's change. It costs two write units instead of
        one, for actions people take rarely.
        """
        _transact(
            self.db, [TransactDelete(MAPPINGS, _key(client_id, therapist_id), condition=_is(status, requested_by))]
        )

    def end(self, client_id: str, therapist_id: str, *, by: Side, at: datetime) -> None:
        """Unmap an active relationship: the item goes, the record is marked ended, at once."""
        _transact(
            self.db,
            [
                TransactDelete(MAPPINGS, _key(client_id, therapist_id), condition=_is(MappingStatus.ACTIVE)),
                ending_op(client_id, therapist_id, at=at, by=by),
            ],
        )

    def block(self, mapping: Mapping, *, at: datetime) -> None:
        """The therapist blocks: from pending (their answer) or active (which ends it too)."""
        key = _key(mapping.client_id, mapping.therapist_id)
        values = {
            "status": str(MappingStatus.BLOCKED),
            "updatedAt": to_iso(at),
            "pendingTherapistId": None,
        }
        if mapping.status is MappingStatus.ACTIVE:
            _transact(
                self.db,
                [
                    TransactUpdate(MAPPINGS, key, set_values=values, condition=_is(MappingStatus.ACTIVE)),
                    ending_op(mapping.client_id, mapping.therapist_id, at=at, by=Side.THERAPIST),
                ],
            )
        else:
            # A request token: a block that landed is not reported as "changed meanwhile" on botocore's retry.
            self.db.update(
                MAPPINGS,
                key,
                set_values=values,
                condition=_is(MappingStatus.PENDING, mapping.requested_by),
                token=new_request_token(),
            )

    def set_therapist_name(self, client_id: str, therapist_id: str, name: str) -> None:
        """Copy a therapist's new name onto one mapping (gone meanwhile: nothing to do)."""
        try:
            self.db.update(
                MAPPINGS,
                _key(client_id, therapist_id),
                set_values={"therapistName": name},
                condition=Attr("clientId").exists(),
            )
        except Conflict:
            pass

    def delete(self, client_id: str, therapist_id: str) -> bool:
        """Unmap: DeleteItem. True if there was a mapping to delete."""
        # A retried delete that had landed still counts as this call's delete.
        return self.db.delete_existing(MAPPINGS, {"clientId": client_id, "therapistId": therapist_id})

    def get(self, client_id: str, therapist_id: str) -> Mapping | None:
        # Strongly consistent: access decisions must see a revocation at once.
        item = self.db.get(MAPPINGS, _key(client_id, therapist_id), consistent=True)
        return _from_item(item) if item else None

    def get_with_relationship(self, client_id: str, therapist_id: str) -> tuple[Mapping | None, Relationship | None]:
        """The mapping and the pair's relationship record in one consistent BatchGetItem.

        For a page that decides access from the mapping and also shows what the
        record keeps (the last session's time): one round trip, not two.
        """
        found = self.db.batch_get_tables(
            [(MAPPINGS, [_key(client_id, therapist_id)]), (RELATIONSHIPS, [record_key(client_id, therapist_id)])],
            consistent=True,
        )
        mapping = next(map(_from_item, found[MAPPINGS.name]), None)
        record = next(map(relationship_from_item, found[RELATIONSHIPS.name]), None)
        return mapping, record

    def list_for_client(self, client_id: str, *, limit: int = 25, cursor: str | None = None) -> Page[Mapping]:
        """List Therapists for a Client: one consistent Query by clientId."""
        return query_page(
            self.db,
            MAPPINGS,
            Key("clientId").eq(client_id),
            limit=limit,
            scope=f"mappings.client:{client_id}",
            cursor=cursor,
            convert=_from_item,
            consistent=True,
        )

    def list_for_therapist(
        self,
        therapist_id: str,
        *,
        limit: int = 25,
        cursor: str | None = None,
        without_pending: bool = False,
    ) -> Page[Mapping]:
        """List Clients for a Therapist: Query GSI_Mapping_TherapistId.

        ``without_pending`` leaves out pending items (the page lists them apart);
        the one Query reads up to CLIENT_LIST_READ_BUDGET items to fill the page.
        """
        scope = f"mappings.therapist:{therapist_id}:{without_pending}"
        if not without_pending:
            return query_page(
                self.db,
                MAPPINGS,
                Key("therapistId").eq(therapist_id),
                index=BY_THERAPIST,
                limit=limit,
                scope=scope,
                cursor=cursor,
                convert=_from_item,
            )
        limit = clamp_limit(limit)
        # One more than the page, as query_page reads: a full last page offers no empty next one.
        result = query_within_budget(
            self.db,
            MAPPINGS,
            Key("therapistId").eq(therapist_id),
            index=BY_THERAPIST,
            page_size=limit + 1,
            read_budget=CLIENT_LIST_READ_BUDGET,
            filter_condition=Attr("status").ne(str(MappingStatus.PENDING)),
            start_key=decode_cursor(cursor, scope),
        )
        return kept_page(result, table=MAPPINGS, index=BY_THERAPIST, limit=limit, convert=_from_item, scope=scope)

    def list_pending_for_therapist(
        self, therapist_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> Page[Mapping]:
        """Pending requests and invitations of a therapist, oldest first: one Query of the sparse GSI.

        The GSI is eventually consistent: it lists; each answer decides on the item itself.
        """
        return query_page(
            self.db,
            MAPPINGS,
            Key("pendingTherapistId").eq(therapist_id),
            index=PENDING_BY_THERAPIST,
            limit=limit,
            scope=f"mappings.pending:{therapist_id}",
            cursor=cursor,
            convert=_from_pending_item,
            key_owners=_request_message_owner,
        )
