"""A therapist's directory photo: resized, stripped of metadata, stored only when small, shown to clients."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from PIL import Image

from portal.domain import AccountKind
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.therapist_photos import TherapistPhotoRepository
from portal.dynamo.therapists import TherapistRepository
from portal.services.therapist_photo import PHOTO_MAX_BYTES, PHOTO_SIDE
from tests.accounts import log_in, make_account


def _jpeg_with_exif(width: int = 2000, height: int = 1500) -> bytes:
    picture = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam Maker"  # Make
    exif[0x0131] = "SecretSoftware 1.0"  # Software
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif.tobytes(), comment=b"home address here")
    return out.getvalue()


def _therapist_session():  # type: ignore[no-untyped-def]
    therapist = make_account(AccountKind.THERAPIST, name='Dr "Photo" <b>')
    TherapistRepository().update_profile(
        therapist.account_id, name='Dr "Photo" <b>', specialization="grief", bio="", accepting_clients=True
    )
    http = HttpClient()
    log_in(http, therapist)
    return therapist, http


def _upload(http: HttpClient, data: bytes, name: str = "me.jpg"):  # type: ignore[no-untyped-def]
    return http.post(
        "/therapist/profile/photo/", {"photo": SimpleUploadedFile(name, data, content_type="image/jpeg")}, follow=True
    )


def test_it_resizes_strips_metadata_and_shows_the_photo_to_clients(dynamo):
    original = _jpeg_with_exif()
    assert b"SecretCam" in original and b"home address" in original
    therapist, http = _therapist_session()
    page = _upload(http, original).content.decode()
    assert "Your photo is saved" in page

    stored = TherapistPhotoRepository().get(therapist.account_id)
    assert stored is not None
    jpeg, version = stored
    assert len(jpeg) <= PHOTO_MAX_BYTES
    assert b"SecretCam" not in jpeg and b"SecretSoftware" not in jpeg and b"home address" not in jpeg
    with Image.open(io.BytesIO(jpeg)) as kept:
        assert max(kept.size) == PHOTO_SIDE and not kept.getexif()
    assert TherapistRepository().get(therapist.account_id).photo_version == version

    client = HttpClient()
    log_in(client, make_account(AccountKind.CLIENT))
    card = client.get("/client/therapists/").content.decode()
    url = f"/client/therapists/{therapist.account_id}/photo/{version}.jpg"
    assert url in card
    profile = client.get(f"/client/therapists/{therapist.account_id}/").content.decode()
    assert 'alt="Photo of Dr &#34;Photo&#34; &lt;b&gt;"' in profile
    with count_dynamodb_calls() as calls:
        served = client.get(url)
    # The session, the mapping and the therapist (may this client see them), then the photo.
    assert calls.by_operation() == {"GetItem": 4}
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg" and served.content == jpeg
    assert client.get(f"/client/therapists/{therapist.account_id}/photo/old{version}.jpg").status_code == 404
    assert http.get(f"/therapist/profile/photo/{version}.jpg").content == jpeg


def test_it_refuses_what_is_not_a_picture_and_keeps_nothing(dynamo):
    therapist, http = _therapist_session()
    page = _upload(http, b"%PDF-1.4 not a picture", "cv.pdf").content.decode()
    assert "not a picture we can read" in page
    assert TherapistPhotoRepository().get(therapist.account_id) is None


def test_it_removes_the_photo(dynamo):
    therapist, http = _therapist_session()
    _upload(http, _jpeg_with_exif(300, 300))
    page = http.post("/therapist/profile/photo/", {"remove": "1"}, follow=True).content.decode()
    assert "Your photo is removed" in page
    assert TherapistPhotoRepository().get(therapist.account_id) is None
    assert TherapistRepository().get(therapist.account_id).photo_version == ""


def test_only_clients_who_may_see_the_profile_get_the_photo(dynamo):
    therapist, http = _therapist_session()
    _upload(http, _jpeg_with_exif(300, 300))
    version = TherapistRepository().get(therapist.account_id).photo_version
    url = f"/client/therapists/{therapist.account_id}/photo/{version}.jpg"
    assert HttpClient().get(url).status_code == 302
    other_therapist = HttpClient()
    log_in(other_therapist, make_account(AccountKind.THERAPIST))
    assert other_therapist.get(url).status_code in (302, 403)
    assert other_therapist.post("/therapist/profile/photo/", {"remove": "1"}).status_code == 302
    assert TherapistPhotoRepository().get(therapist.account_id) is not None  # another therapist removes only their own
    TherapistRepository().set_listed(therapist.account_id, listed=False)
    client = HttpClient()
    log_in(client, make_account(AccountKind.CLIENT))
    assert client.get(url).status_code == 404
