"""The authentication backends check the account as stored now, not as the email index last saw it."""

from __future__ import annotations

from dataclasses import replace
from unittest import mock

from django.contrib.auth.hashers import make_password

from portal.accounts.backends import ClientBackend
from portal.domain import AccountKind
from portal.dynamo.clients import ClientRepository
from tests.accounts import PASSWORD, make_account

NEW_PASSWORD = "a brand new calm sentence"


def test_it_checks_the_current_password_when_the_email_index_lags(dynamo):
    user = make_account(AccountKind.CLIENT)
    stale = ClientRepository().get(user.account_id)
    assert stale is not None
    from portal.dynamo.account_store import AccountStore

    AccountStore().set_password_hash(AccountKind.CLIENT, user.account_id, make_password(NEW_PASSWORD))
    # The index still answers with the account as it was before the change.
    with mock.patch.object(ClientRepository, "find_by_email", return_value=replace(stale)):
        backend = ClientBackend()
        assert backend.authenticate(None, email=user.email, password=PASSWORD, kind=AccountKind.CLIENT) is None
        fresh = backend.authenticate(None, email=user.email, password=NEW_PASSWORD, kind=AccountKind.CLIENT)
    assert fresh is not None and fresh.pk == user.pk


def test_it_ignores_a_login_meant_for_another_kind_of_account(dynamo):
    user = make_account(AccountKind.CLIENT)
    assert ClientBackend().authenticate(None, email=user.email, password=PASSWORD, kind=AccountKind.STAFF) is None
    assert ClientBackend().get_user(f"therapist:{user.account_id}") is None
