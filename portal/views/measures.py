"""Questionnaires (PHQ-9, GAD-7): the client fills them in, the therapist assigns them and follows up alerts."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.accounts.decorators import client_required, therapist_required
from portal.accounts.user import User
from portal.domain import NotFound
from portal.domain_measures import MeasureKind, Schedule
from portal.forms.measures import AcknowledgeForm, AssignForm, QuestionnaireForm, StopForm
from portal.ids import is_valid_id
from portal.policy import active_mapping_for_therapist, own_client_id
from portal.services import measures as service
from portal.services import measures_scoring as scoring

FORM_TEMPLATE = "portal/measures/form.html"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _measure(value: str) -> MeasureKind:
    try:
        return MeasureKind(value)
    except ValueError:
        raise Http404 from None


def _valid_id(value: str) -> str:
    if not is_valid_id(value):
        raise Http404
    return value


# --- client --------------------------------------------------------------------------------------


@client_required
@require_GET
def measures_due(request: HttpRequest) -> HttpResponse:
    """Questionnaires to fill in, and links to the client's own histories."""
    client_id = own_client_id(_user(request))
    due = service.measures_due_for_client(client_id)
    return render(
        request,
        "portal/measures/due.html",
        {"due": due, "instruments": list(scoring.INSTRUMENTS.values())},
    )


@client_required
@require_http_methods(["GET", "POST"])
def measure_form(request: HttpRequest, measure: str, therapist_id: str) -> HttpResponse:
    client_id = own_client_id(_user(request))
    kind = _measure(measure)
    _valid_id(therapist_id)
    try:
        due = service.measure_due_for_client(client_id, kind, therapist_id)
    except NotFound:
        due = None
    instrument = scoring.instrument(kind)
    if request.method == "POST":
        form = QuestionnaireForm(request.POST, instrument=instrument)
        if form.is_valid():
            try:
                submitted = service.measure_submit(
                    client_id=client_id,
                    measure=kind,
                    therapist_id=therapist_id,
                    answers=form.answers(),
                    difficulty=form.difficulty(),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except service.InvalidMeasure as exc:
                form.add_error(None, str(exc))
            except NotFound:
                messages.info(request, "This questionnaire is not open any more: nothing was saved.")
                return redirect("measures_due")
            else:
                # The result page is the very next one: it shows the crisis contacts from the stored answers.
                return redirect(_result_url(kind, submitted.result.result_id))
        return render(
            request,
            FORM_TEMPLATE,
            {"form": form, "instrument": instrument, "due": due, "notice": scoring.NOTICE},
            status=400,
        )
    if due is None:
        raise Http404
    form = QuestionnaireForm(instrument=instrument)
    return render(
        request, FORM_TEMPLATE, {"form": form, "instrument": instrument, "due": due, "notice": scoring.NOTICE}
    )


def _result_url(kind: MeasureKind, result_id: str) -> str:
    return reverse("measure_result", kwargs={"measure": kind.value, "result_id": result_id})


@client_required
@require_GET
def measure_result(request: HttpRequest, measure: str, result_id: str) -> HttpResponse:
    client_id = own_client_id(_user(request))
    kind = _measure(measure)
    _valid_id(result_id)
    history = service.measure_history(client_id, kind)
    scored = next((s for s in history.results if s.result.result_id == result_id), None)
    if scored is None:
        raise Http404
    # Shown from the stored answers, not from the query string: a link can't hide or fake it.
    support = scoring.needs_safety_follow_up(kind, scored.result.answers)
    return render(
        request,
        "portal/measures/result.html",
        {
            "scored": scored,
            "history": history,
            "support": support,
            "instrument": history.instrument,
            "notice": scoring.NOTICE,
        },
    )


@client_required
@require_GET
def measure_history_client(request: HttpRequest, measure: str) -> HttpResponse:
    client_id = own_client_id(_user(request))
    history = service.measure_history(client_id, _measure(measure))
    return render(
        request,
        "portal/measures/history.html",
        {"history": history, "instrument": history.instrument, "notice": scoring.NOTICE},
    )


# --- therapist ------------------------------------------------------------------------------------


def _therapist_page(request: HttpRequest, client_id: str, form: AssignForm, status: int = 200) -> HttpResponse:
    user = _user(request)
    try:
        view = service.measures_for_therapist(user=user, client_id=client_id)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "portal/measures/therapist.html",
        {
            "client_id": client_id,
            "client_name": view.client_name,
            "active": view.active,
            "form": form,
            "assigned": service.measures_assigned_by(user=user, client_id=client_id) if view.active else [],
            "histories": view.histories,
            "alerts": service.measure_alerts_for_client(user=user, client_id=client_id),
            "names": {kind.value: scoring.instrument(kind).name for kind in MeasureKind},
        },
        status=status,
    )


@therapist_required
@require_http_methods(["GET", "POST"])
def therapist_measures(request: HttpRequest, client_id: str) -> HttpResponse:
    """The client's questionnaires: assign, stop, latest score, band, change since the first, history."""
    _valid_id(client_id)
    if request.method == "POST":
        form = AssignForm(request.POST)
        active_mapping_for_therapist(_user(request), client_id)
        if form.is_valid():
            service.measure_assign(
                user=_user(request),
                client_id=client_id,
                measure=MeasureKind(form.cleaned_data["measure"]),
                schedule=Schedule(form.cleaned_data["schedule"]),
            )
            messages.success(request, "Questionnaire assigned.")
            return redirect("therapist_measures", client_id=client_id)
        return _therapist_page(request, client_id, form, status=400)
    return _therapist_page(request, client_id, AssignForm())


@therapist_required
@require_POST
def therapist_measure_stop(request: HttpRequest, client_id: str) -> HttpResponse:
    _valid_id(client_id)
    form = StopForm(request.POST)
    if not form.is_valid():
        raise Http404
    if service.measure_stop(
        user=_user(request), client_id=client_id, measure=MeasureKind(form.cleaned_data["measure"])
    ):
        messages.success(request, "Questionnaire stopped.")
    return redirect("therapist_measures", client_id=client_id)


@therapist_required
@require_GET
def measure_alerts(request: HttpRequest) -> HttpResponse:
    """The therapist's open alerts (the email's link lands here): each with a link to acknowledge it."""
    user = _user(request)
    alerts = service.measure_alerts_for_therapist_page(user.account_id)
    return render(request, "portal/measures/alerts.html", {"alerts": alerts})


@therapist_required
@require_http_methods(["GET", "POST"])
def measure_alert_acknowledge(request: HttpRequest, client_id: str, result_id: str) -> HttpResponse:
    user = _user(request)
    _valid_id(client_id)
    _valid_id(result_id)
    alert = next(
        (a for a in service.measure_alerts_for_client(user=user, client_id=client_id) if a.result_id == result_id),
        None,
    )
    if alert is None:
        raise Http404
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service.measure_alert_acknowledge(
                user=user, client_id=client_id, result_id=result_id, note=form.cleaned_data["note"]
            )
        except service.InvalidMeasure as exc:
            form.add_error("note", str(exc))
        except NotFound:
            raise Http404 from None
        else:
            messages.success(request, "Alert acknowledged. Your note is kept with it.")
            return redirect("measure_alerts")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "portal/measures/acknowledge.html",
        {"alert": alert, "form": form, "client_id": client_id},
        status=status,
    )
