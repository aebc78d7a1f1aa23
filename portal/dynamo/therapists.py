"""The Therapists table (seed: Sign Up, Login by email GSI, Get, Search by specialization)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import AccountKind, Page, Therapist, normalize_email
from portal.dynamo.accounts import put_account_with_email_claim
from portal.dynamo.base import Repository, clamp_limit, query_page, scan_page, to_page
from portal.dynamo.filling import query_within_budget
from portal.dynamo.gateway import Item, new_request_token
from portal.dynamo.pagination import decode_cursor
from portal.dynamo.schema import THERAPISTS
from portal.timeutil import maybe_from_iso, to_iso, utcnow

_BY_EMAIL = "GSI_Therapists_ByEmail"
_BY_SPECIALIZATION = "GSI_Therapists_BySpecialization"
# Items one directory page may read (in its one Query) to fill itself past therapists it does not show.
DIRECTORY_READ_BUDGET = 100

# Who the directory shows: a confirmed email, two-factor on, accepting, not unlisted.
_LISTABLE = (
    Attr("emailVerified").eq(True)
    & Attr("mfaEnabled").eq(True)
    & Attr("acceptingClients").eq(True)
    & (Attr("listed").not_exists() | Attr("listed").eq(True))
)


def _to_item(therapist: Therapist) -> dict[str, Any]:
    return {
        "therapistId": therapist.therapist_id,
        "email": normalize_email(therapist.email),
        "name": therapist.name,
        "specialization": therapist.specialization,
        "passwordHash": therapist.password_hash,
        "timeZone": therapist.time_zone,
        "emailVerified": therapist.email_verified,
        "createdAt": to_iso(therapist.created_at or utcnow()),
        "mfaSecret": therapist.mfa_secret,
        # The directory's index decides on this, never on the secret (schema.py).
        "mfaEnabled": True if therapist.mfa_secret else None,
        "deactivated": True if therapist.deactivated else None,
        "lastLoginAt": to_iso(therapist.last_login_at) if therapist.last_login_at else None,
        # Absent means listed; only an unlisted therapist carries the attribute.
        "listed": None if therapist.listed else False,
        "bio": therapist.bio or None,
        "acceptingClients": therapist.accepting_clients,
    }


def _from_item(item: Item) -> Therapist:
    return Therapist(
        therapist_id=item["therapistId"],
        # A directory listing (GSI_Therapists_BySpecialization) carries neither the
        # email nor the password hash: such a Therapist is for showing, never for signing in.
        email=item.get("email", ""),
        name=item["name"],
        specialization=item["specialization"],
        password_hash=item.get("passwordHash", ""),
        time_zone=item.get("timeZone", "UTC"),
        email_verified=bool(item.get("emailVerified", False)),
        created_at=maybe_from_iso(item.get("createdAt")),
        mfa_secret=item.get("mfaSecret"),
        deactivated=bool(item.get("deactivated", False)),
        account_version=int(item.get("accountVersion", 0)),
        last_login_at=maybe_from_iso(item.get("lastLoginAt")),
        bio=item.get("bio", ""),
        # Accepting is a choice made at sign-up or on the profile; never assumed.
        accepting_clients=bool(item.get("acceptingClients", False)),
        listed=bool(item.get("listed", True)),
    )


class TherapistRepository(Repository):
    def sign_up(self, therapist: Therapist) -> Therapist:
        put_account_with_email_claim(
            self.db,
            table=THERAPISTS,
            item=_to_item(therapist),
            kind=AccountKind.THERAPIST,
            account_id=therapist.therapist_id,
            email=therapist.email,
        )
        return therapist

    def get(self, therapist_id: str, *, consistent: bool = False) -> Therapist | None:
        item = self.db.get(THERAPISTS, {"therapistId": therapist_id}, consistent=consistent)
        return _from_item(item) if item else None

    def get_many(self, therapist_ids: Iterable[str], *, consistent: bool = False) -> dict[str, Therapist]:
        items = self.db.batch_get(THERAPISTS, [{"therapistId": tid} for tid in therapist_ids], consistent=consistent)
        return {t.therapist_id: t for t in map(_from_item, items)}

    def find_by_email(self, email: str) -> Therapist | None:
        # The index holds the ids only (no password hash or two-factor secret in any
        # index): the account itself is then read by id, consistently.
        result = self.db.query(
            THERAPISTS, Key("email").eq(normalize_email(email)), index=_BY_EMAIL, limit=1
        )
        return self.get(result.items[0]["therapistId"], consistent=True) if result.items else None

    def search_by_specialization(
        self, specialization: str, *, limit: int = 25, cursor: str | None = None
    ) -> Page[Therapist]:
        return query_page(
            self.db,
            THERAPISTS,
            Key("specialization").eq(specialization),
            limit=limit,
            index=_BY_SPECIALIZATION,
            scope=f"therapists.specialization:{specialization}",
            cursor=cursor,
            convert=_from_item,
        )

    def search_listed(
        self, specialization: str, *, limit: int = 20, cursor: str | None = None
    ) -> Page[Therapist]:
        """The directory: listed therapists of one specialization, in the index's own order.

        The seed's GSI has no sort key, so the order is DynamoDB's: stable, not a
        ranking. Who is shown is a filter, so the page's one Query reads up to
        DIRECTORY_READ_BUDGET items to fill it; a short page still has a cursor.
        """
        scope = f"therapists.directory:{specialization}"
        result = query_within_budget(
            self.db,
            THERAPISTS,
            Key("specialization").eq(specialization),
            index=_BY_SPECIALIZATION,
            page_size=clamp_limit(limit),
            read_budget=DIRECTORY_READ_BUDGET,
            filter_condition=_LISTABLE,
            start_key=decode_cursor(cursor, scope),
        )
        return to_page(result, _from_item, scope)

    def update_profile(
        self, therapist_id: str, *, name: str, specialization: str, bio: str, accepting_clients: bool
    ) -> Therapist:
        """What a therapist edits on their profile (never creates an account)."""
        return self.update_fields(
            therapist_id,
            name=name,
            specialization=specialization,
            bio=bio or None,
            acceptingClients=accepting_clients,
        )

    def set_listed(self, therapist_id: str, *, listed: bool) -> Therapist:
        """Staff list or unlist a therapist in the directory."""
        # Absent means listed: only an unlisted therapist carries the attribute.
        return self.update_fields(therapist_id, listed=None if listed else False)

    def update_fields(self, therapist_id: str, **fields: Any) -> Therapist:
        item = self.db.update(
            THERAPISTS,
            {"therapistId": therapist_id},
            set_values=fields,
            condition=Attr("therapistId").exists(),
            token=new_request_token(),
        )
        return _from_item(item)

    def list_page(self, *, limit: int = 25, cursor: str | None = None) -> Page[Therapist]:
        """A page of every therapist (a Scan: for staff only)."""
        return scan_page(self.db, THERAPISTS, limit=limit, scope="therapists.all", cursor=cursor, convert=_from_item)
