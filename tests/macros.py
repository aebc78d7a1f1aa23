"""Calling a template's macro from a test, as a page's template calls it."""

from __future__ import annotations

from typing import Any

from django.template import engines
from django.template.backends.jinja2 import Jinja2


def jinja_env() -> Any:
    return next(engine for engine in engines.all() if isinstance(engine, Jinja2)).env


def render_macro(template_name: str, macro_name: str, *args: Any, **kwargs: Any) -> str:
    """What ``{% from template_name import macro_name %}{{ macro_name(*args, **kwargs) }}`` writes."""
    module = jinja_env().get_template(template_name).module
    return str(getattr(module, macro_name)(*args, **kwargs))
