"""The therapist's sessions: the agenda, requests to answer, past sessions, and one session's page."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.user import User
from portal.domain import Conflict, IllegalTransition, MappingStatus, NotFound, TherapySession
from portal.forms.sessions import (
    SessionApproveForm,
    SessionCreateForm,
    SessionNotesForm,
    SessionRejectForm,
    SessionRescheduleForm,
)
from portal.policy import NotAllowed
from portal.presenters.sessions import CONFIRMED_ACTIONS, THERAPIST_LIST, therapist_confirmation
from portal.services import sessions as session_service
from portal.services.practice import client_shown_to_therapist, therapist_clients_page
from portal.services.sessions import InvalidSession, NotesConflict, ReadOnlySession, SessionOverlap
from portal.views.htmx import wants_fragment
from portal.views.session_pages import (
    earlier_sessions_response,
    session_ics_response,
    session_id_or_404,
    session_list_response,
)

DETAIL_TEMPLATE = "portal/sessions/therapist_detail.html"
RESCHEDULE_TEMPLATE = "portal/sessions/therapist_reschedule.html"
CONFIRM_TEMPLATE = "portal/sessions/confirm.html"



def _client_choices(user: User) -> list[tuple[str, str]]:
    page = therapist_clients_page(therapist_id=user.account_id)
    return [
        (row.client.client_id, row.client.name)
        for row in page.items
        if row.mapping.status is MappingStatus.ACTIVE
    ]


def _confirming(form: Any, exc: SessionOverlap) -> None:
    """Ask again with the overlap in view; the next submit confirms it."""
    data = form.data.copy()
    data["confirm_overlap"] = "True"
    form.data = data


@therapist_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    overlap: list[TherapySession] = []
    if request.method == "POST":
        form = SessionCreateForm(request.POST, clients=_client_choices(user))
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = session_service.session_create(
                    user=user,
                    client_id=data["client"],
                    title=data["title"],
                    scheduled_for=form.scheduled_for(),
                    duration_minutes=data["duration_minutes"],
                    location=data["location"],
                    idempotency_key=data["idempotency_key"],
                    confirm_overlap=data["confirm_overlap"],
                )
            except SessionOverlap as exc:
                overlap = exc.overlapping
                _confirming(form, exc)
            except (InvalidSession, NotAllowed, Conflict) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "The session is in your agenda.")
                return redirect("therapist_session", session_id=session.session_id)
        status = 409 if overlap else 400
    else:
        form = SessionCreateForm(clients=_client_choices(user))
    today_starts = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return session_list_response(
        request,
        THERAPIST_LIST,
        user=user,
        form=form,
        list_sessions=lambda cursors: session_service.therapist_sessions(
            user=user,
            today_starts=today_starts,
            agenda_cursor=cursors["agenda"],
            requests_cursor=cursors["requests"],
            past_cursor=cursors["past"],
        ),
        overlap=overlap,
        status=status,
    )


@therapist_required
@require_GET
@vary_on_headers("HX-Request")
def sessions_earlier(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Approved sessions from before today that were not closed: out of the agenda, kept here."""
    today_starts = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    page = session_service.sessions_not_closed_before(
        user=request.user, before=today_starts, cursor=request.GET.get("earlier")
    )
    return earlier_sessions_response(request, THERAPIST_LIST, earlier_url="therapist_sessions_earlier", page=page)


def _client_zone(session: TherapySession, user: User) -> ZoneInfo | None:
    """The client's zone when it is not the therapist's: the page then gives the client's time too."""
    client = client_shown_to_therapist(client_id=session.client_id)
    if client is None or client.time_zone == user.time_zone:
        return None
    return ZoneInfo(client.time_zone)


def _detail_context(request: AuthenticatedHttpRequest, session_id: str, **extra: Any) -> dict[str, Any]:
    page = session_service.therapist_session_page(
        user=request.user, session_id=session_id, time_zone=str(timezone.get_current_timezone())
    )
    session = page.session
    context: dict[str, Any] = {
        "page": page,
        "session": session,
        "notes_form": SessionNotesForm(
            initial={
                "private_notes": session.private_notes,
                "shared_notes": session.shared_notes,
                "version": session.version,
            }
        ),
        "approve_form": SessionApproveForm(
            initial={"location": session.location, "duration_minutes": session.duration_minutes}
        ),
        "overlap": [],
        "conflict": None,
        "notes_saved": False,
        "client_zone": _client_zone(session, request.user),
    }
    context.update(extra)
    return context


@therapist_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def session_detail(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    """The session's page; a POST saves its notes (optimistically locked on the version)."""
    session_id = session_id_or_404(session_id)
    if request.method == "GET":
        return render(request, DETAIL_TEMPLATE, _detail_context(request, session_id))
    form = SessionNotesForm(request.POST)
    conflict: TherapySession | None = None
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            session_service.session_notes_save(
                user=request.user,
                session_id=session_id,
                version=data["version"],
                private_notes=data["private_notes"],
                shared_notes=data["shared_notes"],
            )
        except NotesConflict as exc:
            conflict = exc.current
            # Keep what was typed; the next save goes over the version now shown beside it.
            fresh = request.POST.copy()
            fresh["version"] = str(conflict.version)
            form = SessionNotesForm(fresh)
            form.is_valid()
            status = 409
        except (InvalidSession, ReadOnlySession) as exc:
            form.add_error(None, str(exc))
        except NotFound:
            raise Http404 from None
        else:
            if wants_fragment(request):
                context = _detail_context(request, session_id, notes_saved=True)
                return render(request, f"{DETAIL_TEMPLATE}#notes", context)
            messages.success(request, "Notes saved.")
            return redirect("therapist_session", session_id=session_id)
    context = _detail_context(request, session_id, notes_form=form, conflict=conflict)
    template = f"{DETAIL_TEMPLATE}#notes" if wants_fragment(request) else DETAIL_TEMPLATE
    return render(request, template, context, status=status)


_MOVES = {
    "open": (session_service.session_open, "The session is open."),
    "close": (session_service.session_close, "The session is closed."),
    "cancel": (session_service.session_cancel, "The session was cancelled."),
}


def _confirm_page(request: AuthenticatedHttpRequest, session_id: str, action: str) -> HttpResponse:
    """The page asking before a cancel, a close or a decline (the decline's reason is typed there)."""
    session = session_service.session_for_therapist_read(user=request.user, session_id=session_id)
    context = {
        "confirm": therapist_confirmation(session, action),
        "session": session,
        "form": SessionRejectForm() if action == "reject" else None,
    }
    return render(request, CONFIRM_TEMPLATE, context)


@therapist_required
@require_http_methods(["GET", "POST"])
def session_action(request: AuthenticatedHttpRequest, session_id: str, action: str) -> HttpResponse:
    """Approve, reject, open, close or cancel; a refused move says why on the session's page.

    A GET of cancel, close or reject is the page that asks first; the POST does it.
    """
    session_id = session_id_or_404(session_id)
    user = request.user
    if request.method == "GET":
        if action not in CONFIRMED_ACTIONS:
            return HttpResponseNotAllowed(["POST"])
        try:
            return _confirm_page(request, session_id, action)
        except NotFound:
            raise Http404 from None
    try:
        if action == "approve":
            form = SessionApproveForm(request.POST)
            if not form.is_valid():
                context = _detail_context(request, session_id, approve_form=form)
                return render(request, DETAIL_TEMPLATE, context, status=400)
            data = form.cleaned_data
            try:
                session_service.session_approve(
                    user=user,
                    session_id=session_id,
                    location=data["location"],
                    duration_minutes=data["duration_minutes"],
                    confirm_overlap=data["confirm_overlap"],
                )
            except SessionOverlap as exc:
                _confirming(form, exc)
                context = _detail_context(request, session_id, approve_form=form, overlap=exc.overlapping)
                return render(request, DETAIL_TEMPLATE, context, status=409)
            messages.success(request, "Approved: the client sees it in their sessions.")
        elif action == "reject":
            reject_form = SessionRejectForm(request.POST)
            if not reject_form.is_valid():
                session = session_service.session_for_therapist_read(user=user, session_id=session_id)
                context = {"confirm": therapist_confirmation(session, "reject"), "session": session, "form": reject_form}
                return render(request, CONFIRM_TEMPLATE, context, status=400)
            session_service.session_reject(
                user=user, session_id=session_id, reason=reject_form.cleaned_data["reason"]
            )
            messages.success(request, "The request was declined.")
        elif action in ("move_approve", "move_decline"):
            try:
                session_service.session_move_answer(
                    user=user,
                    session_id=session_id,
                    approve=action == "move_approve",
                    confirm_overlap=request.POST.get("confirm_overlap") == "True",
                )
            except SessionOverlap:
                messages.error(
                    request, "The time the client asked for overlaps another session: change the time or answer again."
                )
            else:
                messages.success(
                    request, "The session moved to the new time." if action == "move_approve" else "The new time was declined."
                )
        elif action in _MOVES:
            move, done = _MOVES[action]
            move(user=user, session_id=session_id)
            messages.success(request, done)
        else:
            raise Http404
    except NotFound:
        raise Http404 from None
    except (IllegalTransition, InvalidSession, ReadOnlySession) as exc:
        messages.error(request, str(exc))
    except Conflict:
        messages.error(request, "The session changed a moment ago (the client may have withdrawn it): see it below.")
    return redirect("therapist_session", session_id=session_id)


@therapist_required
@require_http_methods(["GET", "POST"])
def session_reschedule(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    session_id = session_id_or_404(session_id)
    user = request.user
    overlap: list[TherapySession] = []
    status = 200
    if request.method == "POST":
        form = SessionRescheduleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                session_service.session_reschedule(
                    user=user,
                    session_id=session_id,
                    scheduled_for=form.scheduled_for(),
                    duration_minutes=data["duration_minutes"],
                    location=data["location"],
                    confirm_overlap=data["confirm_overlap"],
                )
            except SessionOverlap as exc:
                overlap = exc.overlapping
                _confirming(form, exc)
            except (InvalidSession, ReadOnlySession, IllegalTransition, Conflict) as exc:
                form.add_error(None, str(exc))
            except NotFound:
                raise Http404 from None
            else:
                messages.success(request, "The session moved to its new time.")
                return redirect("therapist_session", session_id=session_id)
        status = 409 if overlap else 400
        session = session_service.session_for_therapist_read(user=user, session_id=session_id)
    else:
        session = session_service.session_for_therapist_read(user=user, session_id=session_id)
        local = timezone.localtime(session.scheduled_for)
        form = SessionRescheduleForm(
            initial={
                "day": local.date(),
                "start_time": local.time().replace(second=0, microsecond=0),
                "duration_minutes": session.duration_minutes,
                "location": session.location,
            }
        )
    return render(
        request, RESCHEDULE_TEMPLATE, {"form": form, "session": session, "overlap": overlap}, status=status
    )


@therapist_required
@require_GET
def session_ics(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    session = session_service.session_for_therapist_read(user=request.user, session_id=session_id_or_404(session_id))
    return session_ics_response(session)
