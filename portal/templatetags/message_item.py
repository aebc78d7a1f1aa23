"""One message of a thread, written in Python.

A thread page shows 30 messages; as an included template each cost a context,
a dozen nodes and two date filters, most of the thread's own rendering time
(`make bench`). ``{% message_item m side seen_id seen_at %}`` writes the same
markup with every value escaped, for the thread, "older" pages and polls alike.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.safestring import SafeString

from portal.domain import Message
from portal.escaping import esc, esc_with_breaks, safe
from portal.templatetags.when import every_form, iso, when

register = template.Library()


@register.simple_tag
def message_item(m: Message, side: str, seen_id: str | None = None, seen_at: datetime | None = None) -> SafeString:
    mine = str(m.sender) == str(side)
    who = "You" if mine else ("Your therapist" if str(m.sender) == "therapist" else "Your client")
    seen = (
        f'\n  <p class="seen muted">Seen <time datetime="{esc(iso(seen_at))}">{esc(when(seen_at))}</time></p>'
        if seen_id and seen_id == m.message_id
        else ""
    )
    sent_iso, sent_when, _short = every_form(m.created_at)
    return safe(  # safe: every value above is escaped
        f'<li id="m-{esc(m.message_id)}" class="message-item {"mine" if mine else "theirs"}">\n'
        f'  <p class="message-meta"><strong>{who}</strong> · '
        f'<time datetime="{esc(sent_iso)}">{esc(sent_when)}</time></p>\n'
        f'  <p class="message-body">{esc_with_breaks(m.content)}</p>{seen}\n'
        f"</li>"
    )
