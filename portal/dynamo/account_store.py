"""Changes every kind of account shares: password, verification, two-factor.

Clients, therapists and staff live in three tables with the same shape of
credentials, so these updates are written once, keyed by the account kind.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase

from portal.domain import AccountKind, AuditEvent, Conflict, NotFound
from portal.dynamo.audit import audit_put
from portal.dynamo.base import Repository
from portal.dynamo.gateway import TransactionCancelled, TransactUpdate, new_request_token
from portal.dynamo.schema import CLIENTS, STAFF, THERAPISTS, Table
from portal.timeutil import to_iso

_TABLES: dict[AccountKind, Table] = {
    AccountKind.CLIENT: CLIENTS,
    AccountKind.THERAPIST: THERAPISTS,
    AccountKind.STAFF: STAFF,
}


# Every change that must end or refresh open sessions adds one to accountVersion
# in the same UpdateItem; a session holding an older number is stale.
_BUMP_VERSION = {"accountVersion": 1}


@dataclass(frozen=True)
class MfaState:
    secret: str | None
    recovery_hashes: frozenset[str]
    last_step: int


class AccountStore(Repository):
    def _update(
        self,
        kind: AccountKind,
        account_id: str,
        *,
        set_values: dict[str, Any] | None = None,
        remove: tuple[str, ...] = (),
        delete_from_sets: dict[str, set[str]] | None = None,
        add: dict[str, int] | None = None,
        condition: ConditionBase | None = None,
    ) -> dict[str, Any]:
        """UpdateItem on an existing account only (never creates one)."""
        table = _TABLES[kind]
        exists: ConditionBase = Attr(table.hash_key).exists()
        return self.db.update(
            table,
            {table.hash_key: account_id},
            set_values=set_values,
            remove=remove,
            delete_from_sets=delete_from_sets,
            add=add,
            condition=exists & condition if condition is not None else exists,
            # Two-factor on, a recovery code used, a TOTP step claimed: a retry of
            # one of these after it landed must read as success, not "already".
            token=new_request_token(),
        )

    def set_password_hash(self, kind: AccountKind, account_id: str, password_hash: str) -> int:
        """Store a new password hash and return the account's new version.

        The version is bumped in the same UpdateItem, so no session can see the
        new password with the old version: every other open session ends at its
        next check (see portal/accounts/session_user.py).
        """
        try:
            item = self._update(
                kind, account_id, set_values={"passwordHash": password_hash}, add=_BUMP_VERSION
            )
        except Conflict:
            raise NotFound("No such account.") from None
        return int(item["accountVersion"])

    def mark_email_verified(self, kind: AccountKind, account_id: str) -> None:
        try:
            self._update(kind, account_id, set_values={"emailVerified": True})
        except Conflict:
            raise NotFound("No such account.") from None

    def set_preferences(self, kind: AccountKind, account_id: str, *, time_zone: str, optional_emails: bool) -> None:
        """A person's time zone and whether they get optional emails (an absent flag means yes)."""
        try:
            if optional_emails:
                self._update(kind, account_id, set_values={"timeZone": time_zone}, remove=("optionalEmails",))
            else:
                self._update(kind, account_id, set_values={"timeZone": time_zone, "optionalEmails": False})
        except Conflict:
            raise NotFound("No such account.") from None

    def mfa_state(self, kind: AccountKind, account_id: str) -> MfaState:
        table = _TABLES[kind]
        item = self.db.get(table, {table.hash_key: account_id}, consistent=True)
        if item is None:
            raise NotFound("No such account.")
        return MfaState(
            secret=item.get("mfaSecret"),
            recovery_hashes=frozenset(item.get("mfaRecoveryHashes", ())),  # a String Set
            last_step=int(item.get("mfaLastStep", 0)),
        )

    def enable_mfa(
        self,
        kind: AccountKind,
        account_id: str,
        *,
        secret: str,
        recovery_hashes: Collection[str],
        last_step: int,
    ) -> None:
        """Turn two-factor on in one write: secret, recovery codes and the step already used.

        Refused with ``Conflict`` when the account already has a secret, so a
        second, concurrent setup cannot silently replace the first one.
        """
        table = _TABLES[kind]
        try:
            self._update(
                kind,
                account_id,
                set_values={
                    "mfaSecret": secret,
                    # What indexes may show of two-factor (schema.py, DIRECTORY_ATTRIBUTES).
                    "mfaEnabled": True,
                    # DynamoDB has no empty sets: with no codes the attribute is absent (None removes it).
                    "mfaRecoveryHashes": set(recovery_hashes) or None,
                    "mfaLastStep": last_step,
                },
                condition=Attr("mfaSecret").not_exists(),
            )
        except Conflict:
            # Only the failure path pays for a read, to say which condition failed.
            if self.db.get(table, {table.hash_key: account_id}, consistent=True) is None:
                raise NotFound("No such account.") from None
            raise Conflict("Two-factor authentication is already on for this account.") from None

    def disable_mfa(self, kind: AccountKind, account_id: str) -> None:
        """Two-factor off by the person's own choice (staff resetting it use ``reset_mfa``).

        Sessions stay: the person proved both factors to get here.
        """
        try:
            self._update(kind, account_id, remove=("mfaSecret", "mfaEnabled", "mfaRecoveryHashes", "mfaLastStep"))
        except Conflict:
            raise NotFound("No such account.") from None

    def replace_recovery_hashes(
        self, kind: AccountKind, account_id: str, recovery_hashes: Collection[str]
    ) -> None:
        """New recovery codes in place of all the old ones; only while two-factor is on."""
        try:
            self._update(
                kind,
                account_id,
                set_values={"mfaRecoveryHashes": set(recovery_hashes) or None},
                condition=Attr("mfaSecret").exists(),
            )
        except Conflict:
            raise NotFound("Two-factor authentication is not on for this account.") from None

    def _update_audited(
        self,
        kind: AccountKind,
        account_id: str,
        audit: AuditEvent,
        *,
        set_values: dict[str, Any] | None = None,
        remove: tuple[str, ...] = (),
        add: dict[str, int] | None = None,
    ) -> None:
        """One UpdateItem on an existing account and its audit event, in one transaction.

        A staff action is never done without its record, nor recorded without being done.
        """
        table = _TABLES[kind]
        try:
            self.db.transact_write(
                [
                    TransactUpdate(
                        table,
                        {table.hash_key: account_id},
                        set_values=set_values or {},
                        remove=remove,
                        add=add,
                        condition=Attr(table.hash_key).exists(),
                    ),
                    audit_put(audit),
                ]
            )
        except TransactionCancelled as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                raise NotFound("No such account.") from None
            raise

    def set_deactivated(
        self, kind: AccountKind, account_id: str, deactivated: bool, *, audit: AuditEvent
    ) -> None:
        """Deactivate or reactivate, with its audit event.

        ``deactivated`` is present only while true, and the version moves in the
        same write, so an open session sees either both changes or neither.
        """
        self._update_audited(
            kind,
            account_id,
            audit,
            set_values={"deactivated": True if deactivated else None},
            add=_BUMP_VERSION,
        )

    def reset_mfa(self, kind: AccountKind, account_id: str, *, audit: AuditEvent) -> None:
        """Staff take two-factor off after a lost phone; the person enrolls again at their next login."""
        self._update_audited(
            kind,
            account_id,
            audit,
            remove=("mfaSecret", "mfaEnabled", "mfaRecoveryHashes", "mfaLastStep"),
            add=_BUMP_VERSION,
        )

    def set_listed(self, therapist_id: str, listed: bool, *, audit: AuditEvent) -> None:
        """Show a therapist in the directory or take them out (absent means listed)."""
        self._update_audited(
            AccountKind.THERAPIST,
            therapist_id,
            audit,
            set_values={"listed": None if listed else False},
        )

    def record_login(self, kind: AccountKind, account_id: str, at: datetime) -> None:
        """When the account last logged in (shown to staff)."""
        try:
            self._update(kind, account_id, set_values={"lastLoginAt": to_iso(at)})
        except Conflict:
            raise NotFound("No such account.") from None

    def claim_totp_step(self, kind: AccountKind, account_id: str, step: int) -> bool:
        """Record that a TOTP code of ``step`` was used; False if it (or a later one) was already used.

        A code can then be replayed by nobody, not even within its 30 seconds.
        """
        try:
            self._update(
                kind,
                account_id,
                set_values={"mfaLastStep": step},
                condition=Attr("mfaLastStep").not_exists() | Attr("mfaLastStep").lt(step),
            )
        except Conflict:
            return False
        return True

    def consume_recovery_hash(
        self,
        kind: AccountKind,
        account_id: str,
        recovery_hash: str,
    ) -> bool:
        """Remove one recovery code; False if it was not there (already used, or wrong).

        The hashes are a String Set and one code is taken out with ``DELETE``
        under the condition that it is still in the set, so the write never
        depends on what an earlier read saw: two logins with the same code
        cannot both succeed, and two with different codes both do. When the
        set empties DynamoDB removes the attribute.
        """
        try:
            self._update(
                kind,
                account_id,
                delete_from_sets={"mfaRecoveryHashes": {recovery_hash}},
                condition=Attr("mfaRecoveryHashes").contains(recovery_hash),
            )
        except Conflict:
            return False
        return True
