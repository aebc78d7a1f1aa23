"""What a directory card and a profile show of a therapist, computed once per therapist."""

from __future__ import annotations

from dataclasses import dataclass

from portal.domain import MODALITIES, Therapist


@dataclass(frozen=True)
class TherapistCard:
    therapist_id: str
    name: str
    specialization: str
    bio: str
    # "LCSW, licensed in California" as the therapist wrote it; empty when they wrote nothing.
    credentials: str
    modalities: str
    languages: str
    fees: str
    accepting_clients: bool
    photo_version: str = ""


def _credentials(therapist: Therapist) -> str:
    kind, where = therapist.licence_type.strip(), therapist.licence_state.strip()
    if kind and where:
        return f"{kind}, licensed in {where}"
    if kind:
        return kind
    return f"Licensed in {where}" if where else ""


def therapist_card(therapist: Therapist) -> TherapistCard:
    return TherapistCard(
        therapist_id=therapist.therapist_id,
        name=therapist.name,
        specialization=therapist.specialization.replace("-", " ").capitalize(),
        bio=therapist.bio,
        credentials=_credentials(therapist),
        modalities=" and ".join(MODALITIES[m] for m in therapist.modalities).capitalize(),
        languages=", ".join(therapist.languages),
        fees=therapist.fees,
        accepting_clients=therapist.accepting_clients,
        photo_version=therapist.photo_version,
    )
