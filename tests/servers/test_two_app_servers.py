"""Two gunicorn servers on one database behave as one site: nothing lives on a host (as on AWS).

A session made on one is honoured on the other, failed logins counted on one
throttle the other, a form's idempotency key claimed through one is honoured by
the other, and both servers write the production log lines and headers.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings

from bench.harness import start_gunicorn, stop_process, wait_until_healthy
from devtools import dynoxide
from portal.domain import AccountKind
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import JOURNAL
from tests.accounts import make_account

ROOT = Path(__file__).resolve().parent.parent.parent
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SECRET_KEY = "two-servers-test-only-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEF"


class Server:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, cookies: dict[str, str] | None = None) -> requests.Response:
        return requests.get(self.base + path, cookies=cookies, allow_redirects=False, timeout=30)

    def log_in(self, email: str, password: str) -> requests.Response:
        """The real login form: GET it for the CSRF token, POST the credentials."""
        form = self.get("/accounts/login/")
        token = CSRF_FIELD.search(form.text)
        assert token, form.text[:500]
        return requests.post(
            self.base + "/accounts/login/",
            data={"csrfmiddlewaretoken": token.group(1), "email": email, "password": password},
            cookies=dict(form.cookies),
            allow_redirects=False,
            timeout=30,
        )


def server_env(engine: dynoxide.Engine, prefix: str) -> dict[str, str]:
    """What an app host gets: production settings, the shared database, its own process."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DYNAMODB_"))},
        "DJANGO_SETTINGS_MODULE": "tests.servers.server_settings",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DYNAMODB_ENDPOINT_URL": engine.url,
        "DYNAMODB_TABLE_PREFIX": prefix,
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def two_servers(
    dynoxide_dynamo: DynamoGateway, dynoxide_engine: dynoxide.Engine, tmp_path: Path
) -> Iterator[tuple[Server, Server, Path]]:
    env = server_env(dynoxide_engine, dynoxide_dynamo.prefix)
    log_path = tmp_path / "gunicorn.log"
    ports = [dynoxide.free_port(), dynoxide.free_port()]
    with log_path.open("wb") as log:
        processes = [start_gunicorn(port, log, workers=1, env=env) for port in ports]
        try:
            for process, port in zip(processes, ports, strict=True):
                wait_until_healthy(process, port, timeout=60)
            yield Server(ports[0]), Server(ports[1]), log_path
        finally:
            for process in processes:
                stop_process(process)


def test_it_honours_on_one_server_a_session_and_a_throttle_made_on_the_other(
    two_servers: tuple[Server, Server, Path], settings: object
) -> None:
    first, second, log_path = two_servers
    # The servers check passwords with the production hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # type: ignore[attr-defined]
    user = make_account(AccountKind.CLIENT, name="Robin Twohosts")

    logged_in = first.log_in(user.email, user.test_password)  # type: ignore[attr-defined]
    assert logged_in.status_code == 302, logged_in.text[:500]
    cookies = {django_settings.SESSION_COOKIE_NAME: logged_in.cookies[django_settings.SESSION_COOKIE_NAME]}
    home = second.get("/client/", cookies=cookies)
    assert home.status_code == 200
    assert "Robin Twohosts" in home.text

    # Ten failures on the first server; the eleventh attempt, on the second, is refused.
    stranger = "nobody-here@example.com"
    for _ in range(10):
        assert first.log_in(stranger, "wrong password, again").status_code == 400
    refused = second.log_in(stranger, "wrong password, again")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text

    # Production headers and logs on both: a request id, no server banner, JSON lines.
    assert "Server" not in home.headers
    assert re.fullmatch(r"[0-9a-f]{16}", home.headers["X-Request-ID"])
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert {"method": "GET", "path": "/client/", "status_code": 200, "request_id": home.headers["X-Request-ID"]}.items() <= next(
        line for line in access if line["request_id"] == home.headers["X-Request-ID"]
    ).items()
    assert all("request_id" in line for line in lines)


KEY_FIELD = re.compile(r'name="idempotency_key" value="([^"]+)"')


def test_it_stores_one_entry_when_the_journal_form_is_sent_to_one_server_and_resent_to_the_other(
    two_servers: tuple[Server, Server, Path], dynoxide_dynamo: DynamoGateway, settings: object
) -> None:
    # A retry after a timeout may reach another host behind the load balancer:
    # the form's key is claimed in DynamoDB, so the second host answers with the first entry.
    first, second, _ = two_servers
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # type: ignore[attr-defined]
    user = make_account(AccountKind.CLIENT, name="Robin Twohosts")
    logged_in = first.log_in(user.email, user.test_password)  # type: ignore[attr-defined]
    assert logged_in.status_code == 302
    # The cookies are Secure (production settings) and the test speaks plain HTTP: sent by hand.
    cookies = dict(logged_in.cookies)
    page = first.get("/client/journal/", cookies=cookies)
    assert page.status_code == 200
    cookies.update(page.cookies)
    form = {
        "csrfmiddlewaretoken": CSRF_FIELD.findall(page.text)[0],
        "idempotency_key": KEY_FIELD.search(page.text).group(1),  # type: ignore[union-attr]
        "next": "/client/journal/",
        "feeling": "hopeful",
        "intensity": "6",
        "note": "Sent twice, stored once",
        "time_of_emotion": "",
    }

    answers = [
        requests.post(server.base + "/client/journal/", data=form, cookies=cookies, allow_redirects=False, timeout=30)
        for server in (first, second)
    ]

    assert [answer.status_code for answer in answers] == [302, 302]
    stored = dynoxide_dynamo.client.query(
        TableName=dynoxide_dynamo.table_name(JOURNAL),
        KeyConditionExpression="clientId = :c",
        ExpressionAttributeValues={":c": {"S": user.account_id}},
        ConsistentRead=True,
    )["Items"]
    assert [(item["feeling"]["S"], item["intensity"]["N"]) for item in stored] == [("hopeful", "6")]
    listed = second.get("/client/journal/", cookies=cookies).text
    assert listed.count("Sent twice, stored once") == 1
