"""What staff do to accounts: every action audited with who, when and why.

Staff administer accounts; they never see clinical content. Each action here
takes the staff member (the logged-in user) and a reason they typed, and
writes the change together with its audit event in one transaction, so the
log never misses an action nor records one that did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.accounts.session_store import end_other_sessions
from portal.accounts.user import User, user_key
from portal.domain import AccountKind, AuditEvent, DomainError, NotFound
from portal.dynamo.account_store import AccountStore
from portal.dynamo.audit import AuditRepository, new_audit_event
from portal.dynamo.clients import ClientRepository
from portal.dynamo.therapists import TherapistRepository
from portal.ids import is_valid_id
from portal.policy import own_staff_id
from portal.services import auth

logger = logging.getLogger(__name__)

MIN_REASON_LENGTH = 5
MAX_REASON_LENGTH = 500

# The account kinds staff administer from their pages (staff accounts are
# managed at the command line).
ADMINISTERED_KINDS = (AccountKind.CLIENT, AccountKind.THERAPIST)


class InvalidReason(DomainError):
    pass


class ActionNotApplicable(DomainError):
    """The action makes no sense for this account as it is (e.g. verifying a verified email)."""


@dataclass(frozen=True)
class ActionDone:
    message: str
    event: AuditEvent


def staff_reason_clean(reason: str) -> str:
    """The reason as stored; raises InvalidReason when it says nothing."""
    cleaned = " ".join(reason.split())
    if len(cleaned) < MIN_REASON_LENGTH:
        raise InvalidReason("Say why you are doing this (a few words at least).")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise InvalidReason(f"A reason holds at most {MAX_REASON_LENGTH} characters.")
    return cleaned


def administered_account(kind: str, account_id: str) -> tuple[AccountKind, Any]:
    """The client or therapist a staff page names, read consistently; NotFound otherwise.

    An id that cannot exist is refused before any call to the database.
    """
    if kind not in {str(k) for k in ADMINISTERED_KINDS} or not is_valid_id(account_id):
        raise NotFound("No such account.")
    parsed = AccountKind(kind)
    account: Any
    if parsed is AccountKind.CLIENT:
        account = ClientRepository().get(account_id, consistent=True)
    else:
        account = TherapistRepository().get(account_id, consistent=True)
    if account is None:
        raise NotFound("No such account.")
    return parsed, account


def _event(
    staff: User, kind: AccountKind, account_id: str, action: str, reason: str, **extra: str
) -> AuditEvent:
    return new_audit_event(
        subject_id=account_id,
        action=f"staff.{action}",
        actor_kind=AccountKind.STAFF,
        actor_id=own_staff_id(staff),
        detail={"kind": str(kind), "reason": reason, **extra},
    )


def account_deactivate(*, staff: User, kind: str, account_id: str, reason: str) -> ActionDone:
    """Refuse the account's logins from now on and end every session it has."""
    cleaned = staff_reason_clean(reason)
    parsed, account = administered_account(kind, account_id)
    if account.deactivated:
        raise ActionNotApplicable("This account is already deactivated.")
    event = _event(staff, parsed, account_id, "account.deactivate", cleaned)
    AccountStore().set_deactivated(parsed, account_id, True, audit=event)
    # The flag already refuses the sessions at their next request; deleting them
    # (through the eventually consistent account index) also frees the records.
    ended = end_other_sessions(user_key(parsed, account_id), None)
    logger.info("staff %s deactivated %s:%s, %d session(s) ended", staff.pk, parsed, account_id, ended)
    return ActionDone("The account is deactivated and its sessions are ended.", event)


def account_reactivate(*, staff: User, kind: str, account_id: str, reason: str) -> ActionDone:
    cleaned = staff_reason_clean(reason)
    parsed, account = administered_account(kind, account_id)
    if not account.deactivated:
        raise ActionNotApplicable("This account is active.")
    event = _event(staff, parsed, account_id, "account.reactivate", cleaned)
    AccountStore().set_deactivated(parsed, account_id, False, audit=event)
    logger.info("staff %s reactivated %s:%s", staff.pk, parsed, account_id)
    return ActionDone("The account is active again: its owner can log in.", event)


def account_mfa_reset(*, staff: User, kind: str, account_id: str, reason: str) -> ActionDone:
    """Two-factor off after a lost phone: every session ends and the person enrolls again."""
    cleaned = staff_reason_clean(reason)
    parsed, account = administered_account(kind, account_id)
    if not account.mfa_secret:
        raise ActionNotApplicable("Two-factor authentication is not on for this account.")
    event = _event(staff, parsed, account_id, "account.mfa_reset", cleaned)
    AccountStore().reset_mfa(parsed, account_id, audit=event)
    # Whoever holds the lost phone may hold an open session too.
    end_other_sessions(user_key(parsed, account_id), None)
    logger.info("staff %s reset two-factor of %s:%s", staff.pk, parsed, account_id)
    required = parsed is not AccountKind.CLIENT
    return ActionDone(
        "Two-factor authentication is reset. "
        + (
            "The therapist sets it up again when they next log in."
            if required
            else "The client logs in with their password and may set it up again."
        ),
        event,
    )


def account_verification_resend(
    *, staff: User, kind: str, account_id: str, reason: str, link_for: Callable[[str], str]
) -> ActionDone:
    """Send the email-confirmation link again; ``link_for(token)`` makes the absolute link."""
    cleaned = staff_reason_clean(reason)
    parsed, account = administered_account(kind, account_id)
    if account.email_verified:
        raise ActionNotApplicable("This email address is already confirmed.")
    user = User.from_account(parsed, account)
    event = _event(staff, parsed, account_id, "account.verification_resend", cleaned)
    AuditRepository().write(event)
    if not auth.email_verification_send(user=user, link=link_for(auth.email_verification_token(user))):
        raise ActionNotApplicable("The mail server did not take the email; try again in a little while.")
    return ActionDone("A new confirmation email is on its way.", event)


def therapist_set_listed(
    *, staff: User, kind: str, account_id: str, listed: bool, reason: str
) -> ActionDone:
    """Put a therapist in the directory or take them out of it."""
    cleaned = staff_reason_clean(reason)
    parsed, account = administered_account(kind, account_id)
    if parsed is not AccountKind.THERAPIST:
        raise ActionNotApplicable("Only therapists are listed in the directory.")
    if account.listed == listed:
        raise ActionNotApplicable(
            "This therapist is already listed." if listed else "This therapist is already unlisted."
        )
    action = "therapist.list" if listed else "therapist.unlist"
    event = _event(staff, parsed, account_id, action, cleaned)
    AccountStore().set_listed(account_id, listed, audit=event)
    return ActionDone(
        "The therapist is listed in the directory again." if listed else "The therapist is unlisted.",
        event,
    )
