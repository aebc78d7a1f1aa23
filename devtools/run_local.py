"""`make run`: the local engine with its data under var/, the tables, demo data, the app.

Ctrl-C stops the app and the engine; the next run finds the data again.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from devtools import dynoxide
from devtools.local_keys import local_data_encryption_keys

ROOT = Path(__file__).resolve().parent.parent
DATA_FILE = ROOT / "var" / "dynamodb.sqlite"


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _send_due_notices_every_minute(env: dict[str, str], stop: threading.Event) -> None:
    """What a production scheduler does: reminders and delayed notices, once a minute."""
    while not stop.wait(60):
        subprocess.run([sys.executable, "manage.py", "send_due_notices"], cwd=ROOT, env=env, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--dynamodb-port", type=int, default=8765)
    options = parser.parse_args()

    engine = dynoxide.start(port=options.dynamodb_port, db_path=DATA_FILE)
    print(f"Local DynamoDB (dynoxide) at {engine.url}, data in {DATA_FILE.relative_to(ROOT)}")
    env = {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": engine.url,
        "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "true"),
        # Generated under var/ on the first start, beside the data it protects.
        "DATA_ENCRYPTION_KEYS": os.environ.get("DATA_ENCRYPTION_KEYS")
        or local_data_encryption_keys(ROOT / "var"),
        "PYTHONUNBUFFERED": "1",
        # Links in reminder emails point at this server.
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", f"http://127.0.0.1:{options.port}"),
    }
    server: subprocess.Popen[bytes] | None = None
    stop_notices = threading.Event()
    try:
        _manage("create_tables", env=env)
        _manage("seed_demo", env=env)
        print(f"Serving the portal at http://127.0.0.1:{options.port}/ (Ctrl-C stops it and the engine)")
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{options.port}"],
            cwd=ROOT,
            env=env,
        )
        threading.Thread(target=_send_due_notices_every_minute, args=(env, stop_notices), daemon=True).start()
        return server.wait()
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as exc:
        print(f"Setting up the local data failed: {exc}", file=sys.stderr)
        print(
            "If create_tables said the tables differ from schema.py, your local data was made by an earlier "
            "version: run `make rebuild-local-data` (keeps the data) or delete var/dynamodb.sqlite.",
            file=sys.stderr,
        )
        return 1
    finally:
        stop_notices.set()
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        engine.stop()
        print("Stopped the portal and the local engine.")


if __name__ == "__main__":
    raise SystemExit(main())
