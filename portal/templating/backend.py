"""Django's Jinja2 backend, with one addition: ``"page.html#block"`` renders one block of the page.

An htmx request gets a part of the same page it would get whole (the list after
"Load more", the entry after a save), so each part is a block of the page's own
template and there is one definition of its markup. The block is rendered by
``jinja2-fragments``, with the same context the whole page gets (the request,
the CSRF token and the context processors).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template import TemplateDoesNotExist
from django.template.backends.jinja2 import Jinja2, Template
from django.template.backends.utils import csrf_input_lazy, csrf_token_lazy
from django.utils.safestring import SafeString, mark_safe
from jinja2_fragments import render_block


class PageBlock(Template):
    """One block of a page template, rendered as Django renders a whole template."""

    def __init__(self, page: Template, template_name: str, block_name: str, backend: Jinja2) -> None:
        super().__init__(page.template, backend)
        self.template_name = template_name
        self.block_name = block_name

    def render(self, context: dict[str, Any] | None = None, request: HttpRequest | None = None) -> SafeString:
        context = dict(context or {})
        if request is not None:
            context["request"] = request
            context["csrf_input"] = csrf_input_lazy(request)
            context["csrf_token"] = csrf_token_lazy(request)
            for context_processor in self.backend.template_context_processors:
                context.update(context_processor(request))
        return mark_safe(render_block(self.backend.env, self.template_name, self.block_name, context))  # noqa: S308


class Jinja2WithBlocks(Jinja2):
    def get_template(self, template_name: str) -> Template:
        name, _, block_name = template_name.partition("#")
        page = super().get_template(name)
        if not block_name:
            return page
        if block_name not in page.template.blocks:
            raise TemplateDoesNotExist(template_name, backend=self)
        return PageBlock(page, name, block_name, self)
