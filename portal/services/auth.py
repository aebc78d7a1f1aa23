"""Logging in, verifying email, resetting and changing passwords."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string

from portal.accounts.backends import BACKEND_FOR_KIND, load_account
from portal.accounts.user import User, parse_user_key
from portal.domain import AccountKind, DomainError, EmailClaim, NotFound, normalize_email
from portal.dynamo.account_store import AccountStore
from portal.dynamo.accounts import get_email_claim
from portal.dynamo.connection import get_gateway
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

_VERIFY_SALT = "portal.accounts.verify-email"

HOME_FOR_KIND: dict[AccountKind, str] = {
    AccountKind.CLIENT: "/client/",
    AccountKind.THERAPIST: "/therapist/",
    AccountKind.STAFF: "/staff/",
}


class InvalidToken(DomainError):
    pass


class WrongPassword(DomainError):
    pass


class _ResetTokens(PasswordResetTokenGenerator):
    """Django's reset tokens; a token dies once the password it was made for changes."""

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.password}{timestamp}{user.email}"


reset_tokens = _ResetTokens()


def password_check_without_account(password: str) -> None:
    """Spend what a real password check costs, so an unknown email answers as slowly as a known one."""
    make_password(password)


def _send(*, user: User, subject: str, message: str, purpose: str) -> bool:
    """Send one email; a mail server that fails is logged (account id only), never a 500."""
    try:
        send_mail(
            subject=subject,
            message=message,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("%s email to account %s failed: %s", purpose, user.pk, type(exc).__name__)
        return False
    logger.info("%s email sent to account %s", purpose, user.pk)
    return True


def email_claim_for(email: str) -> EmailClaim | None:
    """Who owns ``email``: one consistent GetItem of the claim written at sign-up."""
    return get_email_claim(get_gateway(), email)


def load_user(user_key: str) -> User | None:
    """The account behind a user key, read consistently (it decides about the account)."""
    parsed = parse_user_key(user_key)
    if parsed is None:
        return None
    account = load_account(*parsed)
    return User.from_account(parsed[0], account) if account else None


def login_recorded(*, user: User) -> None:
    """When the account last logged in, for the staff's account page (one UpdateItem)."""
    AccountStore().record_login(user.kind, user.account_id, utcnow())


def backend_path(user: User) -> str:
    return BACKEND_FOR_KIND[user.kind]


# --- email verification -------------------------------------------------------


def email_verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": normalize_email(user.email)}, salt=_VERIFY_SALT)


def email_verification_send(*, user: User, link: str) -> bool:
    """Send the confirmation link; False if the mail server failed."""
    return _send(
        user=user,
        subject="Confirm your email for the therapy portal",
        message=render_to_string("email/verify_email.txt", {"name": user.name, "link": link}),
        purpose="verification",
    )


def email_verify(*, token: str) -> User:
    try:
        payload = signing.loads(
            token, salt=_VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.BadSignature:
        raise InvalidToken("This confirmation link is invalid or has expired.") from None
    user = load_user(str(payload.get("u", "")))
    if user is None or normalize_email(user.email) != payload.get("e"):
        raise InvalidToken("This confirmation link is invalid or has expired.")
    AccountStore().mark_email_verified(user.kind, user.account_id)
    user.email_verified = True
    logger.info("email verified for account %s", user.pk)
    return user


# --- passwords ------------------------------------------------------------------


def password_reset_send(*, email: str, link_for: Any) -> None:
    """Email a reset link if the address has an account; silently nothing otherwise."""
    claim = get_email_claim(get_gateway(), email)
    if claim is None:
        return
    user = load_user(f"{claim.account_kind}:{claim.account_id}")
    if user is None:
        return
    token = reset_tokens.make_token(user)
    link = link_for(user.pk, token)
    # A failure is only logged: the page answers the same whether or not an email went out.
    _send(
        user=user,
        subject="Reset your therapy portal password",
        message=render_to_string("email/password_reset.txt", {"name": user.name, "link": link}),
        purpose="password reset",
    )


def password_reset_user(*, user_key: str, token: str) -> User:
    user = load_user(user_key)
    if user is None or not reset_tokens.check_token(user, token):
        raise InvalidToken("This reset link is invalid, expired, or already used.")
    return user


def password_set(*, user: User, new_password: str) -> User:
    """Store a new password hash; the caller ends the account's other sessions."""
    new_hash = make_password(new_password)
    user.account_version = AccountStore().set_password_hash(user.kind, user.account_id, new_hash)
    user.password = new_hash
    logger.info("password changed for account %s", user.pk)
    return user


def password_change(*, user: User, old_password: str, new_password: str) -> User:
    current = load_user(user.pk)
    if current is None:
        raise NotFound("No such account.")
    if not check_password(old_password, current.password):
        raise WrongPassword("Your current password was not right.")
    return password_set(user=current, new_password=new_password)
