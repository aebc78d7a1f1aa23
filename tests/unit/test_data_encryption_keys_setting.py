"""DATA_ENCRYPTION_KEYS: parsed strictly, required in production, generated locally by `make run`."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from devtools.local_keys import local_data_encryption_keys
from therapy_site.env import env_key_list

ROOT = Path(__file__).resolve().parents[2]
KEY = base64.b64encode(b"k" * 32).decode()
OTHER = base64.urlsafe_b64encode(b"\xfb" * 32).decode()


def test_it_reads_ids_and_keys_in_order(monkeypatch) -> None:
    monkeypatch.setenv("X_KEYS", f"new-2:{OTHER}, old_1:{KEY}")
    assert env_key_list("X_KEYS") == [("new-2", b"\xfb" * 32), ("old_1", b"k" * 32)]
    monkeypatch.setenv("X_KEYS", "")
    assert env_key_list("X_KEYS") == []


@pytest.mark.parametrize(
    "value",
    [
        KEY,  # no id
        f"a:{KEY},a:{OTHER}",  # the same id twice
        "a:" + base64.b64encode(b"short").decode(),  # not 32 bytes
        "a:%%%not-base64",
        f"bad id:{KEY}",
    ],
)
def test_it_refuses_malformed_master_keys(monkeypatch, value: str) -> None:
    monkeypatch.setenv("X_KEYS", value)
    with pytest.raises(ImproperlyConfigured, match="X_KEYS"):
        env_key_list("X_KEYS")


def test_it_refuses_to_start_in_production_without_master_keys() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DYNAMODB_", "DATA_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="therapy_site.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="production-like-" + "q" * 50,
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DATA_ENCRYPTION_KEYS must be set" in result.stderr


def test_it_generates_a_local_key_file_once_and_reuses_it(tmp_path: Path, monkeypatch) -> None:
    first = local_data_encryption_keys(tmp_path / "var")
    again = local_data_encryption_keys(tmp_path / "var")

    assert first == again
    assert (tmp_path / "var" / "data-encryption-keys").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("X_KEYS", first)
    [(key_id, key)] = env_key_list("X_KEYS")
    assert key_id == "local-1" and len(key) == 32


def test_a_kms_key_alone_is_enough_in_production() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DYNAMODB_", "DATA_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="therapy_site.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="production-like-" + "q" * 50,
        DJANGO_ALLOWED_HOSTS="portal.example.com",
        PORTAL_BASE_URL="https://portal.example.com",
        DATA_KEYS_KMS_KEY_ID="alias/therapy-portal-data-keys",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATA_KEYS_KMS_KEY_ID, settings.DATA_ENCRYPTION_KEYS)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "alias/therapy-portal-data-keys []"
