"""The Clients table (seed: Sign Up = PutItem, Login = Query GSI_Clients_ByEmail, Get = GetItem)."""

from __future__ import annotations

from typing import Any

from portal.domain import AccountKind, Client
from portal.dynamo.account_search import search_key_attributes
from portal.dynamo.accounts import AccountRepository, person_attributes, person_fields
from portal.dynamo.gateway import Item
from portal.dynamo.schema import CLIENTS


class ClientRepository(AccountRepository[Client]):
    table = CLIENTS
    kind = AccountKind.CLIENT
    by_email_index = "GSI_Clients_ByEmail"
    scope = "clients"

    def to_item(self, account: Client) -> dict[str, Any]:
        return {
            "clientId": account.client_id,
            **person_attributes(account),
            **search_key_attributes(account.client_id, account.name, account.email),
        }

    def from_item(self, item: Item) -> Client:
        return Client(client_id=item["clientId"], **person_fields(item))

    def account_id(self, account: Client) -> str:
        return account.client_id
