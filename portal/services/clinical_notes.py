"""Clinical notes a therapist writes to a template, saves as drafts, signs, and can only add to after.

Each held session (open or closed) has two notes: the therapist's private
progress note, written to a template (Simple, SOAP, DAP or BIRP), and the
shared note the client reads, one plain text. Both are drafts until signed;
a draft autosaves with one conditional write over the version the page holds,
so two tabs never overwrite each other silently. Signing stores the signer,
the time and a SHA-256 digest of the content; the signed note never changes
(DynamoDB's own condition refuses it) and is corrected by signed addenda.

A client may ask for a correction of a session's record; the therapist answers
within 60 days by an addendum that references the request, or declines with a
reason, and the client may then keep a statement of disagreement with it.
Every signature, addendum and step of a request is audited (ids only, never
text) and each step emails the other side without a word of health data.

Private progress notes reach nobody but their therapist: the client's view
and the client's export read only the shared note, its addenda and the
requests; staff have no path here at all.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from portal.accounts.user import User
from portal.domain import AccountKind, AuditEvent, Conflict, NotFound, Page, SessionStatus, TherapySession
from portal.dynamo.audit import new_audit_event
from portal.dynamo.clients import ClientRepository
from portal.dynamo.clinical_notes import ClinicalNoteRepository
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.therapists import TherapistRepository
from portal.ids import is_valid_id, new_id
from portal.note_domain import (
    MAX_ADDENDUM_LENGTH,
    MAX_CORRECTION_LENGTH,
    MAX_REASON_LENGTH,
    MAX_SECTION_LENGTH,
    TEMPLATE_SECTIONS,
    Addendum,
    ClinicalNote,
    CorrectionRequest,
    CorrectionStatus,
    InvalidNote,
    NoteKind,
    NoteSigned,
    NoteTemplate,
    SessionNotes,
    Signature,
    addendum_digest,
    blank_sections,
)
from portal.policy import may_read_note, session_for_client, session_for_therapist
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

# Notes are written about a session that took place (or is taking place).
HELD = frozenset({SessionStatus.OPEN, SessionStatus.CLOSED})
# A closed session whose note is still unsigned this long after is listed as "notes to sign".
SIGN_WITHIN = timedelta(hours=72)
# How many of a client's earlier sessions "start from my last note" looks through.
LAST_NOTE_LOOKBACK = 5
# How many recent closed sessions the home page's "notes to sign" checks (one Query, one BatchGetItem).
TO_SIGN_WINDOW = 50
DEFAULT_TEMPLATE = NoteTemplate.SOAP

SIGNED = "session.note.signed"
ADDENDUM = "session.note.addendum"
CORRECTION_REQUESTED = "session.correction.requested"
CORRECTION_ACCEPTED = "session.correction.accepted"
CORRECTION_DECLINED = "session.correction.declined"
CORRECTION_STATEMENT = "session.correction.statement"


# --- what pages read ---------------------------------------------------------------------


@dataclass(frozen=True)
class NotePage:
    """A session's notes for its therapist (one GetItem, one Query; one more GetItem for a first draft)."""

    session: TherapySession
    progress: ClinicalNote
    shared: ClinicalNote
    progress_addenda: list[Addendum]
    shared_addenda: list[Addendum]
    corrections: list[CorrectionRequest]

    @property
    def writable(self) -> bool:
        return self.session.status in HELD


@dataclass(frozen=True)
class ClientNotes:
    """What a client reads of a session's record: the signed shared note, its addenda, their requests."""

    session: TherapySession
    shared: ClinicalNote | None
    shared_addenda: list[Addendum]
    corrections: list[CorrectionRequest]


def _blank(session: TherapySession, kind: NoteKind, template: NoteTemplate) -> ClinicalNote:
    return ClinicalNote(
        session_id=session.session_id,
        therapist_id=session.therapist_id,
        client_id=session.client_id,
        kind=kind,
        template=template,
        sections=blank_sections(template),
    )


def _legacy(session: TherapySession, kind: NoteKind, text: str) -> ClinicalNote:
    """A first draft from the notes kept on the session item before notes had their own items:
    shown unsaved (version 0), so the first autosave moves them over and nothing is lost."""
    return replace(_blank(session, kind, NoteTemplate.SIMPLE), sections=(("note", text),))


def default_template(therapist_id: str) -> NoteTemplate:
    stored = TherapistRepository().note_template(therapist_id)
    try:
        return NoteTemplate(stored) if stored else DEFAULT_TEMPLATE
    except ValueError:
        return DEFAULT_TEMPLATE


def default_template_set(*, user: User, template: str) -> NoteTemplate:
    """The therapist's choice of template for new progress notes, kept on their profile."""
    if user.kind is not AccountKind.THERAPIST:
        raise NotFound("No such therapist.")
    chosen = _template(template)
    TherapistRepository().set_note_template(user.account_id, str(chosen))
    return chosen


def _template(value: str) -> NoteTemplate:
    try:
        return NoteTemplate(value)
    except ValueError:
        raise InvalidNote("Choose one of the note templates.") from None


def note_page(*, user: User, session_id: str) -> NotePage:
    session = session_for_therapist(user, session_id)
    stored = ClinicalNoteRepository().for_session(session.session_id)
    progress = stored.note(NoteKind.PROGRESS)
    if progress is None and session.private_notes:
        progress = _legacy(session, NoteKind.PROGRESS, session.private_notes)
    elif progress is None:
        progress = _blank(session, NoteKind.PROGRESS, default_template(session.therapist_id))
    shared = stored.note(NoteKind.SHARED)
    if shared is None:
        shared = _legacy(session, NoteKind.SHARED, session.shared_notes)
    return NotePage(
        session=session,
        progress=progress,
        shared=shared,
        progress_addenda=stored.addenda_of(NoteKind.PROGRESS),
        shared_addenda=stored.addenda_of(NoteKind.SHARED),
        corrections=list(stored.corrections),
    )


def client_notes(*, user: User, session_id: str) -> ClientNotes:
    """The client's view of a session's record. Never the progress note, signed or not."""
    session = session_for_client(user, session_id)
    stored = ClinicalNoteRepository().for_session(session.session_id)
    shared = stored.note(NoteKind.SHARED)
    visible = may_read_note(user, session, NoteKind.SHARED)
    return ClientNotes(
        session=session,
        # A draft is not yet the record: the client reads the shared note once signed.
        shared=shared if visible and shared is not None and shared.signed else None,
        shared_addenda=stored.addenda_of(NoteKind.SHARED) if visible else [],
        corrections=list(stored.corrections),
    )


# --- drafts and signing ------------------------------------------------------------------


def _writable_session(user: User, session_id: str) -> TherapySession:
    session = session_for_therapist(user, session_id)
    if session.status not in HELD:
        raise InvalidNote("Notes are written once the session has started.")
    return session


def _sections(kind: NoteKind, template: NoteTemplate, values: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    if kind is NoteKind.SHARED and template is not NoteTemplate.SIMPLE:
        raise InvalidNote("The shared note is one plain text.")
    sections: list[tuple[str, str]] = []
    for name, label in TEMPLATE_SECTIONS[template]:
        text = (values.get(name) or "").replace("\r\n", "\n")
        if len(text) > MAX_SECTION_LENGTH:
            raise InvalidNote(f"{label} holds at most {MAX_SECTION_LENGTH} characters.")
        sections.append((name, text))
    return tuple(sections)


def _draft(session: TherapySession, kind: NoteKind, template: str, values: Mapping[str, str]) -> ClinicalNote:
    chosen = _template(template)
    return replace(_blank(session, kind, chosen), sections=_sections(kind, chosen, values))


def note_save_draft(
    *, user: User, session_id: str, kind: NoteKind, template: str, sections: Mapping[str, str], version: int
) -> ClinicalNote:
    """Autosave (or "Save draft"): one conditional write over ``version``.

    Conflict when another tab saved since; NoteSigned once the note is signed.
    """
    session = _writable_session(user, session_id)
    note = _draft(session, kind, template, sections)
    repo = ClinicalNoteRepository()
    try:
        saved = repo.save_draft(note, expected_version=version, at=utcnow())
    except NoteSigned:
        raise
    except Conflict:
        current = _same_content(repo, note)
        if current is None:
            raise
        return current
    logger.info("session %s %s note draft saved (v%s)", session_id, kind, saved.version)
    return saved


def note_sign(
    *, user: User, session_id: str, kind: NoteKind, template: str, sections: Mapping[str, str], version: int
) -> ClinicalNote:
    """Sign the note as shown (its last text saved with the signature, in one transaction with its audit)."""
    session = _writable_session(user, session_id)
    note = _draft(session, kind, template, sections)
    if note.is_empty:
        raise InvalidNote("Write the note before signing it.")
    at = utcnow()
    event = _event(session, SIGNED, user, {"note": str(kind)})
    repo = ClinicalNoteRepository()
    try:
        signed = repo.sign(
            note, expected_version=version, signer_id=user.account_id, signer_name=user.name, at=at, audit=event
        )
    except NoteSigned:
        raise
    except Conflict:
        current = _same_content(repo, note)
        if current is None:
            raise
        # The page's own autosave of this very text landed first: sign what it stored.
        signed = repo.sign(
            note,
            expected_version=current.version,
            signer_id=user.account_id,
            signer_name=user.name,
            at=at,
            audit=event,
        )
    logger.info("session %s %s note signed by therapist %s", session_id, kind, user.account_id)
    return signed


def _same_content(repo: ClinicalNoteRepository, note: ClinicalNote) -> ClinicalNote | None:
    """The stored draft when it holds exactly this text (the page's own autosave got there first).

    A save refused for its version is then no conflict: nothing would be lost.
    """
    current = repo.get_note(note.session_id, note.kind)
    if current is None or current.signed:
        return None
    if (current.template, current.sections) != (note.template, note.sections):
        return None
    return current


def note_start_from_last(*, user: User, session_id: str, version: int) -> ClinicalNote:
    """Copy the sections of this client's previous progress note into this session's draft."""
    session = _writable_session(user, session_id)
    repo = ClinicalNoteRepository()
    current = repo.get_note(session.session_id, NoteKind.PROGRESS)
    if current is not None and current.signed:
        raise NoteSigned()
    earlier = SessionRepository().list_by_client(
        session.client_id,
        before=session.scheduled_for,
        newest_first=True,
        statuses=HELD,
        limit=LAST_NOTE_LOOKBACK * 2,
    )
    for candidate in earlier.items:
        if candidate.therapist_id != session.therapist_id:
            continue
        last = repo.get_note(candidate.session_id, NoteKind.PROGRESS)
        if last is not None and not last.is_empty:
            draft = replace(_blank(session, NoteKind.PROGRESS, last.template), sections=last.sections)
            return repo.save_draft(draft, expected_version=version, at=utcnow())
    raise InvalidNote("There is no earlier note for this client to start from.")


def _event(session: TherapySession, action: str, user: User, detail: dict[str, str]) -> AuditEvent:
    return new_audit_event(
        subject_id=session.client_id,
        action=action,
        actor_kind=user.kind,
        actor_id=user.account_id,
        detail={"session": session.session_id, **detail},
    )


# --- addenda ------------------------------------------------------------------------------


def _check(text: str, what: str, limit: int, *, required: bool = True) -> str:
    text = text.replace("\r\n", "\n").strip()
    if required and not text:
        raise InvalidNote(f"{what} is required.")
    if len(text) > limit:
        raise InvalidNote(f"{what} holds at most {limit} characters.")
    return text


def addendum_add(
    *,
    user: User,
    session_id: str,
    kind: NoteKind,
    text: str,
    reason: str,
    request_id: str | None = None,
    base_url: str = "",
    form_key: str | None = None,
) -> Addendum:
    """A signed addendum to a signed note; with ``request_id`` it accepts that correction request.

    ``form_key`` (a ULID the form carries) names the addendum, so a double submit or a
    retry stores one addendum and answers with it.
    """
    session = session_for_therapist(user, session_id)
    text = _check(text, "The addendum", MAX_ADDENDUM_LENGTH)
    reason = _check(reason, "A reason", MAX_REASON_LENGTH)
    repo = ClinicalNoteRepository()
    answers: CorrectionRequest | None = None
    if request_id is not None:
        stored = repo.for_session(session.session_id)
        answers = next((c for c in stored.corrections if c.request_id == request_id), None)
        if answers is None:
            raise NotFound("No such request.")
        if answers.status is not CorrectionStatus.OPEN:
            raise Conflict("This request was already answered.")
    at = utcnow()
    addendum_id = form_key if form_key and is_valid_id(form_key) else new_id()
    addendum = Addendum(
        session_id=session.session_id,
        therapist_id=session.therapist_id,
        client_id=session.client_id,
        kind=kind,
        addendum_id=addendum_id,
        author_id=user.account_id,
        author_name=user.name,
        reason=reason,
        text=text,
        request_id=request_id,
        signature=Signature(
            signer_id=user.account_id,
            signer_name=user.name,
            signed_at=at,
            digest=addendum_digest(
                session_id=session.session_id,
                kind=kind,
                addendum_id=addendum_id,
                author_id=user.account_id,
                reason=reason,
                text=text,
                request_id=request_id,
                signed_at=at,
            ),
        ),
    )
    detail = {"note": str(kind), "addendum": addendum_id}
    if request_id is not None:
        detail["request"] = request_id
    try:
        repo.add_addendum(
            addendum,
            audit=_event(session, CORRECTION_ACCEPTED if answers else ADDENDUM, user, detail),
            answers=answers,
            answered_at=at,
        )
    except Conflict:
        stored = repo.for_session(session.session_id)
        earlier = next((a for a in stored.addenda if a.addendum_id == addendum_id and a.kind is kind), None)
        if earlier is None or (earlier.author_id, earlier.request_id, earlier.text) != (
            user.account_id,
            request_id,
            text,
        ):
            raise
        return earlier  # the same form, submitted again: already stored, already told
    logger.info("session %s %s note addendum %s by therapist %s", session_id, kind, addendum_id, user.account_id)
    if answers is not None:
        _email_client(session, "email/note_correction_answered.txt", base_url, accepted=True)
    return addendum


# --- correction requests --------------------------------------------------------------------


def correction_request(
    *, user: User, session_id: str, text: str, base_url: str = "", form_key: str | None = None
) -> CorrectionRequest:
    """The client asks for a correction of the session's record; due 60 days later.

    ``form_key`` names the request, so a double submit stores (and emails) one.
    """
    session = session_for_client(user, session_id)
    text = _check(text, "What should be corrected", MAX_CORRECTION_LENGTH)
    request = CorrectionRequest(
        session_id=session.session_id,
        therapist_id=session.therapist_id,
        client_id=session.client_id,
        request_id=form_key if form_key and is_valid_id(form_key) else new_id(),
        text=text,
        requested_at=utcnow(),
    )
    repo = ClinicalNoteRepository()
    try:
        repo.create_correction(
            request, audit=_event(session, CORRECTION_REQUESTED, user, {"request": request.request_id})
        )
    except Conflict:
        stored = repo.for_session(session.session_id)
        earlier = next((c for c in stored.corrections if c.request_id == request.request_id), None)
        if earlier is None or earlier.text != text:
            raise
        return earlier
    logger.info("session %s correction %s requested by client %s", session_id, request.request_id, user.account_id)
    _email_therapist(session, "email/note_correction_requested.txt", base_url, due_at=request.due_at)
    return request


def _open_request(session: TherapySession, request_id: str) -> CorrectionRequest:
    stored = ClinicalNoteRepository().for_session(session.session_id)
    request = next((c for c in stored.corrections if c.request_id == request_id), None)
    if request is None:
        raise NotFound("No such request.")
    return request


def correction_decline(
    *, user: User, session_id: str, request_id: str, reason: str, base_url: str = ""
) -> CorrectionRequest:
    session = session_for_therapist(user, session_id)
    reason = _check(reason, "A reason", MAX_CORRECTION_LENGTH)
    request = _open_request(session, request_id)
    if request.status is not CorrectionStatus.OPEN:
        raise Conflict("This request was already answered.")
    declined = ClinicalNoteRepository().decline_correction(
        request,
        reason=reason,
        at=utcnow(),
        audit=_event(session, CORRECTION_DECLINED, user, {"request": request_id}),
    )
    logger.info("session %s correction %s declined by therapist %s", session_id, request_id, user.account_id)
    _email_client(session, "email/note_correction_answered.txt", base_url, accepted=False)
    return declined


def correction_statement(
    *, user: User, session_id: str, request_id: str, statement: str, base_url: str = ""
) -> CorrectionRequest:
    """The client's statement of disagreement with a declined request, kept with the record for good."""
    session = session_for_client(user, session_id)
    statement = _check(statement, "Your statement", MAX_CORRECTION_LENGTH)
    request = _open_request(session, request_id)
    if request.status is not CorrectionStatus.DECLINED:
        raise Conflict("A statement can be added to a declined request only.")
    kept = ClinicalNoteRepository().add_statement(
        request,
        statement=statement,
        at=utcnow(),
        audit=_event(session, CORRECTION_STATEMENT, user, {"request": request_id}),
    )
    logger.info("session %s correction %s statement by client %s", session_id, request_id, user.account_id)
    _email_therapist(session, "email/note_correction_statement.txt", base_url)
    return kept


# --- emails: who, when and where to look; never what ------------------------------------------


def _link(base_url: str, name: str, session_id: str) -> str:
    base = (base_url or settings.PORTAL_BASE_URL or "").rstrip("/")
    return f"{base}{reverse(name, kwargs={'session_id': session_id})}"


def _send(template: str, context: dict[str, object], email: str, what: str) -> None:
    body = render_to_string(template, context)
    subject, _, message = body.partition("\n")
    try:
        send_mail(
            subject=subject.strip(),
            message=message.lstrip("\n"),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
        )
    except (OSError, smtplib.SMTPException) as exc:
        # The step itself is stored and audited; the email is a courtesy.
        logger.error("%s email failed: %s", what, type(exc).__name__)


def _email_therapist(session: TherapySession, template: str, base_url: str, **context: object) -> None:
    therapist = TherapistRepository().get(session.therapist_id)
    if therapist is None:
        return
    link = _link(base_url, "therapist_session_note", session.session_id)
    _send(template, {"link": link, "time_zone": therapist.time_zone, **context}, therapist.email, "correction notice")


def _email_client(session: TherapySession, template: str, base_url: str, **context: object) -> None:
    client = ClientRepository().get(session.client_id)
    if client is None:
        return
    link = _link(base_url, "client_session_notes", session.session_id)
    _send(template, {"link": link, **context}, client.email, "correction answer")


# --- for the home page, exports and the session rules ---------------------------------------


def notes_to_sign(*, user: User, now: datetime | None = None) -> list[TherapySession]:
    """Closed sessions held more than 72 hours ago whose progress note is not signed.

    One Query of the therapist's agenda index (the most recent closed sessions
    before the cut-off) and one BatchGetItem of their notes' states (no text).
    """
    therapist_id = user.account_id if user.kind is AccountKind.THERAPIST else ""
    if not therapist_id:
        raise NotFound("No such therapist.")
    cutoff = (now or utcnow()) - SIGN_WITHIN
    page = SessionRepository().list_by_therapist(
        therapist_id,
        before=cutoff,
        newest_first=True,
        statuses={SessionStatus.CLOSED},
        limit=TO_SIGN_WINDOW,
    )
    held = [s for s in page.items if s.ends_at <= cutoff]
    signed = ClinicalNoteRepository().signed_states([s.session_id for s in held], NoteKind.PROGRESS)
    return [s for s in held if not signed[s.session_id]]


def corrections_due(*, user: User) -> list[CorrectionRequest]:
    """Correction requests waiting for this therapist's answer, soonest due first (one Query)."""
    if user.kind is not AccountKind.THERAPIST:
        raise NotFound("No such therapist.")
    return ClinicalNoteRepository().corrections_due(user.account_id)


def session_has_signed_note(session_id: str) -> bool:
    """Whether either note of the session is signed: such a session is never deleted, moved or reopened."""
    stored = ClinicalNoteRepository().for_session(session_id)
    return any(note.signed for note in stored.notes.values())


def check_session_may_change(session_id: str) -> None:
    """Refuse a change of a session's time or a reopening once its record is signed."""
    if session_has_signed_note(session_id):
        raise NoteSigned("This session has a signed note: it can no longer be moved, reopened or deleted.")


@dataclass(frozen=True)
class ExportedNotes:
    session: TherapySession
    notes: list[ClinicalNote]
    addenda: list[Addendum]
    corrections: list[CorrectionRequest]


def _all_sessions(list_page: Callable[..., Page[TherapySession]], owner_id: str) -> list[TherapySession]:
    sessions: list[TherapySession] = []
    cursor: str | None = None
    while True:
        page = list_page(owner_id, limit=100, cursor=cursor)
        sessions += page.items
        cursor = page.next_cursor
        if not cursor:
            return sessions


def therapist_notes_export(*, therapist_id: str) -> list[ExportedNotes]:
    """Every signed note of the therapist's practice with its addenda, signatures and digests."""
    repo = ClinicalNoteRepository()
    exported: list[ExportedNotes] = []
    for session in _all_sessions(SessionRepository().list_by_therapist, therapist_id):
        stored = repo.for_session(session.session_id)
        signed = [n for n in stored.notes.values() if n.signed]
        if signed:
            kinds = {n.kind for n in signed}
            exported.append(
                ExportedNotes(
                    session=session,
                    notes=signed,
                    addenda=[a for a in stored.addenda if a.kind in kinds],
                    corrections=list(stored.corrections),
                )
            )
    return exported


def client_notes_export(*, client_id: str) -> list[ExportedNotes]:
    """The client's signed shared notes with their addenda, their correction requests and statements.

    Never a progress note: they are read here and dropped before anything is returned.
    """
    repo = ClinicalNoteRepository()
    exported: list[ExportedNotes] = []
    for session in _all_sessions(SessionRepository().list_by_client, client_id):
        stored: SessionNotes = repo.for_session(session.session_id)
        shared = stored.note(NoteKind.SHARED)
        notes = [shared] if shared is not None and shared.signed else []
        addenda = stored.addenda_of(NoteKind.SHARED)
        if notes or stored.corrections:
            exported.append(
                ExportedNotes(
                    session=replace(session, private_notes=""),
                    notes=notes,
                    addenda=addenda,
                    corrections=list(stored.corrections),
                )
            )
    return exported
