"""Production log lines: JSON, a request id on each, ids and actions only, a 403 in one line."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind
from tests.accounts import logged_in
from therapy_site.logs import REQUEST_ID_HEADER, logging_config


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The production logging configuration, writing to a buffer instead of stderr."""
    stream = io.StringIO()
    config = logging_config(json_lines=True)
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)


def lines_of(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_it_writes_json_lines_with_the_request_id_of_the_request(
    dynamo: object, client: HttpClient, json_log: io.StringIO
) -> None:
    logged_in(client, AccountKind.CLIENT)

    response = client.get("/therapist/", headers={REQUEST_ID_HEADER: "lb-abc-12345678"})

    assert response.status_code == 403
    assert response[REQUEST_ID_HEADER] == "lb-abc-12345678"
    lines = lines_of(json_log)
    forbidden = [line for line in lines if line.get("status_code") == 403]
    assert len(forbidden) == 1
    assert forbidden[0]["request_id"] == "lb-abc-12345678"
    assert forbidden[0]["level"] == "WARNING"
    # One line: no traceback of the PermissionDenied, and not the request object either.
    assert "exc_info" not in forbidden[0]
    assert "Traceback" not in json_log.getvalue()
    assert "request" not in forbidden[0]


def test_it_makes_a_new_request_id_when_the_offered_one_could_break_a_log_line(
    dynamo: object, client: HttpClient
) -> None:
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: 'x" injected\nline'})

    assert re.fullmatch(r"[0-9a-f]{16}", response[REQUEST_ID_HEADER])


def test_it_keeps_ids_and_actions_and_drops_other_extras(json_log: io.StringIO) -> None:
    logging.getLogger("portal.test").info(
        "journal entry created",
        extra={"entry_id": "01ABC", "action": "create", "note": "MY-PRIVATE-WORDS", "feeling": "sad"},
    )

    [line] = lines_of(json_log)
    assert line["entry_id"] == "01ABC"
    assert line["action"] == "create"
    assert line["request_id"] == "-"
    assert "MY-PRIVATE-WORDS" not in json_log.getvalue()
    assert "sad" not in json_log.getvalue()


def test_it_keeps_plain_readable_lines_for_debug() -> None:
    config = logging_config(json_lines=False)

    assert "request_id" in config["formatters"]["main"]["format"]
    assert "()" not in config["formatters"]["main"]
