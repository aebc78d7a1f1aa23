"""Creating accounts. One email is one account across clients, therapists and staff."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib.auth.hashers import make_password

from portal.domain import MAX_BIO_LENGTH, SPECIALIZATIONS, Client, DomainError, StaffMember, Therapist, normalize_email
from portal.dynamo.clients import ClientRepository
from portal.dynamo.staff import StaffRepository
from portal.dynamo.therapists import TherapistRepository
from portal.ids import new_id
from portal.timeutil import utcnow


class InvalidAccountData(DomainError):
    pass


def _check_time_zone(time_zone: str) -> None:
    if time_zone not in available_timezones():
        raise InvalidAccountData(f"Unknown time zone: {time_zone}")


def client_sign_up(
    *,
    email: str,
    name: str,
    password: str,
    time_zone: str = "UTC",
    clients: ClientRepository | None = None,
) -> Client:
    """Create a client account (raises EmailTaken if the email has an account)."""
    _check_time_zone(time_zone)
    client = Client(
        client_id=new_id(),
        email=normalize_email(email),
        name=name.strip(),
        password_hash=make_password(password),
        time_zone=time_zone,
        created_at=utcnow(),
    )
    return (clients or ClientRepository()).sign_up(client)


def therapist_sign_up(
    *,
    email: str,
    name: str,
    password: str,
    specialization: str,
    time_zone: str = "UTC",
    bio: str = "",
    accepting_clients: bool = True,
    therapists: TherapistRepository | None = None,
) -> Therapist:
    _check_time_zone(time_zone)
    if specialization not in SPECIALIZATIONS:
        raise InvalidAccountData(f"Unknown specialization: {specialization}")
    if len(bio.strip()) > MAX_BIO_LENGTH:
        raise InvalidAccountData(f"A bio holds at most {MAX_BIO_LENGTH} characters.")
    therapist = Therapist(
        therapist_id=new_id(),
        email=normalize_email(email),
        name=name.strip(),
        specialization=specialization,
        password_hash=make_password(password),
        time_zone=time_zone,
        created_at=utcnow(),
        bio=bio.strip(),
        accepting_clients=accepting_clients,
    )
    return (therapists or TherapistRepository()).sign_up(therapist)


def staff_create(
    *, email: str, name: str, password: str, staff: StaffRepository | None = None
) -> StaffMember:
    member = StaffMember(
        staff_id=new_id(),
        email=normalize_email(email),
        name=name.strip(),
        password_hash=make_password(password),
        created_at=utcnow(),
    )
    return (staff or StaffRepository()).create(member)
