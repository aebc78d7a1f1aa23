"""A client and a therapist working together, for messaging tests."""

from __future__ import annotations

from portal.accounts.user import User
from portal.domain import AccountKind
from portal.services.relationships import relationship_accept, relationship_end, relationship_invite
from tests.accounts import make_account

PORTAL_URL = "http://testserver/"


def make_active_pair(**client_options: object) -> tuple[User, User]:
    """(client, therapist) with an active relationship: the therapist invited, the client accepted."""
    client = make_account(AccountKind.CLIENT, name="Casey Client", **client_options)  # type: ignore[arg-type]
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara Chen")
    relationship_invite(user=therapist, email=client.email, portal_url=PORTAL_URL)
    relationship_accept(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)
    return client, therapist


def end_relationship(client: User, therapist: User) -> None:
    relationship_end(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)
