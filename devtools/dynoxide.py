"""Start and stop the local DynamoDB engine (dynoxide).

The binary comes from the npm package @dynoxide/linux-x64 (installed by
``make``); on other platforms a ``dynoxide`` on PATH is used, and
``DYNOXIDE_BIN`` overrides both.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_NPM_BINARY = ROOT / "node_modules" / "@dynoxide" / "linux-x64" / "dynoxide"


def find_binary() -> str:
    override = os.environ.get("DYNOXIDE_BIN")
    if override:
        return override
    if _NPM_BINARY.exists():
        return str(_NPM_BINARY)
    on_path = shutil.which("dynoxide")
    if on_path:
        return on_path
    raise FileNotFoundError(
        "dynoxide not found: run `npm install` (or `make deps`), or set DYNOXIDE_BIN."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def _answers(url: str) -> bool:
    request = urllib.request.Request(
        url,
        data=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return True  # it answered, even if it disliked the request
    except OSError:
        return False


@dataclass
class Engine:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(*, port: int | None = None, db_path: Path | None = None, quiet: bool = True) -> Engine:
    """Start dynoxide and wait until it answers (in memory unless ``db_path``)."""
    port = port or free_port()
    if port_is_open(port):
        raise RuntimeError(f"port {port} is already in use; set DYNAMODB_PORT to another one")
    command = [find_binary(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        command += ["--db-path", str(db_path)]
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(command, stdout=output, stderr=output)
    engine = Engine(process, port)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dynoxide exited at start with code {process.returncode}")
        if _answers(engine.url):
            return engine
        time.sleep(0.05)
    engine.stop()
    raise RuntimeError("dynoxide did not answer within 15 s")
