"""The local master key for `make run`: generated once under var/, then reused.

Production takes DATA_ENCRYPTION_KEYS from its secret store; a developer gets a
random key kept next to the local engine's data, so the data written by one
`make run` is readable by the next (delete both together to start over).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

KEY_FILE_NAME = "data-encryption-keys"


def local_data_encryption_keys(var_dir: Path) -> str:
    """The DATA_ENCRYPTION_KEYS value stored in ``var_dir``, created on first use (mode 0600)."""
    path = var_dir / KEY_FILE_NAME
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = "local-1:" + base64.b64encode(os.urandom(32)).decode("ascii")
    # O_EXCL: two starts racing never write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value
