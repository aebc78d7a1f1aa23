"""Clinical notes: the therapist's note page of a session, and the client's view of its record.

The note page autosaves through htmx (every few seconds and on leaving a
field) and saves the same way without JavaScript ("Save draft"). Any edit of a
signed note answers 409 with the reason, for a plain post and an htmx post alike.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import client_required, therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.domain import Conflict, NotFound
from portal.ids import is_valid_id, new_id
from portal.note_domain import (
    TEMPLATE_LABELS,
    TEMPLATE_SECTIONS,
    ClinicalNote,
    InvalidNote,
    NoteKind,
    NoteSigned,
    NoteTemplate,
)
from portal.services import clinical_notes as notes
from portal.views.htmx import wants_fragment
from portal.views.session_pages import session_id_or_404

THERAPIST_TEMPLATE = "portal/notes/therapist_note.html"
CLIENT_TEMPLATE = "portal/notes/client_notes.html"
ACTIONS = ("autosave", "save", "sign", "template", "start_from_last")


def _kind(value: str | None) -> NoteKind:
    try:
        return NoteKind(value or "")
    except ValueError:
        raise Http404 from None


def _version(value: str | None) -> int:
    try:
        return max(0, int(value or "0"))
    except ValueError:
        return 0


def _request_id_or_404(request_id: str) -> str:
    if not is_valid_id(request_id):
        raise Http404
    return request_id


def _typed(note: ClinicalNote, template: str, data: Any) -> ClinicalNote:
    """The note as the therapist typed it: what a refused save shows again, so nothing is lost."""
    try:
        chosen = NoteTemplate(template)
    except ValueError:
        chosen = note.template
    sections = tuple((name, data.get(name, note.text(name))) for name, _label in TEMPLATE_SECTIONS[chosen])
    return ClinicalNote(
        session_id=note.session_id,
        therapist_id=note.therapist_id,
        client_id=note.client_id,
        kind=note.kind,
        template=chosen,
        sections=sections,
        version=_version(data.get("version")),
        saved_at=note.saved_at,
        signature=note.signature,
        altered=note.altered,
    )


def _context(page: notes.NotePage, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "page": page,
        "session": page.session,
        "zone": timezone.get_current_timezone(),
        "templates": [(str(t), TEMPLATE_LABELS[t]) for t in NoteTemplate],
        "sections_of": {str(t): TEMPLATE_SECTIONS[t] for t in NoteTemplate},
        "status": {},
        "errors": {},
        # Names what the page's create forms make, so a double submit stores one.
        "form_key": new_id(),
    }
    context.update(extra)
    return context


@therapist_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def therapist_note(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    """The session's notes; a POST saves a draft, changes its template, starts from the last note, or signs."""
    session_id = session_id_or_404(session_id)
    if request.method == "GET":
        return render(request, THERAPIST_TEMPLATE, _context(notes.note_page(user=request.user, session_id=session_id)))
    data = request.POST
    kind = _kind(data.get("kind"))
    action = data.get("action", "save")
    if action not in ACTIONS:
        action = "save"
    template = data.get("template", "simple")
    version = _version(data.get("version"))
    sections = {name: data.get(name, "") for t in NoteTemplate for name, _ in TEMPLATE_SECTIONS[t]}
    status, message, saved = 200, "", None
    if action == "template" and kind is NoteKind.PROGRESS and data.get("make_default"):
        try:
            notes.default_template_set(user=request.user, template=template)
        except InvalidNote as exc:
            status, message = 400, str(exc)
    try:
        if action == "sign":
            saved = notes.note_sign(
                user=request.user,
                session_id=session_id,
                kind=kind,
                template=template,
                sections=sections,
                version=version,
            )
        elif action == "start_from_last":
            saved = notes.note_start_from_last(user=request.user, session_id=session_id, version=version)
        else:
            saved = notes.note_save_draft(
                user=request.user,
                session_id=session_id,
                kind=kind,
                template=template,
                sections=sections,
                version=version,
            )
    except NoteSigned as exc:
        status, message = 409, str(exc)
    except Conflict:
        status, message = (
            409,
            (
                "This note was saved in another tab or device since this page was opened. "
                "Copy what you typed, then reload the page to see the newer version."
            ),
        )
    except InvalidNote as exc:
        status, message = 400, str(exc)
    if wants_fragment(request) and action == "autosave":
        return render(
            request,
            f"{THERAPIST_TEMPLATE}#autosave_status",
            {"kind": str(kind), "saved": saved, "message": message, "zone": timezone.get_current_timezone()},
            status=status,
        )
    if status == 200 and action in ("sign", "save", "start_from_last") and not wants_fragment(request):
        messages.success(request, "Signed." if action == "sign" else "Draft saved.")
        return redirect("therapist_session_note", session_id=session_id)
    page = notes.note_page(user=request.user, session_id=session_id)
    if status != 200 or action == "template":
        # Show what was typed, in the template asked for, with the reason it was not taken.
        current = page.progress if kind is NoteKind.PROGRESS else page.shared
        typed = _typed(current, template, data)
        if status == 200 and saved is not None:
            typed = saved
        page = notes.NotePage(
            session=page.session,
            progress=typed if kind is NoteKind.PROGRESS else page.progress,
            shared=typed if kind is NoteKind.SHARED else page.shared,
            progress_addenda=page.progress_addenda,
            shared_addenda=page.shared_addenda,
            corrections=page.corrections,
        )
    context = _context(page, status={str(kind): message})
    if wants_fragment(request):
        block = "progress_note" if kind is NoteKind.PROGRESS else "shared_note"
        return render(request, f"{THERAPIST_TEMPLATE}#{block}", context, status=status)
    return render(request, THERAPIST_TEMPLATE, context, status=status)


@therapist_required
@require_POST
def therapist_note_addendum(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    session_id = session_id_or_404(session_id)
    kind = _kind(request.POST.get("kind"))
    try:
        notes.addendum_add(
            user=request.user,
            session_id=session_id,
            kind=kind,
            text=request.POST.get("text", ""),
            reason=request.POST.get("reason", ""),
            form_key=request.POST.get("form_key"),
        )
    except (InvalidNote, Conflict) as exc:
        page = notes.note_page(user=request.user, session_id=session_id)
        context = _context(
            page,
            errors={f"addendum-{kind}": str(exc)},
            typed={"text": request.POST.get("text", ""), "reason": request.POST.get("reason", "")},
        )
        return render(request, THERAPIST_TEMPLATE, context, status=409 if isinstance(exc, Conflict) else 400)
    messages.success(request, "Addendum signed.")
    return redirect("therapist_session_note", session_id=session_id)


@therapist_required
@require_POST
def therapist_correction_answer(request: AuthenticatedHttpRequest, session_id: str, request_id: str) -> HttpResponse:
    """Accept a correction request with an addendum that references it, or decline it with a reason."""
    session_id = session_id_or_404(session_id)
    request_id = _request_id_or_404(request_id)
    base_url = request.build_absolute_uri("/")
    try:
        if request.POST.get("action") == "decline":
            notes.correction_decline(
                user=request.user,
                session_id=session_id,
                request_id=request_id,
                reason=request.POST.get("reason", ""),
                base_url=base_url,
            )
            done = "Request declined; the client was told."
        else:
            notes.addendum_add(
                user=request.user,
                session_id=session_id,
                kind=_kind(request.POST.get("kind")),
                text=request.POST.get("text", ""),
                reason=request.POST.get("reason", ""),
                request_id=request_id,
                base_url=base_url,
                form_key=request.POST.get("form_key"),
            )
            done = "Request accepted with a signed addendum; the client was told."
    except NotFound:
        raise Http404 from None
    except (InvalidNote, Conflict) as exc:
        page = notes.note_page(user=request.user, session_id=session_id)
        context = _context(page, errors={f"correction-{request_id}": str(exc)})
        return render(request, THERAPIST_TEMPLATE, context, status=409 if isinstance(exc, Conflict) else 400)
    messages.success(request, done)
    return redirect("therapist_session_note", session_id=session_id)


@client_required
@require_http_methods(["GET", "POST"])
def client_session_notes(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    """The session's record as the client reads it; a POST asks for a correction."""
    session_id = session_id_or_404(session_id)
    errors: dict[str, str] = {}
    typed = ""
    status = 200
    if request.method == "POST":
        typed = request.POST.get("text", "")
        try:
            notes.correction_request(
                user=request.user,
                session_id=session_id,
                text=typed,
                base_url=request.build_absolute_uri("/"),
                form_key=request.POST.get("form_key"),
            )
        except InvalidNote as exc:
            errors["request"], status = str(exc), 400
        else:
            messages.success(request, "Your request was sent. Your therapist answers within 60 days.")
            return redirect("client_session_notes", session_id=session_id)
    view = notes.client_notes(user=request.user, session_id=session_id)
    context = {
        "view": view,
        "session": view.session,
        "errors": errors,
        "typed": typed,
        "zone": timezone.get_current_timezone(),
        "form_key": request.POST.get("form_key") or new_id(),
    }
    return render(request, CLIENT_TEMPLATE, context, status=status)


@client_required
@require_POST
def client_correction_statement(request: AuthenticatedHttpRequest, session_id: str, request_id: str) -> HttpResponse:
    session_id = session_id_or_404(session_id)
    request_id = _request_id_or_404(request_id)
    try:
        notes.correction_statement(
            user=request.user,
            session_id=session_id,
            request_id=request_id,
            statement=request.POST.get("statement", ""),
            base_url=request.build_absolute_uri("/"),
        )
    except NotFound:
        raise Http404 from None
    except (InvalidNote, Conflict) as exc:
        view = notes.client_notes(user=request.user, session_id=session_id)
        context = {
            "view": view,
            "session": view.session,
            "errors": {f"statement-{request_id}": str(exc)},
            "typed": "",
            "zone": timezone.get_current_timezone(),
            "form_key": new_id(),
        }
        return render(request, CLIENT_TEMPLATE, context, status=409 if isinstance(exc, Conflict) else 400)
    messages.success(request, "Your statement is kept with the record.")
    return redirect("client_session_notes", session_id=session_id)
