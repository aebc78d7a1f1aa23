"""TherapistRepository.browse_listed: the whole directory from a daily start, wrapping round, with filters."""

from __future__ import annotations

from portal.domain import MODALITIES
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.therapists import TherapistRepository, directory_browse_keys
from tests.factories import make_therapist


def _listed(**fields):  # type: ignore[no-untyped-def]
    therapist = make_therapist(email_verified=True, mfa_secret="JBSWY3DPEHPK3PXP", accepting_clients=True, **fields)
    return TherapistRepository().sign_up(therapist)


def test_it_lists_everyone_once_from_any_start_and_filters_by_set_members(dynamo: DynamoGateway) -> None:
    repository = TherapistRepository()
    made = [_listed(modalities=("video",), languages=("English",)) for _ in range(7)]
    spanish = _listed(modalities=tuple(MODALITIES), languages=("English", "Spanish"))
    everyone = {t.therapist_id for t in made} | {spanish.therapist_id}
    orders = sorted(directory_browse_keys(t)["directoryOrder"] for t in everyone)
    # From a start in the middle of the circle, in pages of three: each once, in a wrapped order.
    start = orders[4]
    seen: list[str] = []
    cursor = None
    while True:
        page = repository.browse_listed(start=start, limit=3, cursor=cursor)
        seen += [t.therapist_id for t in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 8 and set(seen) == everyone
    assert directory_browse_keys(seen[0])["directoryOrder"] == start
    assert [t.therapist_id for t in repository.browse_listed(start=start, language="Spanish").items] == [
        spanish.therapist_id
    ]
    in_person = repository.browse_listed(start="0" * 16, modality="in_person").items
    assert [t.therapist_id for t in in_person] == [spanish.therapist_id]
    assert in_person[0].languages == ("English", "Spanish") and in_person[0].modalities == ("in_person", "video")
