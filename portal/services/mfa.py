"""Two-factor authentication with an authenticator app (TOTP) and recovery codes.

Recovery codes are random (50 bits each), so a plain SHA-256 of each is
enough to store them; each works once. A TOTP code works once as well: the
time step of the last accepted code is stored and older or equal steps are
refused, so an observed code cannot be replayed within its 30 seconds.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time

import pyotp
import segno

from portal.accounts.user import User
from portal.domain import Conflict, DomainError
from portal.dynamo.account_store import AccountStore

logger = logging.getLogger(__name__)

ISSUER = "Therapy portal"
RECOVERY_CODE_COUNT = 8
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class InvalidCode(DomainError):
    pass


class MfaAlreadyEnabled(InvalidCode, Conflict):
    """Two-factor is already on (another setup finished first); the first secret stays."""



def mfa_new_secret() -> str:
    return pyotp.random_base32()


def mfa_provisioning_uri(*, secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def mfa_qr_data_uri(*, secret: str, email: str) -> str:
    """The QR code as an SVG data URI (allowed by the CSP's img-src data:)."""
    qr = segno.make(mfa_provisioning_uri(secret=secret, email=email), error="m")
    return qr.svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.lower().encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _matching_step(secret: str, code: str, at: float) -> int | None:
    """The time step a 6-digit code belongs to (now, or one step either side)."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    step = int(at // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.at(candidate * totp.interval), code):
            return candidate
    return None


def mfa_enable(*, user: User, secret: str, code: str, now: float | None = None) -> list[str]:
    """Turn two-factor on once the person proves their app has the secret.

    Returns the recovery codes, shown once and never again.
    """
    step = _matching_step(secret, code, now if now is not None else time.time())
    if step is None:
        raise InvalidCode("That code did not match. Check the time on your phone and try again.")
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    try:
        # One write: secret, codes and the step just used, so two-factor is never on
        # without the codes having been shown, and the proving code cannot be replayed.
        AccountStore().enable_mfa(
            user.kind,
            user.account_id,
            secret=secret,
            recovery_hashes={_hash_code(c.replace("-", "")) for c in codes},
            last_step=step,
        )
    except Conflict:
        raise MfaAlreadyEnabled(
            "Two-factor authentication is already on for this account. "
            "Use the app and recovery codes from when it was first set up."
        ) from None
    user.mfa_enabled = True
    logger.info("two-factor enabled for account %s", user.pk)
    return codes


def mfa_recovery_codes_regenerate(*, user: User) -> list[str]:
    """New recovery codes in place of every old one (used or not); shown once."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    AccountStore().replace_recovery_hashes(
        user.kind, user.account_id, {_hash_code(c.replace("-", "")) for c in codes}
    )
    logger.info("recovery codes regenerated for account %s", user.pk)
    return codes


def mfa_verify(*, user: User, code: str, now: float | None = None) -> None:
    """Accept a current TOTP code or an unused recovery code; raise InvalidCode otherwise."""
    store = AccountStore()
    state = store.mfa_state(user.kind, user.account_id)
    if state.secret is None:
        raise InvalidCode("Two-factor authentication is not set up for this account.")
    cleaned = code.replace("-", "").replace(" ", "").lower()
    step = _matching_step(state.secret, cleaned, now if now is not None else time.time())
    if step is not None:
        if step > state.last_step and store.claim_totp_step(user.kind, user.account_id, step):
            return
        raise InvalidCode("That code was already used. Wait for the next one.")
    hashed = _hash_code(cleaned)
    # The DELETE is conditional on the code still being there, whatever this read saw.
    if hashed in state.recovery_hashes and store.consume_recovery_hash(user.kind, user.account_id, hashed):
        logger.info("recovery code used for account %s", user.pk)
        return
    raise InvalidCode("That code did not match.")
