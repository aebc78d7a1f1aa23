"""Security headers, and Django's deployment checks under production settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.test import Client as HttpClient

ROOT = Path(__file__).resolve().parents[2]


def test_it_sends_a_strict_content_security_policy(dynamo, client: HttpClient):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_it_sends_the_other_protective_headers(dynamo, client):
    response = client.get("/accounts/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_it_configures_htmx_to_need_no_unsafe_sources(dynamo, client):
    body = client.get("/accounts/login/").content.decode()
    assert '"allowEval": false' in body and '"includeIndicatorStyles": false' in body
    assert "<script>" not in body and "style=" not in body


def _production_env() -> dict[str, str]:
    """This process's environment minus every DJANGO_/DYNAMODB_ variable, plus production ones."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DYNAMODB_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="therapy_site.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="deploy-check-" + "k7Qx9vR2mL4pZ8wT1nB6yH3cF5jD0sGa" * 2,
        DJANGO_ALLOWED_HOSTS="portal.example",
    )
    return env


def _run_in_production(*args: str) -> subprocess.CompletedProcess[str]:
    """Run Python in a fresh interpreter under production settings and check it succeeded."""
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=_production_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_it_passes_the_deployment_checks_with_production_settings():
    _run_in_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")


# Run in a fresh interpreter so the production settings never replace this
# process's test settings. The HSTS header comes from Django's own middleware
# under those settings; nothing here opens a connection.
_PRINT_PRODUCTION_SECURITY = """
import json

import django
from django.conf import settings

django.setup()

from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory

request = RequestFactory().get("/", secure=True, HTTP_HOST="portal.example")
response = SecurityMiddleware(lambda request: HttpResponse())(request)
names = [
    "DEBUG",
    "ALLOWED_HOSTS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "MIDDLEWARE",
]
report = {name: getattr(settings, name) for name in names}
report["hsts_header"] = response.headers.get("Strict-Transport-Security")
print(json.dumps(report))
"""


def test_it_marks_cookies_secure_and_sends_hsts_in_production():
    result = _run_in_production("-c", _PRINT_PRODUCTION_SECURITY)
    production = json.loads(result.stdout.strip().splitlines()[-1])
    assert production["DEBUG"] is False
    assert production["ALLOWED_HOSTS"] == ["portal.example"]
    assert production["SESSION_COOKIE_SECURE"] is True and production["CSRF_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_HSTS_PRELOAD"] is True
    assert "django.middleware.security.SecurityMiddleware" in production["MIDDLEWARE"]
    header = production["hsts_header"]
    assert header is not None
    assert f"max-age={production['SECURE_HSTS_SECONDS']}" in header
    assert "includeSubDomains" in header and "preload" in header
