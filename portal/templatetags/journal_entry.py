"""One journal entry as the client's list shows it, written in Python.

The journal page shows 20 entries, each with its time (three ways), feeling,
intensity, sharing state, note and three controls: about fifty template nodes
and two includes per entry, which made the entry list the largest part of the
page's own time (`make bench`). The markup is fixed and small, so it is written
here, every value escaped; ``{% journal_entry entry %}`` is used wherever an
entry is shown to its client (the list, the entry swapped in by htmx, the entry
added after a save), so there is one definition of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from urllib.parse import quote

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils import timezone
from django.utils.safestring import SafeString

from portal.accounts.user import Reader
from portal.domain import JournalEntry
from portal.escaping import esc, esc_with_breaks, safe
from portal.templatetags.journal_urls import entry_path, journal_prefix
from portal.templatetags.memoized_url import memoized_reverse
from portal.templatetags.when import every_form

register = template.Library()

_PAGE_PARTS = "journal_entry.page_parts"


def _directory_url() -> str:
    return memoized_reverse("directory", [], {}, None)


def _shared_with(readers: list[Reader] | tuple[Reader, ...] | None) -> str:
    """Who can read a shared entry now, from the readers the session carries (no read per entry)."""
    badge = '<span class="badge">Shared</span>'
    if readers is None:
        return badge
    if readers:
        names = ", ".join(esc(r.therapist_name or "your therapist") for r in readers)
        return f'{badge}\n<span class="shared-with">{names} can read it</span>'
    return f'{badge}\n<span class="shared-with">nobody can read it now</span>'


def _share_form(
    entry: JournalEntry, *, url: str, short: str, next_value: str, csrf: str, nobody_reads: bool
) -> str:
    """The share control: with no active therapist it says plainly that sharing reaches nobody yet."""
    entry_id = esc(entry.entry_id)
    if entry.is_shared:
        control = (
            f'<input type="hidden" name="shared" value="0"><button type="submit" class="secondary small" '
            f'id="entry-{entry_id}-share">Stop sharing<span class="visually-hidden"> entry of {short}</span></button>'
        )
    else:
        hint_id = f"entry-{entry_id}-share-hint"
        described = f' aria-describedby="{hint_id}"' if nobody_reads else ""
        control = (
            f'<input type="hidden" name="shared" value="1"><button type="submit" class="secondary small" '
            f'id="entry-{entry_id}-share"{described}>Share with my therapist'
            f'<span class="visually-hidden">: entry of {short}</span></button>'
        )
        if nobody_reads:
            control += (
                f'\n  <span class="muted share-hint" id="{hint_id}">Nobody can read a shared entry yet: '
                f'you have no therapist. <a href="{esc(_directory_url())}">Find one</a></span>'
            )
    return (
        f'<form class="inline" method="post" action="{url}" hx-post="{url}" hx-target="closest li" '
        f'hx-swap="outerHTML">\n  {csrf}<input type="hidden" name="next" value="{next_value}">\n  {control}\n</form>'
    )


@dataclass(frozen=True)
class _Shared:
    """What every entry of one render shares: worked out once, not per entry."""

    csrf: str
    back: str  # the return address as a query value, escaped
    next_value: str  # the same as a form value, escaped
    shared_with: str  # the "Shared" badge and who reads it
    nobody_reads: bool
    error: str
    # Where entries' URLs start, and the viewer's zone: each a lookup of per-request state.
    # The zone is the one active when the list starts (no template puts a {% timezone %}
    # around some of a list's entries only).
    entry_prefix: str
    zone: tzinfo

    @classmethod
    def of(
        cls, *, readers: list[Reader] | tuple[Reader, ...] | None, return_to: str, csrf: str, entry_error: str
    ) -> _Shared:
        return cls(
            csrf=csrf,
            # The {{ return_to|urlencode }} of a query string: quoted, "/" kept.
            back=esc(quote(return_to)),
            next_value=esc(return_to),
            shared_with=f"\n    {_shared_with(readers)}",
            nobody_reads=readers is not None and not readers,
            error=f'\n  <p class="nonfield" role="alert">{esc(entry_error)}</p>' if entry_error else "",
            entry_prefix=journal_prefix(),
            zone=timezone.get_current_timezone(),
        )


def render_journal_entry(
    entry: JournalEntry,
    *,
    readers: list[Reader] | tuple[Reader, ...] | None,
    return_to: str,
    csrf: str,
    entry_error: str = "",
) -> SafeString:
    return _render(entry, _Shared.of(readers=readers, return_to=return_to, csrf=csrf, entry_error=entry_error))


def _render(entry: JournalEntry, page: _Shared) -> SafeString:
    entry_id = esc(entry.entry_id)
    iso, when, when_short = every_form(entry.time_of_emotion, page.zone)
    short = esc(when_short)
    back = page.back
    edit = esc(entry_path(page.entry_prefix, entry.entry_id, "edit"))
    delete = esc(entry_path(page.entry_prefix, entry.entry_id, "delete"))
    shared = page.shared_with if entry.is_shared else ""
    note = f'\n  <p class="note">{esc_with_breaks(entry.note)}</p>' if entry.note else ""
    feeling = entry.feeling
    share = _share_form(
        entry,
        url=esc(entry_path(page.entry_prefix, entry.entry_id, "share")),
        short=short,
        next_value=page.next_value,
        csrf=page.csrf,
        nobody_reads=page.nobody_reads,
    )
    return safe(  # safe: every value above is escaped
        f'<li class="entry card" id="entry-{entry_id}">\n'
        f'  <p class="entry-meta">\n'
        f'    <time datetime="{esc(iso)}">{esc(when)}</time>\n'
        f'    <span class="feeling feeling-{esc(feeling)}">{esc(feeling[:1].upper() + feeling[1:])}</span>\n'
        f'    <span class="intensity"><span aria-hidden="true">{entry.intensity}/10</span>'
        f'<span class="visually-hidden">intensity {entry.intensity} out of 10</span></span>{shared}\n'
        f"  </p>{note}{page.error}\n"
        f'  <div class="entry-actions">\n'
        f'    <a id="entry-{entry_id}-edit" href="{edit}?next={back}" hx-get="{edit}" hx-target="closest li" '
        f'hx-swap="outerHTML">Edit<span class="visually-hidden"> entry of {short}</span></a>\n'
        f"    {share}\n"
        f'    <a class="danger-link" href="{delete}?next={back}" hx-post="{delete}" '
        f'hx-confirm="Delete this entry? This can\'t be undone." hx-target="closest li" '
        f'hx-swap="outerHTML">Delete<span class="visually-hidden"> entry of {short}</span></a>\n'
        f"  </div>\n"
        f"</li>"
    )


@register.simple_tag(takes_context=True)
def journal_entry(context: template.Context, entry: JournalEntry) -> SafeString:
    """``{% journal_entry entry %}``: reads ``readers``, ``return_to``, ``entry_error`` and the CSRF token
    from the page's context, as the template it replaces did, once per render however many entries use them."""
    shared = context.render_context.get(_PAGE_PARTS)
    if shared is None:
        shared = context.render_context[_PAGE_PARTS] = _Shared.of(
            readers=context.get("readers"),
            return_to=str(context.get("return_to") or ""),
            csrf=CsrfTokenNode().render(context),
            entry_error=str(context.get("entry_error") or ""),
        )
    return _render(entry, shared)
