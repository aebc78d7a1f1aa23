"""The client's sessions: ask for one, see upcoming, requested and past ones, read shared notes."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import client_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.user import User
from portal.domain import MAX_SESSION_MINUTES, Conflict, IllegalTransition, MappingStatus, NotFound
from portal.forms.sessions import SessionMoveRequestForm, SessionRequestForm
from portal.policy import NotAllowed
from portal.presenters.sessions import CLIENT_LIST, client_cancel_confirmation
from portal.services import sessions as session_service
from portal.services.practice import client_therapists_page
from portal.timeutil import utcnow
from portal.views.session_pages import (
    earlier_sessions_response,
    session_ics_response,
    session_id_or_404,
    session_list_response,
)

DETAIL_TEMPLATE = "portal/sessions/client_detail.html"
CONFIRM_TEMPLATE = "portal/sessions/confirm.html"
MOVE_TEMPLATE = "portal/sessions/client_move.html"



def _therapist_choices(user: User) -> list[tuple[str, str]]:
    page = client_therapists_page(client_id=user.account_id)
    return [
        (row.therapist.therapist_id, row.therapist.name)
        for row in page.items
        if row.mapping.status is MappingStatus.ACTIVE
    ]


@client_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    if request.method == "POST":
        form = SessionRequestForm(request.POST, therapists=_therapist_choices(user))
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = session_service.session_request(
                    user=user,
                    therapist_id=data["therapist"],
                    title=data["title"],
                    scheduled_for=form.scheduled_for(),
                    message=data["message"],
                    idempotency_key=data["idempotency_key"],
                )
            except (session_service.InvalidSession, NotAllowed, Conflict) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your request was sent. Your therapist will answer it here.")
                return redirect("client_session", session_id=session.session_id)
        status = 400
    else:
        form = SessionRequestForm(therapists=_therapist_choices(user))
    return session_list_response(
        request,
        CLIENT_LIST,
        user=user,
        form=form,
        list_sessions=lambda cursors: session_service.client_sessions(
            user=user,
            upcoming_cursor=cursors["upcoming"],
            pending_cursor=cursors["pending"],
            past_cursor=cursors["past"],
        ),
        status=status,
    )


@client_required
@require_GET
@vary_on_headers("HX-Request")
def sessions_earlier(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Approved sessions whose time passed and that were not closed: out of "Upcoming", kept here."""
    page = session_service.sessions_not_closed_before(
        user=request.user,
        before=utcnow() - timedelta(minutes=MAX_SESSION_MINUTES),
        cursor=request.GET.get("earlier"),
    )
    return earlier_sessions_response(request, CLIENT_LIST, earlier_url="client_sessions_earlier", page=page)


@client_required
@require_GET
def session_detail(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    page = session_service.client_session_page(user=request.user, session_id=session_id_or_404(session_id))
    return render(request, DETAIL_TEMPLATE, {"page": page, "session": page.session})


@client_required
@require_POST
def session_withdraw(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    try:
        session_service.session_withdraw(user=request.user, session_id=session_id_or_404(session_id))
    except NotFound:
        raise Http404 from None
    except (session_service.InvalidSession, IllegalTransition) as exc:
        messages.error(request, str(exc))
    except Conflict:
        messages.error(request, "Your therapist answered this request a moment ago: see the answer below.")
    else:
        messages.success(request, "Your request was withdrawn.")
    return redirect("client_session", session_id=session_id)


@client_required
@require_http_methods(["GET", "POST"])
def session_cancel(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    """GET: the page that asks first (saying whether it would be late); POST: cancel the approved session."""
    session_id = session_id_or_404(session_id)
    if request.method == "GET":
        try:
            preview = session_service.client_cancel_preview(user=request.user, session_id=session_id)
        except NotFound:
            raise Http404 from None
        confirm = client_cancel_confirmation(preview.session, window_hours=preview.window_hours, late=preview.late)
        return render(request, CONFIRM_TEMPLATE, {"confirm": confirm, "session": preview.session, "form": None})
    try:
        cancelled = session_service.session_cancel_by_client(user=request.user, session_id=session_id)
    except NotFound:
        raise Http404 from None
    except (session_service.InvalidSession, session_service.ReadOnlySession, IllegalTransition) as exc:
        messages.error(request, str(exc))
    except Conflict:
        messages.error(request, "The session changed a moment ago: see it below.")
    else:
        messages.success(
            request,
            "The session was cancelled (a late cancellation)." if cancelled.late_cancellation else "The session was cancelled.",
        )
    return redirect("client_session", session_id=session_id)


@client_required
@require_http_methods(["GET", "POST"])
def session_move(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    """Ask for another time for an approved session; it keeps its time until the therapist agrees."""
    session_id = session_id_or_404(session_id)
    status = 200
    if request.method == "POST":
        form = SessionMoveRequestForm(request.POST)
        if form.is_valid():
            try:
                session_service.session_move_request(
                    user=request.user, session_id=session_id, scheduled_for=form.scheduled_for()
                )
            except NotFound:
                raise Http404 from None
            except (session_service.InvalidSession, session_service.ReadOnlySession, Conflict) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your therapist was asked for the new time. Until they agree, the session stays where it is.")
                return redirect("client_session", session_id=session_id)
        status = 400
    else:
        form = SessionMoveRequestForm()
    page = session_service.client_session_page(user=request.user, session_id=session_id)
    return render(request, MOVE_TEMPLATE, {"form": form, "session": page.session}, status=status)


@client_required
@require_GET
def session_ics(request: AuthenticatedHttpRequest, session_id: str) -> HttpResponse:
    session = session_service.client_session_page(user=request.user, session_id=session_id_or_404(session_id)).session
    return session_ics_response(session)
