"""One shared entry as the therapist reads it, written in Python: ``{% shared_entry entry new_ids %}``.

Each entry was a dozen template nodes and four filters; a page of shared
entries is twenty of them. The markup is the template's it replaced
(tests/unit/reference/shared_entry.html), held to it by
tests/unit/test_shared_entry_markup.py. Times are in the active time zone,
which the page sets to the client's own.
"""

from __future__ import annotations

from collections.abc import Container

from django import template
from django.utils.safestring import SafeString

from portal.domain import JournalEntry
from portal.escaping import esc, esc_with_breaks, safe
from portal.templatetags.when import every_form

register = template.Library()


@register.simple_tag
def shared_entry(entry: JournalEntry, new_ids: Container[str] | None = None) -> SafeString:
    # new_ids is "" when the page has no visit to compare with (the template's missing value).
    new = new_ids is not None and entry.entry_id in new_ids
    iso, when, _short = every_form(entry.time_of_emotion)
    feeling = entry.feeling
    badge = (
        '<span class="badge new-badge">New<span class="visually-hidden"> since your last visit:</span></span> '
        if new
        else ""
    )
    note = f'\n    <p class="note">{esc_with_breaks(entry.note)}</p>' if entry.note else ""
    return safe(  # safe: every value is escaped
        f'<li class="entry card{" entry-new" if new else ""}">\n'
        f'    <p class="entry-meta">{badge}<time datetime="{esc(iso)}">{esc(when)}</time>\n'
        f'      <span class="feeling">{esc(feeling[:1].upper() + feeling[1:])}</span>\n'
        f'      <span class="intensity"><span aria-hidden="true">{entry.intensity}/10</span>'
        f'<span class="visually-hidden">intensity {entry.intensity} out of 10</span></span></p>{note}\n'
        f"  </li>\n"
    )
