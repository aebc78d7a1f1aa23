"""The Clients table (seed: Sign Up = PutItem, Login = Query GSI_Clients_ByEmail, Get = GetItem)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from portal.domain import AccountKind, Client, Page, normalize_email
from portal.dynamo.accounts import put_account_with_email_claim
from portal.dynamo.base import Repository, scan_page
from portal.dynamo.gateway import Item, new_request_token
from portal.dynamo.schema import CLIENTS
from portal.timeutil import maybe_from_iso, to_iso, utcnow

_BY_EMAIL = "GSI_Clients_ByEmail"


def _to_item(client: Client) -> dict[str, Any]:
    return {
        "clientId": client.client_id,
        "email": normalize_email(client.email),
        "name": client.name,
        "passwordHash": client.password_hash,
        "timeZone": client.time_zone,
        "emailVerified": client.email_verified,
        "createdAt": to_iso(client.created_at or utcnow()),
        "mfaSecret": client.mfa_secret,
        "deactivated": True if client.deactivated else None,
        "lastLoginAt": to_iso(client.last_login_at) if client.last_login_at else None,
    }


def _from_item(item: Item) -> Client:
    return Client(
        client_id=item["clientId"],
        email=item["email"],
        name=item["name"],
        password_hash=item["passwordHash"],
        time_zone=item.get("timeZone", "UTC"),
        email_verified=bool(item.get("emailVerified", False)),
        created_at=maybe_from_iso(item.get("createdAt")),
        mfa_secret=item.get("mfaSecret"),
        deactivated=bool(item.get("deactivated", False)),
        account_version=int(item.get("accountVersion", 0)),
        last_login_at=maybe_from_iso(item.get("lastLoginAt")),
    )


class ClientRepository(Repository):
    def sign_up(self, client: Client) -> Client:
        """PutItem in Clients, together with the email claim (raises EmailTaken)."""
        put_account_with_email_claim(
            self.db,
            table=CLIENTS,
            item=_to_item(client),
            kind=AccountKind.CLIENT,
            account_id=client.client_id,
            email=client.email,
        )
        return client

    def get(self, client_id: str, *, consistent: bool = False) -> Client | None:
        item = self.db.get(CLIENTS, {"clientId": client_id}, consistent=consistent)
        return _from_item(item) if item else None

    def get_many(self, client_ids: Iterable[str], *, consistent: bool = False) -> dict[str, Client]:
        items = self.db.batch_get(CLIENTS, [{"clientId": cid} for cid in client_ids], consistent=consistent)
        return {c.client_id: c for c in map(_from_item, items)}

    def find_by_email(self, email: str) -> Client | None:
        # The index holds the ids only (no password hash or two-factor secret in any
        # index): the account itself is then read by id, consistently.
        result = self.db.query(
            CLIENTS, Key("email").eq(normalize_email(email)), index=_BY_EMAIL, limit=1
        )
        return self.get(result.items[0]["clientId"], consistent=True) if result.items else None

    def update_fields(self, client_id: str, **fields: Any) -> Client:
        """Set attributes of an existing client (never creates one)."""
        item = self.db.update(
            CLIENTS,
            {"clientId": client_id},
            set_values=fields,
            condition=Attr("clientId").exists(),
            token=new_request_token(),
        )
        return _from_item(item)

    def list_page(self, *, limit: int = 25, cursor: str | None = None) -> Page[Client]:
        """A page of every client (a Scan: for staff only)."""
        return scan_page(self.db, CLIENTS, limit=limit, scope="clients.all", cursor=cursor, convert=_from_item)
