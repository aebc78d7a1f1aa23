"""`make run`: the local engine with its data under var/, the tables, demo data, the app.

It prints the address only once the app answers there. Ctrl-C (or SIGTERM)
stops the app and the engine and leaves no process behind: the dev server and
its autoreloader run in a process group of their own, which is stopped as a
whole; if the engine dies, the app is stopped too rather than left serving 503s.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from devtools import dynoxide
from devtools.local_keys import local_data_encryption_keys

ROOT = Path(__file__).resolve().parent.parent
DATA_FILE = ROOT / "var" / "dynamodb.sqlite"
HOST = "127.0.0.1"


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _send_due_notices_every_minute(env: dict[str, str], stop: threading.Event) -> None:
    """What a production scheduler does: reminders and delayed notices, once a minute."""
    while not stop.wait(60):
        subprocess.run([sys.executable, "manage.py", "send_due_notices"], cwd=ROOT, env=env, check=False)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (a process manager, a closed terminal) cleans up like Ctrl-C.
    raise KeyboardInterrupt


def _wait_until_serving(server: subprocess.Popen[bytes], port: int, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        if dynoxide.port_is_open(port, HOST):
            return True
        time.sleep(0.1)
    return False


def stop_group(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop ``process`` and everything it started (its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    # The autoreloader's child may outlive its parent: finish the whole group.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if process.poll() is None:
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--dynamodb-port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--data-file", type=Path, default=DATA_FILE)
    options = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)

    port = options.port or dynoxide.free_port()
    if dynoxide.port_is_open(port, HOST):
        print(f"Port {port} is already in use: run `make run PORT=<another>`.", file=sys.stderr)
        return 1
    engine: dynoxide.Engine | None = None
    server: subprocess.Popen[bytes] | None = None
    stop_notices = threading.Event()
    try:
        engine = dynoxide.start(port=options.dynamodb_port or None, db_path=options.data_file)
        print(f"Local DynamoDB (dynoxide) at {engine.url}, data in {options.data_file}")
        env = {
            **os.environ,
            "DYNAMODB_ENDPOINT_URL": engine.url,
            "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "true"),
            # Generated on the first start, beside the data it protects.
            "DATA_ENCRYPTION_KEYS": os.environ.get("DATA_ENCRYPTION_KEYS")
            or local_data_encryption_keys(options.data_file.parent),
            "PYTHONUNBUFFERED": "1",
            # Links in reminder emails point at this server.
            "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", f"http://{HOST}:{port}"),
        }
        address = f"http://{HOST}:{port}/"
        _manage("create_tables", env=env)
        _manage("seed_demo", f"--base-url={address}", env=env)
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"{HOST}:{port}"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        if not _wait_until_serving(server, port):
            print("The app did not start; see the messages above.", file=sys.stderr)
            return 1
        print(f"Serving the portal at {address} (Ctrl-C stops it and the engine)", flush=True)
        threading.Thread(target=_send_due_notices_every_minute, args=(env, stop_notices), daemon=True).start()
        while True:
            if server.poll() is not None:
                return server.returncode
            if engine.process.poll() is not None:
                print("The local engine stopped; stopping the app.", file=sys.stderr)
                return 1
            time.sleep(0.5)
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
        # A second Ctrl-C while cleaning up must not leave the engine running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop_notices.set()
        if server is not None:
            stop_group(server)
        if engine is not None:
            engine.stop()
        print("Stopped the portal and the local engine.", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
