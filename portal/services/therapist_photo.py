"""A therapist's directory photo: resized, re-encoded without metadata, kept in DynamoDB when it fits.

The upload is decoded with Pillow and drawn again as a new JPEG of at most
PHOTO_SIDE pixels a side: nothing of the original file (EXIF with its GPS
position and camera serial, comments, ICC profiles, other embedded data) is
copied. The result goes in DynamoDB, on its own item, only when it is under
PHOTO_MAX_BYTES, far below the 400 KB item limit; a picture that stays larger
even at low quality is refused with the reason. (A deployment that wants
larger pictures would keep them in S3 and the key here; this one has no S3.)
"""

from __future__ import annotations

import io
import logging

from portal.accounts.user import User
from portal.domain import DomainError
from portal.dynamo.therapist_photos import TherapistPhotoRepository
from portal.dynamo.therapists import TherapistRepository
from portal.ids import new_id
from portal.policy import own_therapist_id

logger = logging.getLogger(__name__)

PHOTO_SIDE = 480
PHOTO_MAX_BYTES = 200_000
UPLOAD_MAX_BYTES = 8_000_000
# Refuse decompression bombs: a small file that decodes to a huge image.
MAX_PIXELS = 40_000_000


class InvalidPhoto(DomainError):
    pass


def photo_prepare(data: bytes) -> bytes:
    """The upload as a small JPEG with no metadata; InvalidPhoto when it is not a picture or stays too big."""
    # Imported here: only an upload needs Pillow, so every other page is served without loading it.
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > UPLOAD_MAX_BYTES:
        raise InvalidPhoto(f"Choose a picture under {UPLOAD_MAX_BYTES // 1_000_000} MB.")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise InvalidPhoto("This picture has too many pixels; choose a smaller one.")
            # Turned as the camera meant (the EXIF orientation), then the EXIF is dropped with the rest.
            upright = ImageOps.exif_transpose(opened)
            picture = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise InvalidPhoto("This file is not a picture we can read (JPEG, PNG or WebP).") from None
    picture.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    # A fresh image carries no info: no EXIF, ICC profile or comment is written.
    clean = Image.new("RGB", picture.size)
    clean.paste(picture)
    for quality in (85, 70, 55, 40):
        out = io.BytesIO()
        clean.save(out, format="JPEG", quality=quality, optimize=True)
        if out.tell() <= PHOTO_MAX_BYTES:
            return out.getvalue()
    raise InvalidPhoto(
        f"Even made smaller this picture is over {PHOTO_MAX_BYTES // 1000} KB, the most kept in the database; "
        "choose a simpler one."
    )


def therapist_photo_set(*, user: User, data: bytes) -> str:
    """Keep the therapist's new photo; returns its version (the directory's image URL changes with it)."""
    therapist_id = own_therapist_id(user)
    jpeg = photo_prepare(data)
    version = new_id().lower()
    TherapistPhotoRepository().put(therapist_id, jpeg, version)
    TherapistRepository().update_fields(therapist_id, photoVersion=version)
    logger.info("therapist %s set a photo of %d bytes", therapist_id, len(jpeg))
    return version


def therapist_photo_remove(*, user: User) -> None:
    therapist_id = own_therapist_id(user)
    TherapistRepository().update_fields(therapist_id, photoVersion=None)
    TherapistPhotoRepository().delete(therapist_id)


def therapist_photo(*, therapist_id: str, version: str) -> bytes | None:
    """The stored JPEG when ``version`` is the current one (an old URL finds nothing)."""
    found = TherapistPhotoRepository().get(therapist_id)
    if found is None or found[1] != version:
        return None
    return found[0]
