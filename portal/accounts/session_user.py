"""The signed-in person, carried in the server-side session.

A page view must not pay a GetItem for the account on top of the session's own
GetItem, so login stores what pages need about the person (kind, id, name,
email, time zone, verified, two-factor on, account version) in the session,
and every request builds ``request.user`` from that copy.

The copy is checked against the account item itself (a consistent GetItem)
on every POST and whenever the session's idle expiry is pushed, which is at
most a minute apart while someone is active (see middleware.py). The session
ends there when the account is gone, deactivated, or its ``accountVersion``
moved (a password change, deactivation, a two-factor reset): a stale session
dies within a minute for reads and at once for writes. Flags that may change
without ending sessions (email verified, two-factor turned on) are refreshed
the same way, and a view that changes them for the person in front of it calls
``remember_account`` so their own session sees it at once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.base import SessionBase
from django.dispatch import receiver
from django.http import HttpRequest

from portal.accounts.backends import account_is_active, load_account
from portal.accounts.user import Reader, User, parse_user_key
from portal.policy import journal_readers

ACCOUNT_KEY = "_account"


def _snapshot(user: User) -> dict[str, Any]:
    snapshot: dict[str, Any] = {
        "id": user.pk,
        "name": user.name,
        "email": user.email,
        "tz": user.time_zone,
        "verified": user.email_verified,
        "mfa": user.mfa_enabled,
        "version": user.account_version,
    }
    if user.readers is not None:
        snapshot["readers"] = [[r.therapist_id, r.therapist_name] for r in user.readers]
    return snapshot


def with_readers(user: User) -> User:
    """``user`` with a client's current readers loaded (one consistent Query of the mappings).

    The journal says who can read a shared entry. The list rides in the
    session like the name (fresh on every POST, so a share's confirmation
    always names who can read it at that moment); a page view that states it
    reads it again with ``current_readers``, as the copy may be a minute old.
    """
    if user.is_client:
        user.readers = tuple(Reader(m.therapist_id, m.therapist_name) for m in journal_readers(user))
        user.readers_fresh = True
    return user


def current_readers(session: SessionBase, user: User) -> tuple[Reader, ...] | None:
    """Who can read the client's shared entries at this moment, for a page that says so.

    A privacy statement must never name fewer readers than can read. The
    session's copy may be up to a minute old, and a therapist accepting a
    request (or the client accepting in another browser) adds a reader without
    touching this session, so a page that states who can read reads the
    mappings consistently (one Query, whatever the journal's size) unless this
    request already did (every POST does, before the view). The session's copy
    is refreshed with what was read.
    """
    if not user.is_client:
        return user.readers
    if not user.readers_fresh:
        remember_account(session, with_readers(user))
    return user.readers


def refresh_readers(session: SessionBase, user: User) -> None:
    """After the client changed a relationship themself: their own pages show it at once."""
    if user.is_client:
        remember_account(session, with_readers(user))


def remember_account(session: SessionBase, user: User) -> None:
    """Store (or refresh) the session's copy of ``user``; writes only when it changed."""
    snapshot = _snapshot(user)
    stored = session.get(ACCOUNT_KEY)
    if "readers" not in snapshot and isinstance(stored, dict) and stored.get("id") == user.pk and "readers" in stored:
        # A refresh of the account's own fields (email verified, two-factor) keeps the readers.
        snapshot["readers"] = stored["readers"]
    if session.get(ACCOUNT_KEY) != snapshot:
        session[ACCOUNT_KEY] = snapshot


def user_from_session(session: SessionBase) -> User | None:
    """The signed-in user from the session alone (no database call), or None."""
    user_key = session.get(SESSION_KEY)
    snapshot = session.get(ACCOUNT_KEY)
    # A login always stores the copy; a session without one (or with another
    # account's) is treated as signed out rather than trusted half-way.
    if not user_key or not isinstance(snapshot, dict) or snapshot.get("id") != user_key:
        return None
    parsed = parse_user_key(str(user_key))
    if parsed is None:
        return None
    try:
        user = User(id=str(user_key), email=str(snapshot["email"]), name=str(snapshot["name"]))
        user.kind, user.account_id = parsed
        user.time_zone = str(snapshot["tz"])
        user.email_verified = bool(snapshot["verified"])
        user.mfa_enabled = bool(snapshot["mfa"])
        user.account_version = int(snapshot["version"])
        if "readers" in snapshot:
            user.readers = tuple(Reader(str(i), str(n)) for i, n in snapshot["readers"])
    except (KeyError, TypeError, ValueError):
        return None
    # The copy holds no password hash (user.password stays empty): nothing on a
    # page view needs it, and the account version stands in for Django's
    # password-derived session hash.
    return user


def session_account_check(session: SessionBase, user: User) -> User | None:
    """Re-read ``user``'s account consistently: the fresh user, or None if the session must end."""
    account = load_account(user.kind, user.account_id)
    if account is None or not account_is_active(account) or account.account_version != user.account_version:
        return None
    fresh = with_readers(User.from_account(user.kind, account))
    remember_account(session, fresh)
    return fresh


@receiver(user_logged_in, dispatch_uid="portal.accounts.session_user.remember_at_login")
def _remember_at_login(sender: Any, request: HttpRequest, user: User, **_: Any) -> None:
    remember_account(request.session, with_readers(user))
