"""`make run` installs what serving needs only; tests, checks and benchmarks add the development tools."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _planned(target: str) -> str:
    # -n: print the commands without running them; -B: as on a fresh clone (every stamp out of date).
    result = subprocess.run(
        ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout


def test_make_run_installs_requirements_txt_and_the_engine_only() -> None:
    plan = _planned("run")
    assert "-r requirements.txt" in plan and "npm ci" in plan
    assert "requirements-dev.txt" not in plan


@pytest.mark.parametrize("target", ["test", "check", "bench"])
def test_tests_checks_and_benchmarks_add_the_development_tools(target: str) -> None:
    plan = _planned(target)
    assert "-r requirements-dev.txt" in plan
