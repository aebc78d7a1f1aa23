"""Finding a therapist: the directory by specialization, profiles, and a therapist's own profile."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from portal.accounts.user import User
from portal.domain import (
    LANGUAGES,
    MAX_BIO_LENGTH,
    MAX_FEES_LENGTH,
    MAX_LICENCE_LENGTH,
    MODALITIES,
    SPECIALIZATIONS,
    DomainError,
    Mapping,
    MappingStatus,
    NotFound,
    Page,
    Side,
    Therapist,
)
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.therapists import TherapistRepository, rotation_start
from portal.policy import own_therapist_id, relationship_for_client
from portal.services.relationships import is_listable
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

PAGE_SIZE = 20


class InvalidProfile(DomainError):
    pass


def directory_page(
    *,
    specialization: str = "",
    modality: str = "",
    language: str = "",
    cursor: str | None = None,
    today: date | None = None,
) -> Page[Therapist]:
    """One page of listed therapists, all of them or of one specialization, optionally by modality and language.

    One Query a page (two where the whole list wraps round), whatever the
    number of therapists. The whole list starts at a point that moves each day,
    so nobody is always first.
    """
    if specialization and specialization not in SPECIALIZATIONS:
        raise InvalidProfile("Choose a specialization from the list.")
    if modality and modality not in MODALITIES:
        raise InvalidProfile("Choose in person or video.")
    if language and language not in LANGUAGES:
        raise InvalidProfile("Choose a language from the list.")
    therapists = TherapistRepository()
    if specialization:
        return therapists.search_listed(
            specialization, modality=modality, language=language, limit=PAGE_SIZE, cursor=cursor
        )
    start = rotation_start(today or utcnow().date())
    return therapists.browse_listed(start=start, modality=modality, language=language, limit=PAGE_SIZE, cursor=cursor)


def listing_status(therapist: Therapist) -> tuple[bool, list[str]]:
    """Whether the directory shows this therapist, and if not every reason why, in words they can act on."""
    reasons: list[str] = []
    if not therapist.email_verified:
        reasons.append("your email address is not confirmed yet")
    if not therapist.mfa_secret:
        reasons.append("two-factor authentication is not on")
    if not therapist.accepting_clients:
        reasons.append("you are not accepting new clients")
    if not therapist.listed:
        reasons.append("staff have taken your profile out of the directory")
    return not reasons, reasons


@dataclass(frozen=True)
class ProfileForClient:
    therapist: Therapist
    mapping: Mapping | None
    # What this client may do next, decided here so the template only shows it.
    may_request: bool
    unavailable: bool

    @property
    def asked(self) -> bool:
        return (
            self.mapping is not None
            and self.mapping.status is MappingStatus.PENDING
            and (self.mapping.requested_by is Side.CLIENT)
        )

    @property
    def invited(self) -> bool:
        return self.mapping is not None and self.mapping.awaits_answer_from(Side.CLIENT)

    @property
    def active(self) -> bool:
        return self.mapping is not None and self.mapping.status is MappingStatus.ACTIVE


def therapist_profile_for_client(*, user: User, therapist_id: str) -> ProfileForClient:
    """A therapist's public profile as this client sees it.

    Not found unless the therapist is listed or already has a relationship with
    this client. A blocked client sees only that the therapist is not available.
    """
    mapping = relationship_for_client(user, therapist_id)
    therapist = TherapistRepository().get(therapist_id)
    if therapist is None:
        raise NotFound("No such therapist.")
    listable = is_listable(therapist)
    if mapping is None and not listable:
        if therapist.email_verified and therapist.mfa_secret and therapist.listed:
            # Listed but not taking new clients: the profile stays reachable from old links.
            return ProfileForClient(therapist, None, may_request=False, unavailable=False)
        raise NotFound("No such therapist.")
    blocked = mapping is not None and mapping.status is MappingStatus.BLOCKED
    return ProfileForClient(
        therapist,
        None if blocked else mapping,
        may_request=mapping is None and listable,
        unavailable=blocked,
    )


def therapist_own_profile(*, user: User) -> Therapist:
    therapist = TherapistRepository().get(own_therapist_id(user), consistent=True)
    if therapist is None:
        raise NotFound("No such therapist.")
    return therapist


def therapist_profile_update(
    *,
    user: User,
    name: str,
    specialization: str,
    bio: str,
    accepting_clients: bool,
    licence_type: str = "",
    licence_state: str = "",
    modalities: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    fees: str = "",
) -> Therapist:
    therapist_id = own_therapist_id(user)
    name, bio = name.strip(), bio.strip()
    licence_type, licence_state, fees = (" ".join(t.split()) for t in (licence_type, licence_state, fees))
    if len(licence_type) > MAX_LICENCE_LENGTH or len(licence_state) > MAX_LICENCE_LENGTH:
        raise InvalidProfile(f"A licence type or state holds at most {MAX_LICENCE_LENGTH} characters.")
    if len(fees) > MAX_FEES_LENGTH:
        raise InvalidProfile(f"Fees hold at most {MAX_FEES_LENGTH} characters.")
    if not set(modalities) <= set(MODALITIES) or not set(languages) <= set(LANGUAGES):
        raise InvalidProfile("Choose ways of meeting and languages from the lists.")
    if not name:
        raise InvalidProfile("Please enter your name.")
    if specialization not in SPECIALIZATIONS:
        raise InvalidProfile("Choose a specialization from the list.")
    if len(bio) > MAX_BIO_LENGTH:
        raise InvalidProfile(f"A bio holds at most {MAX_BIO_LENGTH} characters.")
    therapists = TherapistRepository()
    before = therapists.get(therapist_id, consistent=True)
    card = Therapist(
        therapist_id=therapist_id,
        email="",
        name=name,
        specialization=specialization,
        password_hash="",
        licence_type=licence_type,
        licence_state=licence_state,
        modalities=tuple(m for m in MODALITIES if m in modalities),
        languages=tuple(sorted(set(languages))),
        fees=fees,
    )
    updated = therapists.update_profile(
        therapist_id,
        name=name,
        specialization=specialization,
        bio=bio,
        accepting_clients=accepting_clients,
        card=card,
    )
    if before is not None and before.name != name:
        _copy_name_to_relationships(therapist_id, name)
    logger.info("therapist %s updated their profile", therapist_id)
    return updated


def _copy_name_to_relationships(therapist_id: str, name: str) -> None:
    """A renamed therapist's name on every mapping and relationship record that copies it.

    Lists read the copies so a page costs the same however many relationships
    there are; a rename (rare) pays instead, a write per relationship.
    """
    mappings, records = MappingRepository(), RelationshipRepository()
    cursor: str | None = None
    while True:
        page = mappings.list_for_therapist(therapist_id, limit=100, cursor=cursor)
        for mapping in page.items:
            mappings.set_therapist_name(mapping.client_id, therapist_id, name)
        if not (cursor := page.next_cursor):
            break
    while True:
        listing = records.list_for_therapist(therapist_id, limit=100, cursor=cursor)
        for record in listing.items:
            records.set_therapist_name(record.client_id, therapist_id, name)
        if not (cursor := listing.next_cursor):
            break
