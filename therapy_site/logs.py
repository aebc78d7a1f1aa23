"""Logs: one JSON object per line in production, a request id on every line, ids and actions only.

* ``RequestIdMiddleware`` (first in MIDDLEWARE) gives each request an id: the
  load balancer's ``X-Request-ID`` when it is a plain token, a new one otherwise.
  It is sent back in the ``X-Request-ID`` response header, which is also how
  gunicorn's access log line gets it.
* ``RequestIdFilter`` puts it on every record (``-`` outside a request).
* ``ForbiddenOneLineFilter``: Django logs a refused request (403) with the
  PermissionDenied traceback; a refusal is an expected event, so one line.
* ``JsonLinesFormatter`` writes only the standard fields plus extras whose names
  say they are ids or actions; anything else passed in ``extra`` (Django attaches
  the whole request, whose query string can carry a journal filter) is dropped.

``logging_config()`` is used by settings.py (Django's own loggers) and by
gunicorn.conf.py (gunicorn's error and access logs), so both write the same shape.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pythonjsonlogger.json import JsonFormatter

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
_NO_REQUEST = "-"
# Accept the caller's id only when it cannot break a log line or smuggle data in.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=_NO_REQUEST)

# Extras kept in a JSON line: exact names, and any name ending in "_id".
SAFE_EXTRAS = frozenset(
    {"request_id", "action", "event", "status_code", "method", "path", "duration_ms", "operation", "table"}
)
_STANDARD_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def current_request_id() -> str:
    return _request_id.get()


def new_request_id() -> str:
    return secrets.token_hex(8)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if _SAFE_ID.fullmatch(offered) else new_request_id()
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = _request_id.get()
            if request_id == _NO_REQUEST and record.name == "gunicorn.access":
                # The access line is written after the response left the app: the
                # id comes from the response header (gunicorn's "{header}o" atom).
                atoms = record.args if isinstance(record.args, dict) else {}
                request_id = str(atoms.get("{x-request-id}o", _NO_REQUEST))
                _add_access_fields(record, atoms)
            record.request_id = request_id
        return True


def _add_access_fields(record: logging.LogRecord, atoms: dict[str, Any]) -> None:
    # The path without its query string (filters such as a feeling live there).
    record.method = atoms.get("m", "")
    record.path = atoms.get("U", "")
    try:
        record.status_code = int(atoms.get("s", 0))
        record.duration_ms = int(atoms.get("M", 0))
    except (TypeError, ValueError):
        pass


class ForbiddenOneLineFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True


class JsonLinesFormatter(JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in list(log_data):
            if key in ("time", "level", "logger", "message", "exc_info", "stack_info"):
                continue
            if key not in SAFE_EXTRAS and not key.endswith("_id"):
                del log_data[key]


def logging_config(*, json_lines: bool, level: str = "INFO") -> dict[str, Any]:
    """A dictConfig for Django and gunicorn: JSON lines, or plain lines for a developer's terminal."""
    formatter: dict[str, Any] = (
        {"()": JsonLinesFormatter, "fmt": _STANDARD_FIELDS + " %(request_id)s"}
        if json_lines
        else {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "forbidden_one_line": {"()": ForbiddenOneLineFilter},
        },
        "formatters": {"main": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["request_id", "forbidden_one_line"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # botocore at DEBUG would print request bodies, which carry health data.
            "botocore": {"level": "WARNING"},
            "boto3": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
            # gunicorn's loggers: through the same handler, not also gunicorn's own.
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
