"""Creating accounts. One email is one account across clients, therapists and staff."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import available_timezones

from django.contrib.auth.hashers import make_password

from portal.accounts.user import User
from portal.domain import (
    MAX_BIO_LENGTH,
    SPECIALIZATIONS,
    AccountKind,
    Client,
    DomainError,
    NotFound,
    StaffMember,
    Therapist,
    normalize_email,
)
from portal.dynamo.account_store import AccountStore
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


# --- a person's own settings ----------------------------------------------------------------------


@dataclass(frozen=True)
class OwnSettings:
    time_zone: str
    optional_emails: bool


def _person_kind(user: User) -> AccountKind:
    if user.kind not in (AccountKind.CLIENT, AccountKind.THERAPIST):
        raise NotFound("Only clients and therapists have these settings.")
    return user.kind


def own_settings(*, user: User) -> OwnSettings:
    """The signed-in client's or therapist's time zone and email choice, as stored (one GetItem)."""
    kind = _person_kind(user)
    account: Client | Therapist | None
    if kind is AccountKind.CLIENT:
        account = ClientRepository().get(user.account_id)
    else:
        account = TherapistRepository().get(user.account_id)
    if account is None:
        raise NotFound("No such account.")
    return OwnSettings(time_zone=account.time_zone, optional_emails=account.optional_emails)


def own_settings_save(*, user: User, time_zone: str, optional_emails: bool) -> None:
    """Store a new time zone and email choice; the caller refreshes the session's copy of the person.

    Optional emails are reminders and notices of changes; security emails
    (verification, password reset) always go out.
    """
    kind = _person_kind(user)
    _check_time_zone(time_zone)
    AccountStore().set_preferences(kind, user.account_id, time_zone=time_zone, optional_emails=optional_emails)
    user.time_zone = time_zone
