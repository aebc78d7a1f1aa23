"""A client and a therapist working together, for messaging tests."""

from __future__ import annotations

from portal.accounts.user import User
from portal.domain import AccountKind
from portal.services.relationships import relationship_end
from tests.accounts import make_account
from tests.relationships import PORTAL_URL, connect


def make_active_pair(**client_options: object) -> tuple[User, User]:
    """(client, therapist) with an active relationship, made as the product makes it."""
    client = make_account(AccountKind.CLIENT, name="Casey Client", **client_options)  # type: ignore[arg-type]
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara Chen")
    if client.email_verified:
        connect(client, therapist)
    else:
        # An unverified client cannot ask; the therapist's invitation, accepted, gives the same pair.
        from portal.services.relationships import relationship_accept, relationship_invite

        relationship_invite(user=therapist, email=client.email, portal_url=PORTAL_URL)
        relationship_accept(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)
    return client, therapist


def end_relationship(client: User, therapist: User) -> None:
    relationship_end(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)
