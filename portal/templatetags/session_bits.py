"""A session's time link and status badge, written in Python: ``{% session_when_link %}``, ``{% session_status %}``.

Every row of the agenda and of the session lists showed both, each an included
template with its own context: two includes and a dozen nodes a row, the larger
part of the agenda's own rendering. The markup is the templates' it replaced
(tests/unit/reference/session_when_link.html and session_status.html), held to
them by tests/unit/test_session_bits_markup.py.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from portal.domain import AccountKind, SessionStatus, TherapySession
from portal.escaping import esc, safe
from portal.templatetags.memoized_url import memoized_reverse
from portal.templatetags.when import every_form

register = template.Library()

_STATUS_WORDS = {
    SessionStatus.PENDING: "Requested",
    SessionStatus.APPROVED: "Approved",
    SessionStatus.REJECTED: "Declined",
    SessionStatus.OPEN: "In progress",
    SessionStatus.CLOSED: "Held",
}


@register.simple_tag
def session_when_link(session: TherapySession, detail_url: str) -> SafeString:
    """When the session is, in the active time zone, linking to its page (``detail_url`` is the URL's name)."""
    iso, when, _short = every_form(session.scheduled_for)
    href = esc(memoized_reverse(detail_url, [session.session_id], {}, None))
    return safe(f'<a href="{href}"><time datetime="{esc(iso)}">{esc(when)}</time></a>')  #


@register.simple_tag
def session_status(session: TherapySession) -> SafeString:
    """The status as a badge: a request the client withdrew reads "Withdrawn", any other cancellation "Cancelled"."""
    status = session.status
    if status == SessionStatus.CANCELLED:
        withdrawn = session.cancelled_by == AccountKind.CLIENT and session.requested_by == AccountKind.CLIENT
        words = "Withdrawn" if withdrawn else "Cancelled"
    else:
        words = _STATUS_WORDS.get(status, "")
    return safe(f'<span class="badge status-{esc(status)}">{words}</span>')  # safe: escaped
