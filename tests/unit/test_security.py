"""Security headers, and Django's deployment checks under production settings."""

from __future__ import annotations

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


def test_it_passes_the_deployment_checks_with_production_settings():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DYNAMODB_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="therapy_site.settings",
        DJANGO_SECRET_KEY="deploy-check-" + "k7Qx9vR2mL4pZ8wT1nB6yH3cF5jD0sGa" * 2,
        DJANGO_ALLOWED_HOSTS="portal.example",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_marks_cookies_secure_and_sends_hsts_in_production(settings):
    from importlib import reload

    import therapy_site.settings as production

    os.environ["DJANGO_DEBUG"] = "false"
    reloaded = reload(production)
    assert reloaded.SESSION_COOKIE_SECURE and reloaded.CSRF_COOKIE_SECURE
    assert reloaded.SECURE_HSTS_SECONDS >= 31_536_000
