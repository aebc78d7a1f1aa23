"""Whitenoise's manifest storage, with each static file's URL worked out once per process.

``{% static %}`` asks the storage for a file's URL on every render: a path clean-up,
a manifest lookup and URL joins, four times in every page's frame. In production
the manifest is read once at start and never changes while the process lives, so
the answer for a name never changes either.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class MemoizedManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None:
            return super().url(name, force)
        known = self._urls.get(name)
        if known is None:
            # A name missing from the manifest raises here and is not remembered.
            known = self._urls[name] = super().url(name)
        return known
