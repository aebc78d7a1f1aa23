"""``{% static %}`` with each file's URL remembered, installed as a template builtin in settings.

Every page's frame names five static files. Django's tag asks, for each of them on
every render, whether staticfiles is installed, imports the storage and escapes
the answer; the storage already remembers the URL itself
(therapy_site/static_storage.py). This tag parses exactly as Django's does and
remembers its finished output per path, forgotten when a setting that could
change it changes (tests override them). A path the storage refuses is never
remembered. A template that still says ``{% load static %}`` gets Django's own tag.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Context
from django.template.base import Parser, Token
from django.templatetags.static import StaticNode, do_static
from django.utils.html import conditional_escape

register = template.Library()

_SETTINGS_BEHIND_URLS = frozenset({"STATIC_URL", "STATIC_ROOT", "STORAGES", "INSTALLED_APPS", "FORCE_SCRIPT_NAME"})


@lru_cache(maxsize=1024)
def _static_url(path: str, autoescape: bool) -> str:
    url = StaticNode.handle_simple(path)
    return str(conditional_escape(url)) if autoescape else url


@receiver(setting_changed)
def _forget_on_new_settings(*, setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS_BEHIND_URLS:
        _static_url.cache_clear()


class MemoizedStaticNode(StaticNode):
    def render(self, context: Context) -> str:
        url = _static_url(str(self.path.resolve(context)), bool(context.autoescape))
        if self.varname is None:
            return url
        context[self.varname] = url
        return ""


@register.tag
def static(parser: Parser, token: Token) -> MemoizedStaticNode:
    """Parsed by Django's own ``static`` tag, so the syntax and its errors are Django's."""
    node = do_static(parser, token)
    return MemoizedStaticNode(varname=node.varname, path=node.path)
