"""One authentication backend per account table, logging in by email.

The login view first reads the email claim (one consistent GetItem) to learn
which kind of account owns the email and passes that kind and the claimed
account id along, so exactly one backend looks the account up (Query on its
email GSI, as the seed says). When no account owns the email the view computes
a hash itself, so exactly one password hash is computed whether or not the
account exists: the response time tells nothing about which emails have
accounts.

The email GSI is eventually consistent on AWS: right after sign-up it may not
list the account yet, and after a change it may hold an old copy. So the index
only says which account to read; the password is checked against the account
read consistently by its id, and when the index has nothing yet the email
claim (read consistently) names the account instead. Every other read that
decides who someone is (``get_user``) is consistent too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest

from portal.accounts.user import Account, User, account_id_of, parse_user_key
from portal.domain import MAX_PASSWORD_LENGTH, AccountKind, normalize_email
from portal.dynamo.accounts import get_email_claim
from portal.dynamo.clients import ClientRepository
from portal.dynamo.connection import get_gateway
from portal.dynamo.staff import StaffRepository
from portal.dynamo.therapists import TherapistRepository


class _AccountBackend(BaseBackend):
    kind: AccountKind

    def _find_by_email(self, email: str) -> Account | None:
        raise NotImplementedError

    def _get(self, account_id: str, *, consistent: bool = False) -> Account | None:
        raise NotImplementedError

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        email: str | None = None,
        password: str | None = None,
        kind: AccountKind | None = None,
        claimed_id: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if kind is not self.kind or not email or not password:
            return None
        if len(password) > MAX_PASSWORD_LENGTH:
            # Refused before hashing: a megabyte "password" must not cost a megabyte of Argon2.
            return None
        account = self._account_for_login(email, claimed_id)
        if account is None:
            make_password(password)  # same cost as a real check
            return None
        if not check_password(password, account.password_hash):
            return None
        # A deactivated account comes back with is_active False: the login view
        # refuses it and says why (only to someone who knew the password).
        return User.from_account(self.kind, account)

    def _account_for_login(self, email: str, claimed_id: str | None) -> Account | None:
        """The account that owns ``email``, read consistently by its id."""
        found = self._find_by_email(email)
        if found is not None:
            # The index lags the table: read the account itself, consistently,
            # so a password changed a moment ago is the one checked.
            account = self._get(account_id_of(found), consistent=True)
            if account is not None and normalize_email(account.email) == normalize_email(email):
                return account
        # The index has not caught up (a sign-up a moment ago): the claim,
        # written in the sign-up's transaction and read consistently, knows.
        if claimed_id is None:
            claim = get_email_claim(get_gateway(), email)
            if claim is None or claim.account_kind is not self.kind:
                return None
            claimed_id = claim.account_id
        return self._get(claimed_id, consistent=True)

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        # Not called on page views (the session carries the user, see
        # portal/accounts/session_user.py); kept for Django's own helpers.
        parsed = parse_user_key(str(user_id))
        if parsed is None or parsed[0] is not self.kind:
            return None
        account = self._get(parsed[1], consistent=True)
        return User.from_account(self.kind, account) if account and account_is_active(account) else None


class ClientBackend(_AccountBackend):
    kind = AccountKind.CLIENT

    def _find_by_email(self, email: str) -> Account | None:
        return ClientRepository().find_by_email(email)

    def _get(self, account_id: str, *, consistent: bool = False) -> Account | None:
        return ClientRepository().get(account_id, consistent=consistent)


class TherapistBackend(_AccountBackend):
    kind = AccountKind.THERAPIST

    def _find_by_email(self, email: str) -> Account | None:
        return TherapistRepository().find_by_email(email)

    def _get(self, account_id: str, *, consistent: bool = False) -> Account | None:
        return TherapistRepository().get(account_id, consistent=consistent)


class StaffBackend(_AccountBackend):
    kind = AccountKind.STAFF

    def _find_by_email(self, email: str) -> Account | None:
        return StaffRepository().find_by_email(email)

    def _get(self, account_id: str, *, consistent: bool = False) -> Account | None:
        return StaffRepository().get(account_id, consistent=consistent)


def account_is_active(account: Account) -> bool:
    """Whether an account may be used at all: False refuses its logins and ends its sessions.

    The one place that decides it, checked at login and whenever a session
    re-reads its account (every POST, and at most a minute apart otherwise).
    A boolean ``deactivated`` attribute on the account item means refuse.
    """
    return not account.deactivated


def load_account(kind: AccountKind, account_id: str) -> Account | None:
    """The account item itself, read consistently: what decides about an account."""
    if kind is AccountKind.CLIENT:
        return ClientRepository().get(account_id, consistent=True)
    if kind is AccountKind.THERAPIST:
        return TherapistRepository().get(account_id, consistent=True)
    return StaffRepository().get(account_id, consistent=True)


BACKEND_FOR_KIND: dict[AccountKind, str] = {
    AccountKind.CLIENT: "portal.accounts.backends.ClientBackend",
    AccountKind.THERAPIST: "portal.accounts.backends.TherapistBackend",
    AccountKind.STAFF: "portal.accounts.backends.StaffBackend",
}
