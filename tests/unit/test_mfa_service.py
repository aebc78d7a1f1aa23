"""Two-factor service: enabling in one write, and recovery codes that work exactly once."""

from __future__ import annotations

import pyotp
import pytest

from portal.accounts.user import User
from portal.domain import AccountKind, Conflict
from portal.dynamo import schema
from portal.dynamo.account_store import AccountStore, MfaState
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.connection import get_gateway
from portal.services.mfa import (
    RECOVERY_CODE_COUNT,
    InvalidCode,
    MfaAlreadyEnabled,
    _hash_code,
    mfa_enable,
    mfa_verify,
)
from tests.accounts import make_account


def _enabled_user() -> tuple[User, str, list[str]]:
    user = make_account(AccountKind.CLIENT, mfa_secret="")
    secret = pyotp.random_base32()
    codes = mfa_enable(user=user, secret=secret, code=pyotp.TOTP(secret).now())
    return user, secret, codes


def _hash(code: str) -> str:
    return _hash_code(code.replace("-", ""))


def _state(user: User) -> MfaState:
    return AccountStore().mfa_state(user.kind, user.account_id)


def _stale_reads(monkeypatch: pytest.MonkeyPatch, state: MfaState) -> None:
    """Make mfa_verify work from ``state`` as if it had read it before another login wrote."""
    monkeypatch.setattr(AccountStore, "mfa_state", lambda self, kind, account_id: state)


# --- enabling ------------------------------------------------------------------


def test_enabling_is_one_update_item_that_also_uses_up_the_proving_code(dynamo) -> None:
    user = make_account(AccountKind.CLIENT, mfa_secret="")
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).now()
    with count_dynamodb_calls() as calls:
        codes = mfa_enable(user=user, secret=secret, code=code)
    assert calls.by_operation() == {"UpdateItem": 1}
    assert user.mfa_enabled and len(codes) == RECOVERY_CODE_COUNT
    state = _state(user)
    assert state.secret == secret
    assert state.recovery_hashes == {_hash(c) for c in codes}
    # The code that proved the app is recorded as used: it cannot log anyone in.
    assert state.last_step > 0
    with pytest.raises(InvalidCode, match="already used"):
        mfa_verify(user=user, code=code)


def test_a_second_enable_is_refused_and_keeps_the_first_secret_and_codes(dynamo) -> None:
    user, secret, codes = _enabled_user()
    other = pyotp.random_base32()
    with pytest.raises(MfaAlreadyEnabled, match="already on") as raised:
        mfa_enable(user=user, secret=other, code=pyotp.TOTP(other).now())
    # Shown by the setup view like any wrong code, and still a Conflict for anyone else.
    assert isinstance(raised.value, InvalidCode) and isinstance(raised.value, Conflict)
    state = _state(user)
    assert state.secret == secret
    assert state.recovery_hashes == {_hash(c) for c in codes}


# --- recovery codes ---------------------------------------------------------------


def test_a_recovery_code_cannot_be_used_twice_even_from_a_stale_read(dynamo, monkeypatch) -> None:
    user, _, codes = _enabled_user()
    store = AccountStore()
    stale = _state(user)
    # Another login consumes the code after this one read the state...
    assert store.consume_recovery_hash(user.kind, user.account_id, _hash(codes[0]))
    # ...so this one, still seeing the code in its stale read, is refused.
    assert _hash(codes[0]) in stale.recovery_hashes
    assert not store.consume_recovery_hash(user.kind, user.account_id, _hash(codes[0]))
    _stale_reads(monkeypatch, stale)
    with pytest.raises(InvalidCode, match="did not match"):
        mfa_verify(user=user, code=codes[0])
    monkeypatch.undo()
    assert _state(user).recovery_hashes == {_hash(c) for c in codes[1:]}


def test_two_different_codes_from_the_same_read_both_work_and_leave_the_others(
    dynamo, monkeypatch
) -> None:
    user, _, codes = _enabled_user()
    _stale_reads(monkeypatch, _state(user))
    # Two logins read the same state, then each consumes its own code: neither
    # write may put back the other's code (the old whole-list write did).
    mfa_verify(user=user, code=codes[0])
    mfa_verify(user=user, code=codes[1].upper())
    monkeypatch.undo()
    assert _state(user).recovery_hashes == {_hash(c) for c in codes[2:]}
    for used in codes[:2]:
        with pytest.raises(InvalidCode):
            mfa_verify(user=user, code=used)


def test_the_last_code_leaves_no_empty_set_behind(dynamo) -> None:
    user, _, codes = _enabled_user()
    for code in codes:
        mfa_verify(user=user, code=code)
    state = _state(user)
    assert state.recovery_hashes == frozenset() and state.secret is not None
    item = get_gateway().get(schema.CLIENTS, {schema.CLIENTS.hash_key: user.account_id})
    assert item is not None and "mfaRecoveryHashes" not in item
    with pytest.raises(InvalidCode):
        mfa_verify(user=user, code=codes[-1])
