"""The Therapists table (seed: Sign Up, Login by email GSI, Get, Search by specialization)."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from portal.domain import DEFAULT_CANCELLATION_WINDOW_HOURS, MODALITIES, AccountKind, InvalidCursor, Page, Therapist
from portal.dynamo.account_search import search_key_attributes
from portal.dynamo.accounts import AccountRepository, person_attributes, person_fields
from portal.dynamo.base import clamp_limit, query_page, to_page
from portal.dynamo.filling import query_within_budget
from portal.dynamo.gateway import Item
from portal.dynamo.pagination import decode_cursor, encode_cursor
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


_DIRECTORY = "GSI_Therapists_Directory"
_BUCKET = "all"


def directory_attributes(therapist: Therapist) -> dict[str, Any]:
    """What the card shows beyond name and bio (None leaves an attribute out: DynamoDB has no empty set)."""
    return {
        "licenceType": therapist.licence_type or None,
        "licenceState": therapist.licence_state or None,
        "modalities": set(therapist.modalities) or None,
        "languages": set(therapist.languages) or None,
        "fees": therapist.fees or None,
    }


def _order_of(text: str) -> str:
    # A hash: the position says nothing about the therapist and nobody can choose it.
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def directory_browse_keys(therapist_id: str) -> dict[str, str]:
    return {"directoryBucket": _BUCKET, "directoryOrder": _order_of(therapist_id)}


def rotation_start(day: date) -> str:
    """Where the whole directory's list starts on ``day``: a point on the hash circle that moves daily."""
    return _order_of(f"directory-start:{day.isoformat()}")


def _listing_filter(specialization: str, modality: str, language: str) -> ConditionBase:
    condition: ConditionBase = _LISTABLE
    if specialization:
        condition = condition & Attr("specialization").eq(specialization)
    if modality:
        condition = condition & Attr("modalities").contains(modality)
    if language:
        condition = condition & Attr("languages").contains(language)
    return condition


class TherapistRepository(AccountRepository[Therapist]):
    table = THERAPISTS
    kind = AccountKind.THERAPIST
    by_email_index = "GSI_Therapists_ByEmail"
    scope = "therapists"

    def to_item(self, account: Therapist) -> dict[str, Any]:
        return {
            "therapistId": account.therapist_id,
            **person_attributes(account),
            **search_key_attributes(account.therapist_id, account.name, account.email),
            # The directory's index decides on this, never on the secret (schema.py).
            "mfaEnabled": True if account.mfa_secret else None,
            "specialization": account.specialization,
            # Absent means listed; only an unlisted therapist carries the attribute.
            "listed": None if account.listed else False,
            "bio": account.bio or None,
            "acceptingClients": account.accepting_clients,
            **directory_attributes(account),
            **directory_browse_keys(account.therapist_id),
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
            licence_type=item.get("licenceType", ""),
            licence_state=item.get("licenceState", ""),
            modalities=tuple(m for m in MODALITIES if m in item.get("modalities", ())),
            languages=tuple(sorted(item.get("languages", ()))),
            fees=item.get("fees", ""),
            photo_version=item.get("photoVersion", ""),
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
        self,
        specialization: str,
        *,
        modality: str = "",
        language: str = "",
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[Therapist]:
        """The directory: listed therapists of one specialization, in the index's own order.

        The seed's GSI has no sort key, so the order is DynamoDB's: stable, not a
        ranking. Who is shown is a filter, so the page's one Query reads up to
        DIRECTORY_READ_BUDGET items to fill it; a short page still has a cursor.
        """
        scope = f"therapists.directory:{specialization}:{modality}:{language}"
        result = query_within_budget(
            self.db,
            THERAPISTS,
            Key("specialization").eq(specialization),
            index=_BY_SPECIALIZATION,
            page_size=clamp_limit(limit),
            read_budget=DIRECTORY_READ_BUDGET,
            filter_condition=_listing_filter("", modality, language),
            start_key=decode_cursor(cursor, scope),
        )
        return to_page(result, self.from_item, scope)

    def browse_listed(
        self,
        *,
        start: str,
        modality: str = "",
        language: str = "",
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[Therapist]:
        """Every listed therapist, from ``start`` round the hash circle (see ``rotation_start``).

        The list runs from ``start`` to the end of the index, then from its
        beginning up to ``start``: each therapist once. A page is one Query, two
        where it crosses the end. The cursor names the start it was made with,
        so a list begun yesterday carries on in yesterday's order.
        """
        page_size = clamp_limit(limit)
        wrapped, start_key = False, None
        if cursor:
            head, _, rest = cursor.partition(".")
            start, second = head[:-1], head[-1:] == "b"
            if not re.fullmatch(r"[0-9a-f]{16}[ab]", head):
                raise InvalidCursor("This page link is no longer valid.")
            wrapped, start_key = (
                second,
                decode_cursor(rest, f"therapists.browse:{start}:{second}:{modality}:{language}"),
            )
        condition = _listing_filter("", modality, language)
        items: list[Item] = []
        while True:
            key = Key("directoryBucket").eq(_BUCKET) & (
                Key("directoryOrder").lt(start) if wrapped else Key("directoryOrder").gte(start)
            )
            result = query_within_budget(
                self.db,
                THERAPISTS,
                key,
                index=_DIRECTORY,
                page_size=page_size - len(items),
                read_budget=DIRECTORY_READ_BUDGET,
                filter_condition=condition,
                start_key=start_key,
            )
            items += result.items
            if result.last_key or wrapped or len(items) >= page_size:
                break
            # The end of the index: carry on from its beginning, up to the start.
            wrapped, start_key = True, None
        next_cursor = None
        if result.last_key:
            scope = f"therapists.browse:{start}:{wrapped}:{modality}:{language}"
            next_cursor = f"{start}{'b' if wrapped else 'a'}.{encode_cursor(result.last_key, scope)}"
        elif not wrapped:
            # The page filled exactly at the end of the index: the next one starts at the beginning.
            next_cursor = f"{start}b." if items else None
        return Page([self.from_item(i) for i in items], next_cursor)

    def update_profile(
        self,
        therapist_id: str,
        *,
        name: str,
        specialization: str,
        bio: str,
        accepting_clients: bool,
        card: Therapist | None = None,
    ) -> Therapist:
        """What a therapist edits on their profile (never creates an account).

        ``card`` carries the directory fields (credentials, modalities, languages,
        fees); without it they stay as they are.
        """
        return self.update_fields(
            therapist_id,
            name=name,
            specialization=specialization,
            bio=bio or None,
            acceptingClients=accepting_clients,
            **(directory_attributes(card) if card is not None else {}),
            **directory_browse_keys(therapist_id),
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
