"""`make run` (devtools/run_local.py) prints the address it really serves, and Ctrl-C leaves nothing running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devtools import dynoxide

ROOT = Path(__file__).resolve().parent.parent.parent
SERVING = re.compile(r"Serving the portal at (http://127\.0\.0\.1:(\d+)/)")


def processes_mentioning(*needles: str) -> list[int]:
    """Pids whose command line contains any of ``needles`` (Linux /proc)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(needle in command for needle in needles):
            found.append(int(entry.name))
    return found


def test_it_prints_the_address_it_serves_and_leaves_no_process_after_ctrl_c(tmp_path: Path) -> None:
    port = dynoxide.free_port()
    data_file = tmp_path / "engine.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DYNAMODB_"))}
    env["PYTHONUNBUFFERED"] = "1"
    # Its own process group, as a terminal's foreground job: Ctrl-C signals the whole group.
    run = subprocess.Popen(
        [sys.executable, "-m", "devtools.run_local", "--port", str(port), "--dynamodb-port", "0",
         "--data-file", str(data_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert run.stdout is not None
    output: list[str] = []
    try:
        deadline = time.monotonic() + 90
        address = None
        while time.monotonic() < deadline and address is None:
            line = run.stdout.readline().decode(errors="replace")
            if not line and run.poll() is not None:
                break
            output.append(line)
            if match := SERVING.search(line):
                address = match.group(1)
                assert int(match.group(2)) == port
        assert address is not None, "".join(output)
        assert f"Log in at {address}accounts/login/" in "".join(output)
        with urllib.request.urlopen(f"{address}healthz", timeout=10) as response:
            assert response.status == 200
        assert processes_mentioning(str(data_file), f"127.0.0.1:{port}")

        os.killpg(run.pid, signal.SIGINT)
        rest, _ = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()

    assert "Stopped the portal and the local engine." in rest.decode(errors="replace")
    time.sleep(0.2)
    assert processes_mentioning(str(data_file), f"127.0.0.1:{port}") == []
    assert not dynoxide.port_is_open(port)
