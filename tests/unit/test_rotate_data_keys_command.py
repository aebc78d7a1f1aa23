"""manage.py rotate_data_keys: rewraps under the newest master key, safe to run twice."""

from __future__ import annotations

import io
import os

from django.core.management import call_command

from portal.dynamo import schema
from portal.dynamo.field_crypto import client_key_owner, decrypt_text, encrypt_text
from portal.ids import new_id


def _run() -> str:
    out = io.StringIO()
    call_command("rotate_data_keys", "--page-size", "2", stdout=out)
    return out.getvalue()


def test_it_rewraps_every_key_and_does_nothing_the_second_time(dynamo, settings) -> None:
    old, new = ("2025", os.urandom(32)), ("2026", os.urandom(32))
    settings.DATA_ENCRYPTION_KEYS = [old]
    owners = [client_key_owner(new_id()) for _ in range(3)]
    stored = {owner: encrypt_text(owner, "ctx", owner) for owner in owners}
    settings.DATA_ENCRYPTION_KEYS = [new, old]

    assert "Done: 3 rewrapped, 0 already under '2026'" in _run()
    assert "Done: 0 rewrapped, 3 already under '2026'" in _run()

    settings.DATA_ENCRYPTION_KEYS = [new]
    assert all(decrypt_text(owner, "ctx", stored[owner]) == owner for owner in owners)
    raw = dynamo.client.scan(TableName=dynamo.table_name(schema.DATA_KEYS))["Items"]
    assert {item["masterKeyId"]["S"] for item in raw} == {"2026"}
