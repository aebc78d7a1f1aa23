"""The client's journal: write, list, filter, edit, share, delete, chart, export."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import client_required
from portal.accounts.user import User
from portal.domain import NotFound
from portal.forms.journal import JournalEntryForm, JournalFilterForm
from portal.ids import is_valid_id
from portal.policy import NotAllowed
from portal.services import journal as journal_service
from portal.services.journal import InvalidEntry, JournalFilter
from portal.services.mood_chart import mood_chart
from portal.views.htmx import wants_fragment

TEMPLATE = "portal/client/journal.html"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _filters(form: JournalFilterForm) -> JournalFilter:
    if not form.is_valid():
        return JournalFilter()
    start, end = form.bounds()
    return JournalFilter(feeling=form.cleaned_data.get("feeling") or None, start=start, end=end)


def _filter_query(form: JournalFilterForm) -> str:
    """The filter as a query string, kept in links so a filtered view can be bookmarked."""
    if not form.is_bound or not form.is_valid():
        return ""
    values = {k: v for k, v in form.data.items() if k in form.fields and v}
    return urlencode(values)


def _entry_or_404(request: HttpRequest, entry_id: str) -> Any:
    if not is_valid_id(entry_id):
        raise Http404
    try:
        return journal_service.journal_entry_get(user=_user(request), entry_id=entry_id)
    except NotFound:
        raise Http404 from None


def _context(request: HttpRequest, form: JournalEntryForm, filter_form: JournalFilterForm) -> dict[str, Any]:
    filters = _filters(filter_form)
    page = journal_service.journal_page(user=_user(request), filters=filters, cursor=request.GET.get("cursor"))
    return {
        "form": form,
        "filter_form": filter_form,
        "filtering": filters.active,
        "filter_query": _filter_query(filter_form),
        "page": page,
    }


@client_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def journal(request: HttpRequest) -> HttpResponse:
    filter_form = JournalFilterForm(request.GET or None)
    htmx = request.htmx  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        form = JournalEntryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                journal_service.journal_entry_create(
                    client_id=_user(request).account_id,
                    time_of_emotion=data["time_of_emotion"],
                    feeling=data["feeling"],
                    intensity=data["intensity"],
                    note=data["note"],
                )
            except InvalidEntry as exc:
                form.add_error(None, str(exc))
            else:
                if not htmx:
                    messages.success(request, "Saved to your journal.")
                    query = _filter_query(filter_form)
                    return redirect(reverse("journal") + (f"?{query}" if query else ""))
                context = _context(request, JournalEntryForm(), filter_form)
                context["saved"] = True
                return render(request, f"{TEMPLATE}#saved", context)
        status = 400
        if htmx:
            return render(request, f"{TEMPLATE}#entry-form", {"form": form}, status=status)
    else:
        form = JournalEntryForm()
    context = _context(request, form, filter_form)
    if request.method == "GET" and wants_fragment(request):
        target = request.htmx.target  # type: ignore[attr-defined]
        partial = "entry-page" if target == "load-more" else "entry-list"
        return render(request, f"{TEMPLATE}#{partial}", context)
    context["access_history"] = journal_service.journal_access_history(user=_user(request))
    return render(request, TEMPLATE, context, status=status)


@client_required
@require_GET
def entry_detail(request: HttpRequest, entry_id: str) -> HttpResponse:
    """One entry: the htmx fragment (after "cancel" on an edit), or the journal page."""
    entry = _entry_or_404(request, entry_id)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"{TEMPLATE}#entry", {"entry": entry})
    return redirect("journal")


@client_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, entry_id: str) -> HttpResponse:
    entry = _entry_or_404(request, entry_id)
    htmx = request.htmx  # type: ignore[attr-defined]
    if request.method == "POST":
        form = JournalEntryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                updated = journal_service.journal_entry_update(
                    user=_user(request),
                    entry_id=entry.entry_id,
                    time_of_emotion=data["time_of_emotion"],
                    feeling=data["feeling"],
                    intensity=data["intensity"],
                    note=data["note"],
                )
            except NotFound:
                raise Http404 from None
            except InvalidEntry as exc:
                form.add_error(None, str(exc))
            else:
                if htmx:
                    return render(request, f"{TEMPLATE}#entry", {"entry": updated})
                messages.success(request, "Entry updated.")
                return redirect("journal")
        status = 400
    else:
        form = JournalEntryForm(
            initial={
                "time_of_emotion": timezone.localtime(entry.time_of_emotion),
                "feeling": entry.feeling,
                "intensity": entry.intensity,
                "note": entry.note,
            }
        )
        status = 200
    template = "portal/client/journal_entry_edit.html"
    return render(
        request, f"{template}#edit-form" if htmx else template, {"form": form, "entry": entry}, status=status
    )


@client_required
@require_http_methods(["GET", "POST"])
def entry_delete(request: HttpRequest, entry_id: str) -> HttpResponse:
    """GET asks first (the page without JavaScript); POST deletes."""
    entry = _entry_or_404(request, entry_id)
    if request.method == "GET":
        return render(request, "portal/client/journal_entry_delete.html", {"entry": entry})
    try:
        journal_service.journal_entry_delete(user=_user(request), entry_id=entry.entry_id)
    except NotFound:
        raise Http404 from None
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")  # the entry's element is swapped for nothing
    messages.success(request, "Entry deleted.")
    return redirect("journal")


@client_required
@require_POST
def entry_share(request: HttpRequest, entry_id: str) -> HttpResponse:
    entry = _entry_or_404(request, entry_id)
    share = request.POST.get("shared") == "1"
    error = None
    try:
        entry = journal_service.journal_entry_set_shared(user=_user(request), entry_id=entry.entry_id, shared=share)
    except NotFound:
        raise Http404 from None
    except NotAllowed as exc:
        error = str(exc)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"{TEMPLATE}#entry", {"entry": entry, "entry_error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Shared with your therapist." if share else "No longer shared.")
    return redirect("journal")


def _csv_safe(value: str) -> str:
    # A cell starting with one of these is run as a formula by spreadsheet programs.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class _Echo:
    def write(self, value: str) -> str:
        return value


@client_required
@require_GET
def journal_export(request: HttpRequest) -> StreamingHttpResponse:
    user = _user(request)
    zone = timezone.get_current_timezone()
    writer = csv.writer(_Echo())
    # Reads the first page now: a database that is down gives the 503 page, not a broken file.
    entries = journal_service.journal_export(user=user)

    def rows() -> Iterator[str]:
        yield writer.writerow(["time_of_emotion", "time_zone", "feeling", "intensity", "note", "shared"])
        # A later page that fails raises out of this iterator, so the server
        # aborts the response and the browser shows a failed download.
        for entry in entries:
            local = entry.time_of_emotion.astimezone(zone)
            yield writer.writerow(
                [
                    local.isoformat(timespec="minutes"),
                    str(zone),
                    entry.feeling,
                    entry.intensity,
                    _csv_safe(entry.note),
                    "yes" if entry.is_shared else "no",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = f"journal-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@client_required
@require_GET
def journal_chart(request: HttpRequest) -> HttpResponse:
    filter_form = JournalFilterForm(request.GET or None)
    filters = _filters(filter_form)
    end = filters.end or timezone.now()
    start = filters.start or (end - timedelta(days=30))
    if start > end:
        # Only a start was given, and it lies ahead: show the month before it is reached.
        filter_form.add_error("start", "The start date is in the future.")
        end = timezone.now()
        start = end - timedelta(days=30)
    entries, truncated = journal_service.journal_chart_entries(
        user=_user(request), feeling=filters.feeling, start=start, end=end
    )
    chart = mood_chart(
        entries=entries,
        time_zone=str(timezone.get_current_timezone()),
        start=start,
        end=end,
        feeling=filters.feeling,
    )
    return render(
        request,
        "portal/client/journal_chart.html",
        {
            "chart": chart,
            "truncated": truncated,
            "filter_form": filter_form,
            "filter_query": _filter_query(filter_form),
        },
        status=400 if filter_form.errors else 200,
    )
