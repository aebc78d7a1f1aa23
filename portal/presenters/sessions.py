"""Sessions as their pages show them: a row's time and link, and the list page of each role.

The client's and the therapist's session lists are one page: three sections of
sessions with a form between the second and the third. What differs by role
(the headings, the sections, the words under each row, the form) is data here,
in ``CLIENT_LIST`` and ``THERAPIST_LIST``; the markup is one template,
``portal/sessions/list.html``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from portal.domain import Page, TherapySession
from portal.templating.filters import every_form


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session of a list: its time in the viewer's zone and its page."""

    session: TherapySession
    href: str
    iso: str
    when: str

    @classmethod
    def of(cls, session: TherapySession, detail_url: str) -> SessionRow:
        iso, when, _short = every_form(session.scheduled_for)
        href = reverse(detail_url, args=[session.session_id])
        return cls(session=session, href=href, iso=iso, when=when)


@dataclass(frozen=True)
class SectionSpec:
    name: str  # the attribute of the listing, the cursor's query parameter and the prefix of the ids
    heading: str
    empty: str  # said when the section has nothing and no more pages
    more_label: str
    row: str  # which words follow a row's time (see the template's row_words macro)


@dataclass(frozen=True)
class ListRole:
    """What one role's session list says and links to."""

    title: str
    heading: str
    list_url: str
    detail_url: str
    sections: tuple[SectionSpec, SectionSpec, SectionSpec]
    # The form between the second section and the third.
    form_id: str
    form_heading: str
    choices_field: str  # the form's field whose choices say whether anyone can be chosen
    no_choices: str
    submit: str
    submit_anyway: str  # after an overlap warning, the submit confirms it

    @property
    def section_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.sections)


CLIENT_LIST = ListRole(
    title="Your sessions",
    heading="Your sessions",
    list_url="client_sessions",
    detail_url="client_session",
    sections=(
        SectionSpec("upcoming", "Upcoming", "Nothing arranged yet.", "More upcoming sessions", "client_upcoming"),
        SectionSpec("pending", "Waiting for an answer", "No requests waiting.", "More requests", "client_pending"),
        SectionSpec("past", "History", "Nothing held, declined or cancelled yet.", "Earlier sessions", "client_past"),
    ),
    form_id="request",
    form_heading="Ask for a session",
    choices_field="therapist",
    no_choices="You can ask for a session once you are connected with a therapist.",
    submit="Send the request",
    submit_anyway="Send the request",
)

THERAPIST_LIST = ListRole(
    title="Sessions",
    heading="Sessions",
    list_url="therapist_sessions",
    detail_url="therapist_session",
    sections=(
        SectionSpec("agenda", "Today and upcoming", "Nothing in your agenda.", "Later sessions", "therapist_agenda"),
        SectionSpec("requests", "Requests to answer", "No requests waiting.", "More requests", "therapist_requests"),
        SectionSpec("past", "History", "Nothing held, declined or cancelled yet.", "Earlier sessions", "therapist_past"),
    ),
    form_id="create",
    form_heading="Book a session with a client",
    choices_field="client",
    no_choices="You can book sessions once a client works with you.",
    submit="Book the session",
    submit_anyway="Book it anyway",
)


@dataclass(frozen=True)
class ListSection:
    spec: SectionSpec
    rows: list[SessionRow]
    next_cursor: str | None


def list_sections(role: ListRole, listing: object) -> list[ListSection]:
    """The role's sections, each with its page of the listing (ClientSessions or TherapistSessions: a page
    of sessions per section name, ``listing.<name>``) as rows."""
    sections = []
    for spec in role.sections:
        page: Page[TherapySession] = getattr(listing, spec.name)
        rows = [SessionRow.of(session, role.detail_url) for session in page.items]
        sections.append(ListSection(spec=spec, rows=rows, next_cursor=page.next_cursor))
    return sections


@dataclass(frozen=True)
class Confirmation:
    """A page that asks before a session is cancelled, closed or declined (it works without JavaScript)."""

    heading: str
    question: str
    submit: str
    action_url: str
    back_url: str
    # Said above the button when there is more to know (a late cancellation).
    warning: str = ""


_THERAPIST_CONFIRMATIONS = {
    "cancel": ("Cancel this session?", "The client sees it as cancelled by you.", "Yes, cancel the session"),
    "close": ("Close this session?", "It goes to the history of both of you.", "Yes, close the session"),
    "reject": ("Decline this request?", "The client reads your reason, if you give one.", "Decline the request"),
}
CONFIRMED_ACTIONS = frozenset(_THERAPIST_CONFIRMATIONS)


def therapist_confirmation(session: TherapySession, action: str) -> Confirmation:
    heading, question, submit = _THERAPIST_CONFIRMATIONS[action]
    return Confirmation(
        heading=heading,
        question=question,
        submit=submit,
        action_url=reverse("therapist_session_action", args=[session.session_id, action]),
        back_url=reverse("therapist_session", args=[session.session_id]),
    )


def client_cancel_confirmation(session: TherapySession, *, window_hours: int, late: bool) -> Confirmation:
    warning = (
        f"This is less than {window_hours} hours before the session: it will be recorded as a late cancellation, "
        "and your therapist sees it so."
        if late
        else ""
    )
    return Confirmation(
        heading="Cancel this session?",
        question="Your therapist sees it as cancelled by you.",
        submit="Yes, cancel the session",
        action_url=reverse("client_session_cancel", args=[session.session_id]),
        back_url=reverse("client_session", args=[session.session_id]),
        warning=warning,
    )
