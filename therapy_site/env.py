"""Typed readers for environment variables that fail loudly on bad values.

A misspelt boolean or a malformed number must stop the process at start-up,
not surface later as a subtly wrong setting in production.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_key_list(name: str, *, key_bytes: int = 32) -> list[tuple[str, bytes]]:
    """``id:base64key,id:base64key`` as (id, key) pairs, in the order given.

    Every key must decode to exactly ``key_bytes`` bytes and every id must be
    unique: a typo in a master key must stop the process, not encrypt data
    under a key nobody can reproduce. An unset or empty variable gives [].
    """
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return []
    keys: list[tuple[str, bytes]] = []
    for position, part in enumerate(p.strip() for p in raw.split(",")):
        key_id, separator, encoded = part.partition(":")
        key_id = key_id.strip()
        if not separator or not key_id or not _KEY_ID.fullmatch(key_id):
            raise ImproperlyConfigured(
                f"{name}: entry {position + 1} must look like id:base64key (id of letters, digits, - or _)."
            )
        try:
            key = base64.urlsafe_b64decode(_pad(encoded.strip().replace("+", "-").replace("/", "_")))
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{name}: the key with id {key_id!r} is not valid base64.") from None
        if len(key) != key_bytes:
            raise ImproperlyConfigured(
                f"{name}: the key with id {key_id!r} is {len(key)} bytes; it must be {key_bytes}."
            )
        if any(existing == key_id for existing, _ in keys):
            raise ImproperlyConfigured(f"{name}: the id {key_id!r} appears twice.")
        keys.append((key_id, key))
    return keys


_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")


def _pad(encoded: str) -> str:
    return encoded + "=" * (-len(encoded) % 4)
