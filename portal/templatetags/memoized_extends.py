"""``{% extends %}`` with the root template's blocks found once, installed as a template builtin in settings.

Every page extends base.html. On each render, Django's ``ExtendsNode`` walks the
whole of the root template's node tree to collect its ``{% block %}`` nodes, the
same answer every time for a template that is already compiled (the cached
loader keeps it). This tag parses exactly as Django's does and renders as it
does, remembering that answer per compiled root template (weakly, so a template
that is dropped takes its entry with it). The blocks are only read from it.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from django import template
from django.template import Context
from django.template.base import Node, Parser, Template, TextNode, Token
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockContext, BlockNode, ExtendsNode, do_extends

register = template.Library()

_root_blocks: WeakKeyDictionary[Template, dict[str, Node] | None] = WeakKeyDictionary()


def _blocks_of_root(parent: Template) -> dict[str, Node] | None:
    """The blocks of ``parent`` when it is the root of the chain (extends nothing), else None."""
    try:
        return _root_blocks[parent]
    except KeyError:
        pass
    blocks: dict[str, Node] | None = None
    for node in parent.nodelist:
        # As Django: the ExtendsNode has to be the first non-text node.
        if not isinstance(node, TextNode):
            if not isinstance(node, ExtendsNode):
                blocks = {n.name: n for n in parent.nodelist.get_nodes_by_type(BlockNode)}  # type: ignore[attr-defined]
            break
    _root_blocks[parent] = blocks
    return blocks


class MemoizedExtendsNode(ExtendsNode):
    def render(self, context: Context) -> Any:
        compiled_parent = self.get_parent(context)
        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]
        block_context.add_blocks(self.blocks)
        root_blocks = _blocks_of_root(compiled_parent)
        if root_blocks is not None:
            block_context.add_blocks(root_blocks)
        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return compiled_parent._render(context)  # type: ignore[attr-defined]


@register.tag
def extends(parser: Parser, token: Token) -> MemoizedExtendsNode:
    """Parsed by Django's own ``extends`` tag, so the syntax and its errors are Django's."""
    node = do_extends(parser, token)
    return MemoizedExtendsNode(node.nodelist, node.parent_name, node.template_dirs)
