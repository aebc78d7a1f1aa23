"""`make rebuild-local-data`: rebuild the local tables whose shape differs from schema.py, keeping their data.

For a var/dynamodb.sqlite made by an earlier `make run` (keys and local
indexes cannot change on an existing table). Starts the local engine on that
data, copies each drifted table into its new shape, and stops the engine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from devtools import dynoxide
from devtools.run_local import DATA_FILE, ROOT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dynamodb-port", type=int, default=8765)
    parser.add_argument("--data-file", type=Path, default=DATA_FILE)
    options = parser.parse_args()
    data_file: Path = options.data_file
    if not data_file.exists():
        print(f"No local data at {data_file}: nothing to rebuild (make run creates it).")
        return 0
    engine = dynoxide.start(port=options.dynamodb_port, db_path=data_file)
    env = {**os.environ, "DYNAMODB_ENDPOINT_URL": engine.url, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "true")}
    try:
        completed = subprocess.run(
            [sys.executable, "manage.py", "rebuild_table", "--drifted"], cwd=ROOT, env=env, check=False
        )
        return completed.returncode
    finally:
        engine.stop()


if __name__ == "__main__":
    raise SystemExit(main())
