"""Care relationships for tests, made through the services as the product makes them."""

from __future__ import annotations

from portal.accounts.user import User
from portal.domain import Mapping
from portal.services.relationships import relationship_accept, relationship_request

PORTAL_URL = "http://testserver/"


def connect(client: User, therapist: User) -> Mapping:
    """An active relationship: the client asks, the therapist accepts (names copied, record opened).

    The therapist must be listed (verified email and two-factor, as make_account gives them).
    """
    relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
    return relationship_accept(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)
