"""Configuration readers fail loudly on bad values."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from therapy_site.env import env_bool, env_int, env_list, env_str


def test_it_reads_booleans_in_plain_words(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "off")
    assert env_bool("X_FLAG", True) is False


def test_it_refuses_a_misspelt_boolean(monkeypatch):
    monkeypatch.setenv("X_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", False)


def test_it_refuses_a_non_integer(monkeypatch):
    monkeypatch.setenv("X_NUMBER", "12a")
    with pytest.raises(ImproperlyConfigured, match="X_NUMBER"):
        env_int("X_NUMBER", 1)


def test_it_splits_lists_and_uses_defaults(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " a.example , b.example,,")
    assert env_list("X_HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.delenv("X_MISSING", raising=False)
    assert env_str("X_MISSING", "fallback") == "fallback"
