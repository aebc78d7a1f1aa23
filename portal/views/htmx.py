"""Kept so views can go on importing it from here; the function lives in portal/htmx.py,
where the role decorators (below the views) can use it too."""

from __future__ import annotations

from portal.htmx import wants_fragment

__all__ = ["wants_fragment"]
