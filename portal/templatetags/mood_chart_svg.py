"""``{% mood_chart_figure chart id level %}`` for the pages still written in the Django template language.

The chart's markup is the Jinja2 macro ``mood_chart_figure`` in
templates/portal/_mood_chart.html (its drawings from
portal/presenters/mood_chart_svg.py); this tag calls that macro, so both kinds
of page show the one definition. It goes when the last such page has moved.
"""

from __future__ import annotations

from django import template
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.utils.safestring import SafeString, mark_safe

from portal.services.mood_chart import MoodChart

register = template.Library()


@register.simple_tag
def mood_chart_figure(chart: MoodChart, chart_id: str = "", heading_level: int | str = "") -> SafeString:
    env = next(engine for engine in engines.all() if isinstance(engine, Jinja2)).env
    figure = getattr(env.get_template("portal/_mood_chart.html").module, "mood_chart_figure")  # noqa: B009
    return mark_safe(str(figure(chart, chart_id, heading_level or 2)))  # noqa: S308 (written by an autoescaped macro)
