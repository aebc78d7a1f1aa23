"""gunicorn settings: `gunicorn therapy_site.wsgi` reads this file from the working directory.

Command-line options win over it (`--bind`, `--workers`). Production runs
`gunicorn therapy_site.wsgi --bind 0.0.0.0:8000` behind the load balancer (README).
"""

from __future__ import annotations

import gc
import math
import os
from typing import Any

import gunicorn.http.wsgi

from therapy_site.env import env_bool, env_int
from therapy_site.logs import logging_config


def dynamodb_call_budget_seconds() -> float:
    """The longest one DynamoDB call can take before the app gives up and shows the 503 page.

    The same variables and defaults as therapy_site/settings.py's client: each
    attempt may spend the connect timeout and then the read timeout, and
    botocore's standard retry mode sleeps up to min(2**i, 20) s between attempts
    (throttling's base is 1 s; other errors back off far less).
    """
    connect = env_int("DYNAMODB_CONNECT_TIMEOUT_MS", 1000) / 1000
    read = env_int("DYNAMODB_READ_TIMEOUT_MS", 2000) / 1000
    attempts = max(1, env_int("DYNAMODB_MAX_ATTEMPTS", 3))
    backoff = sum(min(2.0**i, 20.0) for i in range(attempts - 1))
    return attempts * (connect + read) + backoff


# Sync workers: each request holds a worker while it waits on DynamoDB, so more
# workers than cores (WEB_CONCURRENCY overrides, as gunicorn's own default does).
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = "sync"
# A hung database must end in the 503 page, not in the arbiter killing the worker
# (which answers nothing and loses the request): the first failing call's full
# budget (12 s with the defaults) twice over, plus time to render the page.
timeout = max(30, math.ceil(2 * dynamodb_call_budget_seconds()) + 5)
graceful_timeout = timeout
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = 2000
max_requests_jitter = 200
# Gunicorn 27 opens a control socket at a fixed path in $HOME by default; two
# servers on one host would fight over it and nothing here uses it.
control_socket_disable = True

# Logs: the same JSON lines as Django's, with the request id (from the
# X-Request-ID response header) on the access line. Path without the query
# string: journal filters live in it.
_debug = env_bool("DJANGO_DEBUG", False)
accesslog = "-"
errorlog = "-"
access_log_format = "%(m)s %(U)s %(s)s %(M)sms"
logconfig_dict: dict[str, Any] = logging_config(json_lines=not _debug)


# No `Server: gunicorn` banner: it only tells an attacker what to try. gunicorn
# has no setting for it, so its default headers are filtered.
_default_headers = gunicorn.http.wsgi.Response.default_headers


def _headers_without_server_banner(self: gunicorn.http.wsgi.Response) -> list[str]:
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


gunicorn.http.wsgi.Response.default_headers = _headers_without_server_banner  # type: ignore[method-assign]


def post_worker_init(worker: Any) -> None:
    """Once a worker has loaded the application: everything loaded so far (Django, the
    portal's modules, their settings) lives as long as the worker, so it is moved out of
    the garbage collector's sight. A full collection then walks only what requests made,
    instead of pausing a request for tens of milliseconds to walk the whole heap."""
    gc.freeze()
