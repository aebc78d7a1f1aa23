"""A person's own account security: their sessions, recovery codes, turning two-factor off.

Changing a factor asks for the password again (and for turning two-factor off
a current code too), so someone at an unlocked screen cannot weaken the
account. Those checks are throttled per account like a password change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import check_password

from portal.accounts.session_store import end_other_sessions
from portal.accounts.user import User
from portal.domain import AccountKind, DomainError, NotFound
from portal.dynamo.account_store import AccountStore
from portal.dynamo.clients import ClientRepository
from portal.dynamo.staff import StaffRepository
from portal.dynamo.therapists import TherapistRepository
from portal.dynamo.web_sessions import WebSessionRepository
from portal.policy import NotAllowed, may_turn_off_mfa
from portal.services.mfa import mfa_recovery_codes_regenerate, mfa_verify
from portal.services.throttle import throttle_attempt, throttle_release

logger = logging.getLogger(__name__)

_SCOPE = "reauthenticate"


class WrongPassword(DomainError):
    pass


@dataclass(frozen=True)
class SessionInfo:
    device: str
    logged_in_at: datetime | None
    expires_at: datetime
    current: bool


def own_sessions_list(*, user: User, current_session_key: str | None) -> list[SessionInfo]:
    """The person's live sessions, this one first: one Query of the account index."""
    records = WebSessionRepository().list_for_account(user.pk)
    sessions = [
        SessionInfo(
            device=record.device or "Unknown device",
            logged_in_at=record.logged_in_at,
            expires_at=record.expires_at,
            current=record.session_key == current_session_key,
        )
        for record in records
    ]
    return sorted(sessions, key=lambda s: not s.current)


def own_sessions_end_others(*, user: User, current_session_key: str | None) -> int:
    """Log out every other device; this one stays."""
    ended = end_other_sessions(user.pk, current_session_key)
    logger.info("account %s ended %d other session(s)", user.pk, ended)
    return ended


def _account(user: User) -> Any:
    # Consistent: the password checked is the one stored now.
    if user.kind is AccountKind.CLIENT:
        account: Any = ClientRepository().get(user.account_id, consistent=True)
    elif user.kind is AccountKind.THERAPIST:
        account = TherapistRepository().get(user.account_id, consistent=True)
    else:
        account = StaffRepository().get(user.account_id, consistent=True)
    if account is None:
        raise NotFound("No such account.")
    return account


def _check_password(user: User, password: str) -> None:
    """Raise WrongPassword (counted) or Throttled; a right password gives its attempt back."""
    ticket = throttle_attempt(scope=_SCOPE, identifiers=[f"account:{user.pk}"], refund_refused=True)
    if not check_password(password, _account(user).password_hash):
        raise WrongPassword("That password was not right.")
    throttle_release(ticket)


def own_recovery_codes_regenerate(*, user: User, password: str) -> list[str]:
    """New recovery codes (the old ones stop working); raises WrongPassword or Throttled."""
    if not user.mfa_enabled:
        raise NotAllowed("Two-factor authentication is not on.")
    _check_password(user, password)
    return mfa_recovery_codes_regenerate(user=user)


def own_mfa_turn_off(*, user: User, password: str, code: str) -> None:
    """Clients only (therapists and staff must keep it): with the password and a current code.

    Raises NotAllowed, WrongPassword, Throttled or InvalidCode.
    """
    if not may_turn_off_mfa(user):
        raise NotAllowed("Two-factor authentication is required for your account.")
    if not user.mfa_enabled:
        raise NotAllowed("Two-factor authentication is already off.")
    _check_password(user, password)
    ticket = throttle_attempt(scope="mfa", identifiers=[f"account:{user.pk}"], refund_refused=True)
    mfa_verify(user=user, code=code)
    throttle_release(ticket)
    AccountStore().disable_mfa(user.kind, user.account_id)
    user.mfa_enabled = False
    logger.info("two-factor turned off by account %s", user.pk)
