"""gunicorn.conf.py: a hung database ends in the 503 page before gunicorn kills the worker."""

from __future__ import annotations

import runpy
from pathlib import Path

import gunicorn.http.wsgi
import pytest

CONF = Path(__file__).resolve().parent.parent.parent / "gunicorn.conf.py"


@pytest.fixture(autouse=True)
def _keep_gunicorn_unpatched(monkeypatch: pytest.MonkeyPatch) -> None:
    # Loading the file patches gunicorn's default headers; undo it after each test.
    monkeypatch.setattr(gunicorn.http.wsgi.Response, "default_headers", gunicorn.http.wsgi.Response.default_headers)


def test_it_gives_workers_more_time_than_a_failing_dynamodb_call_takes() -> None:
    conf = runpy.run_path(str(CONF))

    # 3 attempts x (1 s connect + 2 s read) + backoff of at most 1 s and 2 s.
    assert conf["dynamodb_call_budget_seconds"]() == 12.0
    assert conf["timeout"] >= 2 * 12.0
    assert conf["graceful_timeout"] == conf["timeout"]


def test_it_follows_the_dynamodb_timeouts_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_READ_TIMEOUT_MS", "10000")
    monkeypatch.setenv("DYNAMODB_MAX_ATTEMPTS", "4")

    conf = runpy.run_path(str(CONF))

    budget = 4 * (1 + 10) + (1 + 2 + 4)
    assert conf["dynamodb_call_budget_seconds"]() == budget
    assert conf["timeout"] > budget
    assert conf["accesslog"] == "-"
    assert "%(U)s" in conf["access_log_format"] and "%(r)s" not in conf["access_log_format"]


def test_a_worker_hides_what_it_loaded_from_the_garbage_collector() -> None:
    import gc

    conf = runpy.run_path(str(CONF))
    assert gc.get_freeze_count() == 0
    try:
        conf["post_worker_init"](object())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
