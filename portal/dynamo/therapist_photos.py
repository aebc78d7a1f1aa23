"""The TherapistPhotos table: one JPEG a therapist, read only to serve it."""

from __future__ import annotations

from boto3.dynamodb.types import Binary

from portal.dynamo.repository import Repository
from portal.dynamo.schema import THERAPIST_PHOTOS


class TherapistPhotoRepository(Repository):
    def put(self, therapist_id: str, jpeg: bytes, version: str) -> None:
        self.db.put(THERAPIST_PHOTOS, {"therapistId": therapist_id, "photo": Binary(jpeg), "version": version})

    def get(self, therapist_id: str) -> tuple[bytes, str] | None:
        item = self.db.get(THERAPIST_PHOTOS, {"therapistId": therapist_id})
        if not item:
            return None
        photo = item["photo"]
        data: bytes = photo.value if isinstance(photo, Binary) else bytes(photo)  # type: ignore[attr-defined]
        return data, item.get("version", "")

    def delete(self, therapist_id: str) -> None:
        self.db.delete(THERAPIST_PHOTOS, {"therapistId": therapist_id})
