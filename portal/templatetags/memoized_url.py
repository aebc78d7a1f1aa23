"""``{% url %}`` with each reversal remembered, installed as a template builtin in settings.

Every page's frame reverses about fifteen fixed names (the navigation, the log-out,
idle and verification forms) and the page itself a dozen more: profiled, these
reversals were a tenth of a page's own rendering time, always giving the same
answer. This tag parses and renders exactly as Django's does; it only remembers a
result per name, arguments, current app, URL configuration and script prefix, so a
change to any of them (a test overriding ROOT_URLCONF, a request with a SCRIPT_NAME)
reverses afresh. A failed reversal is never remembered.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Context
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


@lru_cache(maxsize=4096)
def _reverse(
    view_name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    current_app: str | None,
    urlconf: Any,
    script_prefix: str,
) -> str:
    # urlconf and script_prefix are part of the key only: reverse() reads them itself.
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)


@receiver(setting_changed)
def _forget_on_new_urls(*, setting: str, **kwargs: Any) -> None:
    # As Django clears its own URL caches: a test that swaps the URL configuration starts afresh.
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()


def memoized_reverse(view_name: str, args: list[Any], kwargs: dict[str, Any], current_app: str | None) -> str:
    key_args, key_kwargs = tuple(args), tuple(sorted(kwargs.items()))
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    try:
        return _reverse(view_name, key_args, key_kwargs, current_app, urlconf, get_script_prefix())
    except TypeError:
        # An argument that cannot be a key (unhashable): reverse it plainly.
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)


class MemoizedURLNode(URLNode):
    def render(self, context: Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app  # type: ignore[attr-defined]
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace  # type: ignore[attr-defined]
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = memoized_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return str(conditional_escape(url)) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> MemoizedURLNode:
    """Parsed by Django's own ``url`` tag, so the syntax and its errors are Django's."""
    node = django_url(parser, token)
    return MemoizedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
