"""An HTTP proxy in front of the local engine that can lose an answer after the write applied.

On AWS a write can be applied and its answer lost (a read timeout, a dropped
connection); botocore then sends the same request again. moto and dynoxide
always answer, so this proxy makes it happen: told to drop the next answer to
an operation, it forwards that request to the engine (which applies it), reads
the engine's answer and closes the client's connection instead of passing the
answer on. botocore sees the connection closed and retries, exactly as it
would against DynamoDB.
"""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config


class LossyProxy:
    def __init__(self, upstream_url: str) -> None:
        upstream = urlsplit(upstream_url)
        self._upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
        self._lock = threading.Lock()
        self._to_drop: Counter[str] = Counter()
        self.dropped: list[str] = []
        self.forwarded: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
                connection = http.client.HTTPConnection(*proxy._upstream, timeout=10)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                    connection.request("POST", self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                    payload = answer.read()
                    status, answer_headers = answer.status, answer.getheaders()
                finally:
                    connection.close()
                with proxy._lock:
                    proxy.forwarded.append(operation)
                    drop = proxy._to_drop[operation] > 0
                    if drop:
                        proxy._to_drop[operation] -= 1
                        proxy.dropped.append(operation)
                if drop:
                    # Applied upstream; the client never hears so.
                    self.close_connection = True
                    return
                self.send_response(status)
                for name, value in answer_headers:
                    if name.lower() not in {"connection", "transfer-encoding", "content-length", "date", "server"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def drop_next_answer(self, operation: str, times: int = 1) -> None:
        """Apply the next ``times`` requests of ``operation`` (e.g. "UpdateItem") but lose their answers."""
        with self._lock:
            self._to_drop[operation] += times

    def client(self) -> Any:
        """A boto3 client through this proxy, configured as the app's (standard retries, 3 attempts)."""
        return boto3.session.Session().client(
            "dynamodb",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(
                retries={"mode": "standard", "total_max_attempts": 3},
                connect_timeout=1,
                read_timeout=5,
            ),
        )

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
