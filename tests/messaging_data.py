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
        # An unverified client can neither ask nor accept; a pair from before accepting needed a
        # verified email is written straight to the table, as such data stands.
        from portal.domain import Side
        from portal.dynamo.mappings import MappingRepository
        from portal.timeutil import utcnow

        mappings = MappingRepository()
        pending = mappings.create_pending(
            client.account_id,
            therapist.account_id,
            requested_by=Side.THERAPIST,
            client_name=client.name,
            therapist_name=therapist.name,
            at=utcnow(),
        )
        mappings.accept(pending, at=utcnow())
    return client, therapist


def end_relationship(client: User, therapist: User) -> None:
    relationship_end(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)
