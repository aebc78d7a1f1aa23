"""The Jinja2 environment every page renders in (settings.TEMPLATES names it).

Globals: ``url`` (Django's reverse), ``static``, ``crisis_contacts``; the filters of
portal.templating.filters. Django's backend adds ``request``, ``csrf_input`` and
``csrf_token`` to every page rendered with its request, and the context processors
in settings add the signed-in person, messages and the idle timer's settings.
Autoescape is on: a value is escaped unless a presenter marked it safe.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static as django_static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.module_loading import import_string

from portal.presenters.mood_chart_svg import mood_chart_bars_svg, mood_chart_line_svg
from portal.services.safety import crisis_contacts
from portal.templating.filters import FILTERS


@lru_cache(maxsize=4096)
def _reverse(name: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...], urlconf: Any, prefix: str) -> str:
    # urlconf and prefix are part of the key only: reverse() reads them itself.
    return reverse(name, args=args or None, kwargs=dict(kwargs) or None)


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """``{{ url("journal_entry", entry_id) }}``: Django's reverse, positional or keyword arguments.

    A page's frame alone reverses some fifteen fixed names, always to the same answer,
    so each answer is remembered per URL configuration and script prefix (a test's
    ROOT_URLCONF, a request's SCRIPT_NAME reverse afresh). The key holds only route
    names and ids, bounded in number; a failed reversal is never remembered.
    """
    try:
        return _reverse(
            name, args, tuple(sorted(kwargs.items())), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()
        )
    except TypeError:  # an unhashable argument: reverse it as it is
        return reverse(name, args=args or None, kwargs=kwargs or None)


_SETTINGS_BEHIND_STATIC_URLS = frozenset(
    {"STATIC_URL", "STATIC_ROOT", "STORAGES", "INSTALLED_APPS", "FORCE_SCRIPT_NAME"}
)


@lru_cache(maxsize=256)
def static(path: str) -> str:
    """Django's ``static``, each file's URL remembered: the frame names four files on every page, and the
    storage's answer changes only with the settings (tests override them) or a new deployment (a new process)."""
    return django_static(path)


@receiver(setting_changed)
def _forget_static_urls(*, setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS_BEHIND_STATIC_URLS:
        static.cache_clear()


def environment(**options: Any) -> jinja2.Environment:
    # Pages are HTML and escaped; an email's plain-text body (*.txt) is not HTML and is written as typed.
    options["autoescape"] = jinja2.select_autoescape(
        disabled_extensions=("txt",), default_for_string=True, default=True
    )
    # Settings may name the undefined type as a string (tests use StrictUndefined).
    if isinstance(options.get("undefined"), str):
        options["undefined"] = import_string(options["undefined"])
    # Blocks and their lines as a designer writes them, without stray blank lines in the markup.
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    env = jinja2.Environment(**options)
    env.globals.update(url=url, static=static, crisis_contacts=crisis_contacts)
    # The mood chart's drawings: geometry printed as SVG (portal/presenters/mood_chart_svg.py).
    env.globals.update(mood_chart_line_svg=mood_chart_line_svg, mood_chart_bars_svg=mood_chart_bars_svg)
    env.filters.update(FILTERS)
    return env
