"""Django's Jinja2 backend, with two additions.

``"page.html#block"`` renders one block of the page: an htmx request gets a part
of the same page it would get whole (the list after "Load more", the entry after a
save), so each part is a block of the page's own template and there is one
definition of its markup. The block is rendered by ``jinja2-fragments`` with the
same context the whole page gets (the request, the CSRF token and the context
processors).

The CSRF token is Django's (``get_token``), masked once per render: Django's
backend masks it afresh at every use, and the frame alone uses it three times
(the htmx header, the log-out and keep-alive forms), a list with a form per row
once per row. One mask per response is what BREACH needs; every form of the
page still carries a valid token.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import TemplateDoesNotExist
from django.template.backends.jinja2 import Jinja2, Template
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from jinja2_fragments import render_block


def request_context(backend: Jinja2, context: dict[str, Any] | None, request: HttpRequest | None) -> dict[str, Any]:
    """What every page rendered with its request sees, as Django's backend gives it, the token masked once."""
    context = dict(context or {})
    if request is not None:
        token = SimpleLazyObject(lambda: get_token(request))
        context["request"] = request
        context["csrf_token"] = token
        context["csrf_input"] = SimpleLazyObject(
            lambda: format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
        )
        for context_processor in backend.template_context_processors:
            context.update(context_processor(request))
    return context


class Page(Template):
    def render(self, context: dict[str, Any] | None = None, request: HttpRequest | None = None) -> SafeString:
        return mark_safe(self.template.render(request_context(self.backend, context, request)))  # noqa: S308


class PageBlock(Template):
    """One block of a page template, rendered as Django renders a whole template."""

    def __init__(self, page: Template, template_name: str, block_name: str, backend: Jinja2) -> None:
        super().__init__(page.template, backend)
        self.template_name = template_name
        self.block_name = block_name

    def render(self, context: dict[str, Any] | None = None, request: HttpRequest | None = None) -> SafeString:
        context = request_context(self.backend, context, request)
        return mark_safe(render_block(self.backend.env, self.template_name, self.block_name, context))  # noqa: S308


class Jinja2WithBlocks(Jinja2):
    def get_template(self, template_name: str) -> Template:
        name, _, block_name = template_name.partition("#")
        page = super().get_template(name)
        if not block_name:
            return Page(page.template, self)
        if block_name not in page.template.blocks:
            raise TemplateDoesNotExist(template_name, backend=self)
        return PageBlock(page, name, block_name, self)
