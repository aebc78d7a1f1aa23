"""Making accounts and logging them in, for view tests."""

from __future__ import annotations

import pyotp
from django.test import Client as HttpClient

from portal.accounts.backends import BACKEND_FOR_KIND
from portal.accounts.user import User
from portal.domain import AccountKind
from portal.dynamo.account_store import AccountStore
from portal.ids import new_id
from portal.services.accounts import client_sign_up, staff_create, therapist_sign_up
from portal.services.auth import load_user

PASSWORD = "a quiet harbour at dawn"


def make_account(
    kind: AccountKind,
    *,
    email: str | None = None,
    name: str = "Test Person",
    password: str = PASSWORD,
    verified: bool = True,
    mfa_secret: str | None = None,
) -> User:
    """An account in DynamoDB. Therapists and staff get two-factor on unless mfa_secret=""."""
    email = email or f"{kind}-{new_id().lower()}@example.com"
    if kind is AccountKind.CLIENT:
        account = client_sign_up(email=email, name=name, password=password, time_zone="Europe/London")
        account_id = account.client_id
    elif kind is AccountKind.THERAPIST:
        account = therapist_sign_up(
            email=email, name=name, password=password, specialization="anxiety", time_zone="UTC"
        )
        account_id = account.therapist_id
    else:
        account_id = staff_create(email=email, name=name, password=password).staff_id
    store = AccountStore()
    if verified:
        store.mark_email_verified(kind, account_id)
    if mfa_secret is None and kind is not AccountKind.CLIENT:
        mfa_secret = pyotp.random_base32()
    if mfa_secret:
        store.enable_mfa(kind, account_id, secret=mfa_secret, recovery_hashes=set(), last_step=0)
    user = load_user(f"{kind}:{account_id}")
    assert user is not None
    user.test_mfa_secret = mfa_secret  # type: ignore[attr-defined]
    user.test_password = password  # type: ignore[attr-defined]
    return user


def log_in(http: HttpClient, user: User) -> None:
    http.force_login(user, backend=BACKEND_FOR_KIND[user.kind])


def logged_in(http: HttpClient, kind: AccountKind, **options: object) -> User:
    user = make_account(kind, **options)  # type: ignore[arg-type]
    log_in(http, user)
    return user
