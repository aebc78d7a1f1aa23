"""The Therapists table (seed: Sign Up, Login by email GSI, Get, Search by specialization)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import DEFAULT_CANCELLATION_WINDOW_HOURS, AccountKind, Page, Therapist
from portal.dynamo.accounts import AccountRepository, person_attributes, person_fields
from portal.dynamo.base import clamp_limit, query_page, to_page
from portal.dynamo.filling import query_within_budget
from portal.dynamo.gateway import Item
from portal.dynamo.pagination import decode_cursor
from portal.dynamo.schema import THERAPISTS

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


class TherapistRepository(AccountRepository[Therapist]):
    table = THERAPISTS
    kind = AccountKind.THERAPIST
    by_email_index = "GSI_Therapists_ByEmail"
    scope = "therapists"

    def to_item(self, account: Therapist) -> dict[str, Any]:
        return {
            "therapistId": account.therapist_id,
            **person_attributes(account),
            # The directory's index decides on this, never on the secret (schema.py).
            "mfaEnabled": True if account.mfa_secret else None,
            "specialization": account.specialization,
            # Absent means listed; only an unlisted therapist carries the attribute.
            "listed": None if account.listed else False,
            "bio": account.bio or None,
            "acceptingClients": account.accepting_clients,
            "cancellationWindowHours": account.cancellation_window_hours,
        }

    def from_item(self, item: Item) -> Therapist:
        return Therapist(
            therapist_id=item["therapistId"],
            specialization=item["specialization"],
            bio=item.get("bio", ""),
            # Accepting is a choice made at sign-up or on the profile; never assumed.
            accepting_clients=bool(item.get("acceptingClients", False)),
            listed=bool(item.get("listed", True)),
            cancellation_window_hours=int(
                Decimal(item.get("cancellationWindowHours", DEFAULT_CANCELLATION_WINDOW_HOURS))
            ),
            # A directory listing (GSI_Therapists_BySpecialization) carries neither the
            # email nor the password hash: such a Therapist is for showing, never for signing in.
            **person_fields({"email": "", "passwordHash": "", **item}),
        )

    def account_id(self, account: Therapist) -> str:
        return account.therapist_id

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
            convert=self.from_item,
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
        return to_page(result, self.from_item, scope)

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

    def set_cancellation_window(self, therapist_id: str, hours: int) -> Therapist:
        """How long before a session a client's cancellation counts as late (the therapist's profile)."""
        return self.update_fields(therapist_id, cancellationWindowHours=hours)

    def note_template(self, therapist_id: str) -> str | None:
        """The note template the therapist starts new progress notes with (None: not chosen)."""
        item = self.db.get(THERAPISTS, {"therapistId": therapist_id}, consistent=True)
        return item.get("noteTemplate") if item else None

    def set_note_template(self, therapist_id: str, template: str) -> None:
        """Keep the therapist's default note template on their profile item."""
        self.update_fields(therapist_id, noteTemplate=template)
