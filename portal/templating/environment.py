"""The Jinja2 environment every page renders in (settings.TEMPLATES names it).

Globals: ``url`` (Django's reverse), ``static``, ``crisis_contacts``; the filters of
portal.templating.filters. Django's backend adds ``request``, ``csrf_input`` and
``csrf_token`` to every page rendered with its request, and the context processors
in settings add the signed-in person, messages and the idle timer's settings.
Autoescape is on: a value is escaped unless a presenter marked it safe.
"""

from __future__ import annotations

from typing import Any

import jinja2
from django.templatetags.static import static
from django.urls import reverse
from django.utils.module_loading import import_string

from portal.presenters.mood_chart_svg import mood_chart_bars_svg, mood_chart_line_svg
from portal.services.safety import crisis_contacts
from portal.templating.filters import FILTERS


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """``{{ url("journal_entry", entry_id) }}``: Django's reverse, positional or keyword arguments."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


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
