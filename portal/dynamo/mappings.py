"""The ClientTherapistMapping table: who is whose client, and in what status."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from portal.domain import Mapping, MappingStatus, Page
from portal.dynamo.base import Repository, query_page
from portal.dynamo.gateway import Item
from portal.dynamo.schema import MAPPINGS
from portal.timeutil import maybe_from_iso, to_iso, utcnow

_BY_THERAPIST = "GSI_Mapping_TherapistId"


def _to_item(mapping: Mapping) -> dict[str, Any]:
    return {
        "clientId": mapping.client_id,
        "therapistId": mapping.therapist_id,
        "status": str(mapping.status),
        "updatedAt": to_iso(mapping.updated_at or utcnow()),
    }


def _from_item(item: Item) -> Mapping:
    return Mapping(
        client_id=item["clientId"],
        therapist_id=item["therapistId"],
        status=MappingStatus(item["status"]),
        updated_at=maybe_from_iso(item.get("updatedAt")),
    )


class MappingRepository(Repository):
    def put(self, client_id: str, therapist_id: str, status: MappingStatus) -> Mapping:
        """Map (or change the status of a mapping): PutItem."""
        mapping = Mapping(client_id, therapist_id, status, utcnow())
        self.db.put(MAPPINGS, _to_item(mapping))
        return mapping

    def delete(self, client_id: str, therapist_id: str) -> bool:
        """Unmap: DeleteItem. True if there was a mapping to delete."""
        # A retried delete that had landed still counts as this call's delete.
        return self.db.delete_existing(MAPPINGS, {"clientId": client_id, "therapistId": therapist_id})

    def get(self, client_id: str, therapist_id: str) -> Mapping | None:
        # Strongly consistent: access decisions must see a revocation at once.
        item = self.db.get(
            MAPPINGS, {"clientId": client_id, "therapistId": therapist_id}, consistent=True
        )
        return _from_item(item) if item else None

    def list_for_client(
        self, client_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> Page[Mapping]:
        """List Therapists for a Client: Query by clientId."""
        return query_page(
            self.db,
            MAPPINGS,
            Key("clientId").eq(client_id),
            limit=limit,
            scope=f"mappings.client:{client_id}",
            cursor=cursor,
            convert=_from_item,
        )

    def list_for_therapist(
        self, therapist_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> Page[Mapping]:
        """List Clients for a Therapist: Query GSI_Mapping_TherapistId."""
        return query_page(
            self.db,
            MAPPINGS,
            Key("therapistId").eq(therapist_id),
            limit=limit,
            index=_BY_THERAPIST,
            scope=f"mappings.therapist:{therapist_id}",
            cursor=cursor,
            convert=_from_item,
        )
