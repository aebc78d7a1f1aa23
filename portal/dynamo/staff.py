"""Staff accounts (a supporting table: the seed has no staff)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import AccountKind, StaffMember, normalize_email
from portal.dynamo.accounts import put_account_with_email_claim
from portal.dynamo.base import Repository
from portal.dynamo.gateway import Item, new_request_token
from portal.dynamo.schema import STAFF
from portal.timeutil import maybe_from_iso, to_iso, utcnow

_BY_EMAIL = "GSI_Staff_ByEmail"


def _to_item(member: StaffMember) -> dict[str, Any]:
    return {
        "staffId": member.staff_id,
        "email": normalize_email(member.email),
        "name": member.name,
        "passwordHash": member.password_hash,
        "createdAt": to_iso(member.created_at or utcnow()),
        "mfaSecret": member.mfa_secret,
        "deactivated": True if member.deactivated else None,
        "lastLoginAt": to_iso(member.last_login_at) if member.last_login_at else None,
    }


def _from_item(item: Item) -> StaffMember:
    return StaffMember(
        staff_id=item["staffId"],
        email=item["email"],
        name=item["name"],
        password_hash=item["passwordHash"],
        created_at=maybe_from_iso(item.get("createdAt")),
        mfa_secret=item.get("mfaSecret"),
        deactivated=bool(item.get("deactivated", False)),
        account_version=int(item.get("accountVersion", 0)),
        last_login_at=maybe_from_iso(item.get("lastLoginAt")),
    )


class StaffRepository(Repository):
    def create(self, member: StaffMember) -> StaffMember:
        put_account_with_email_claim(
            self.db,
            table=STAFF,
            item=_to_item(member),
            kind=AccountKind.STAFF,
            account_id=member.staff_id,
            email=member.email,
        )
        return member

    def get(self, staff_id: str, *, consistent: bool = False) -> StaffMember | None:
        item = self.db.get(STAFF, {"staffId": staff_id}, consistent=consistent)
        return _from_item(item) if item else None

    def get_many(self, staff_ids: Iterable[str]) -> dict[str, StaffMember]:
        items = self.db.batch_get(STAFF, [{"staffId": sid} for sid in staff_ids])
        return {m.staff_id: m for m in map(_from_item, items)}

    def find_by_email(self, email: str) -> StaffMember | None:
        # The index holds the ids only: the account itself is then read by id, consistently.
        result = self.db.query(STAFF, Key("email").eq(normalize_email(email)), index=_BY_EMAIL, limit=1)
        return self.get(result.items[0]["staffId"], consistent=True) if result.items else None

    def update_fields(self, staff_id: str, **fields: Any) -> StaffMember:
        item = self.db.update(
            STAFF,
            {"staffId": staff_id},
            set_values=fields,
            condition=Attr("staffId").exists(),
            token=new_request_token(),
        )
        return _from_item(item)
