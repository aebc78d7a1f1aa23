"""Booking pages: the therapist's hours, the client's week of open times and one-tap request, recurring series."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.accounts.decorators import client_required, therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.user import User
from portal.availability import InvalidAvailability, RequestsOff
from portal.domain import Conflict, MappingStatus, NotFound
from portal.forms.booking import AvailabilityForm, BookingRequestForm, SeriesForm, WaitlistForm
from portal.presenters.booking import week_view, when_label
from portal.services import booking as booking_service
from portal.services.open_times import parse_time_key
from portal.services.practice import therapist_clients_page
from portal.services.sessions import InvalidSession

AVAILABILITY_TEMPLATE = "portal/booking/availability.html"
WEEK_TEMPLATE = "portal/booking/week.html"
REQUEST_TEMPLATE = "portal/booking/request.html"
SERIES_NEW_TEMPLATE = "portal/booking/series_new.html"
SERIES_TEMPLATE = "portal/booking/series.html"


# --- therapist: availability -------------------------------------------------------------


@therapist_required
@require_http_methods(["GET", "POST"])
def availability(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    current = booking_service.availability_for(user=user)
    status = 200
    if request.method == "POST":
        form = AvailabilityForm(request.POST)
        if form.is_valid():
            typed = form.availability(user.account_id, user.time_zone)
            if typed is not None:
                try:
                    booking_service.availability_save(
                        user=user, availability=typed, expected_version=form.cleaned_data["version"]
                    )
                except InvalidAvailability as exc:
                    form.add_error(None, str(exc))
                except Conflict as exc:
                    form.add_error(None, str(exc))
                    status = 409
                else:
                    messages.success(request, "Your hours were saved.")
                    return redirect("booking_availability")
        status = status if status != 200 else 400
    else:
        form = AvailabilityForm(initial=AvailabilityForm.initial_from(current))
    return render(request, AVAILABILITY_TEMPLATE, {"form": form, "zone": user.time_zone}, status=status)


# --- client: a week of open times, and a request ---------------------------------------------


def _week_param(request: AuthenticatedHttpRequest) -> date | None:
    try:
        return date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        return None


def _week_page(
    request: AuthenticatedHttpRequest, bookable: booking_service.BookableWeek, status: int = 200
) -> HttpResponse:
    view = week_view(bookable)
    return render(
        request,
        WEEK_TEMPLATE,
        {"week": view, "wait_form": WaitlistForm(initial={"first_day": view.first_day, "last_day": view.last_day})},
        status=status,
    )


@client_required
@require_GET
def week(request: AuthenticatedHttpRequest, therapist_id: str) -> HttpResponse:
    bookable = booking_service.bookable_week(
        user=request.user, therapist_id=therapist_id, week_start=_week_param(request)
    )
    return _week_page(request, bookable)


@client_required
@require_http_methods(["GET", "POST"])
def book(request: AuthenticatedHttpRequest, therapist_id: str) -> HttpResponse:
    """GET: the chosen time with an optional message; POST: the request itself."""
    user = request.user
    if request.method == "GET":
        form = BookingRequestForm(initial={"start": request.GET.get("start", "")})
        try:
            start = parse_time_key(request.GET.get("start", ""))
        except ValueError:
            return redirect("booking_week", therapist_id=therapist_id)
        return _request_page(request, therapist_id, form, start)
    form = BookingRequestForm(request.POST)
    if not form.is_valid():
        try:
            start = parse_time_key(request.POST.get("start", ""))
        except ValueError:
            return redirect("booking_week", therapist_id=therapist_id)
        return _request_page(request, therapist_id, form, start, status=400)
    data = form.cleaned_data
    try:
        session = booking_service.booking_request(
            user=user,
            therapist_id=therapist_id,
            start=data["start"],
            message=data["message"],
            idempotency_key=data["idempotency_key"],
        )
    except booking_service.TakenTime as taken:
        return _week_page(request, taken.week, status=409)
    except (RequestsOff, InvalidSession) as exc:
        form.add_error(None, str(exc))
        return _request_page(request, therapist_id, form, data["start"], status=400)
    if session.status.value == "approved":
        messages.success(request, "Your session is booked.")
    else:
        messages.success(request, "Your request was sent. Your therapist will answer it here.")
    return redirect("client_session", session_id=session.session_id)


def _request_page(
    request: AuthenticatedHttpRequest, therapist_id: str, form: BookingRequestForm, start: Any, status: int = 200
) -> HttpResponse:
    bookable = booking_service.bookable_week(user=request.user, therapist_id=therapist_id)
    context = {
        "form": form,
        "therapist_id": therapist_id,
        "title": booking_service.session_title(bookable.therapist_name),
        "when": when_label(start, bookable.client_zone),
        "zone": bookable.client_zone,
        "minutes": bookable.availability.session_minutes,
        "instant": bookable.availability.instant_booking,
        "week_url": reverse("booking_week", args=[therapist_id]),
    }
    return render(request, REQUEST_TEMPLATE, context, status=status)


@client_required
@require_POST
def wait(request: AuthenticatedHttpRequest, therapist_id: str) -> HttpResponse:
    form = WaitlistForm(request.POST)
    if form.is_valid():
        try:
            booking_service.waitlist_join(
                user=request.user,
                therapist_id=therapist_id,
                first_day=form.cleaned_data["first_day"],
                last_day=form.cleaned_data["last_day"],
            )
        except InvalidSession as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "We will email you once if a time opens in those days.")
    else:
        messages.error(request, "Choose the first and the last day.")
    return redirect("booking_week", therapist_id=therapist_id)


# --- therapist: recurring series ---------------------------------------------------------------


def _client_choices(user: User) -> list[tuple[str, str]]:
    page = therapist_clients_page(therapist_id=user.account_id)
    return [(row.client.client_id, row.client.name) for row in page.items if row.mapping.status is MappingStatus.ACTIVE]


@therapist_required
@require_http_methods(["GET", "POST"])
def series_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Two steps on one form: the first POST lists every occurrence (collisions and times outside the
    hours said before anything is saved); the second, confirmed, books them."""
    user = request.user
    clients = _client_choices(user)
    plan = None
    status = 200
    if request.method == "POST":
        form = SeriesForm(request.POST, clients=clients)
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = booking_service.series_plan(
                    user=user,
                    client_id=data["client"],
                    first=form.first(user.time_zone),
                    every_weeks=int(data["every"]),
                    count=data["count"],
                    until=data["until"],
                    duration_minutes=data["duration"],
                    location=data["location"],
                )
            except InvalidSession as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                if form.is_confirmed():
                    result = booking_service.series_create(
                        user=user, plan=plan, idempotency_key=data["idempotency_key"]
                    )
                    note = f"{len(result.sessions)} sessions booked."
                    if result.skipped:
                        note += f" {len(result.skipped)} were left out: their time was taken meanwhile."
                    messages.success(request, note)
                    return redirect("booking_series", series_id=result.series_id)
                confirming = request.POST.copy()
                confirming["confirmed"] = form.plan_digest()
                form = SeriesForm(confirming, clients=clients)
                form.is_valid()
        else:
            status = 400
    else:
        form = SeriesForm(clients=clients)
    context = {"form": form, "plan": plan, "zone": user.time_zone, "when": when_label}
    return render(request, SERIES_NEW_TEMPLATE, context, status=status)


@therapist_required
@require_GET
def series_detail(request: AuthenticatedHttpRequest, series_id: str) -> HttpResponse:
    try:
        page = booking_service.series_page(user=request.user, series_id=series_id)
    except NotFound:
        raise Http404 from None
    return render(request, SERIES_TEMPLATE, {"page": page, "zone": request.user.time_zone, "when": when_label})


@therapist_required
@require_POST
def series_cancel(request: AuthenticatedHttpRequest, series_id: str) -> HttpResponse:
    try:
        count = booking_service.series_cancel(
            user=request.user,
            series_id=series_id,
            session_id=request.POST.get("session", ""),
            and_later=request.POST.get("scope") == "later",
        )
    except NotFound:
        raise Http404 from None
    messages.success(request, f"{count} session{'s' if count != 1 else ''} cancelled.")
    return redirect("booking_series", series_id=series_id)
