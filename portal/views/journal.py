"""The client's journal: write, list, filter, edit, share, delete, chart, export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import client_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.session_user import current_readers
from portal.accounts.user import User
from portal.domain import DuplicateSubmission, JournalEntry, NotFound
from portal.forms.journal import JournalEntryForm, JournalFilterForm, NewJournalEntryForm
from portal.ids import is_valid_id
from portal.policy import NotAllowed
from portal.presenters.journal import EntryList, entry_item, entry_items, journal_prefix
from portal.services import journal as journal_service
from portal.services.csv_safe import SafeCsvWriter
from portal.services.journal import InvalidEntry, JournalFilter
from portal.services.mood_chart import chart_range, mood_chart
from portal.services.safety import entry_calls_for_support
from portal.services.sharing import sharing_readers
from portal.timeutil import utcnow
from portal.views.htmx import after_swap, wants_fragment

TEMPLATE = "portal/client/journal.html"



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


def _entry_or_404(request: AuthenticatedHttpRequest, entry_id: str) -> Any:
    if not is_valid_id(entry_id):
        raise Http404
    try:
        return journal_service.journal_entry_get(user=request.user, entry_id=entry_id)
    except NotFound:
        raise Http404 from None


def _return_to(request: AuthenticatedHttpRequest) -> str:
    """The journal view (filter and page) to come back to after an action.

    With htmx it is the address the person is on; without JavaScript it rides
    along as ``next`` (or is the journal page being shown). Only the journal
    page itself is accepted, so ``next`` cannot send anyone elsewhere.
    """
    prefix = journal_prefix()
    htmx = request.htmx
    explicit = (request.POST if request.method == "POST" else request.GET).get("next", "")
    if htmx and htmx.current_url_abs_path:
        candidate = htmx.current_url_abs_path
    elif explicit:
        candidate = explicit
    elif request.path == prefix:
        candidate = request.get_full_path()
    else:
        candidate = prefix
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or parts.path != prefix:
        return prefix
    return f"{prefix}?{parts.query}" if parts.query else prefix


def _without_cursor(url: str) -> str:
    parts = urlsplit(url)
    query = QueryDict(parts.query, mutable=True)
    query.pop("cursor", None)
    return f"{parts.path}?{query.urlencode()}" if query else parts.path


def _matches(entry: JournalEntry, filters: JournalFilter) -> bool:
    return (
        (filters.feeling is None or entry.feeling == filters.feeling)
        and (filters.start is None or entry.time_of_emotion >= filters.start)
        and (filters.end is None or entry.time_of_emotion <= filters.end)
    )


def _first_error_id(form: JournalEntryForm) -> str:
    """The element to focus when a form comes back with errors: its first wrong field."""
    for name in form.fields:
        if name in form.errors:
            field = form[name]
            # A radio group's first choice carries the group's id plus "_0".
            radio = getattr(field.field.widget, "input_type", "") == "radio"
            return f"#{field.auto_id}_0" if radio else f"#{field.auto_id}"
    return ""


def _context(request: AuthenticatedHttpRequest, form: JournalEntryForm, filter_form: JournalFilterForm) -> dict[str, Any]:
    filters = _filters(filter_form)
    cursor = request.GET.get("cursor")
    page = journal_service.journal_page(user=request.user, filters=filters, cursor=cursor)
    filter_query = _filter_query(filter_form)
    readers = _readers(request)["readers"]
    return_to = _return_to(request)
    parts = EntryList.of(readers=readers, return_to=return_to)
    return {
        "readers": readers,
        "parts": parts,
        "entries": entry_items(page.items, parts),
        "form": form,
        "filter_form": filter_form,
        "filtering": filters.active,
        "filter_query": filter_query,
        "page": page,
        # Without JavaScript a later page is its own page: it leads back to the newest entries
        # and does not repeat the entry form.
        "older_page": bool(cursor),
        "newest_url": parts.entry_prefix + (f"?{filter_query}" if filter_query else ""),
        "return_to": return_to,
    }


def _readers(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """Who can read a shared entry now (one Query of the client's mappings), for the sharing partials."""
    # Read now, not from the session's minute-old copy: the statement must never name fewer readers than can read.
    current_readers(request.session, request.user)
    return {"readers": sharing_readers(user=request.user)}


def _entry_context(
    request: AuthenticatedHttpRequest, entry: JournalEntry, *, readers: bool = True, **extra: Any
) -> dict[str, Any]:
    """The entry's context; ``readers=False`` for a page that says nothing about who can read (no Query)."""
    return {"entry": entry, "return_to": _return_to(request), **(_readers(request) if readers else {}), **extra}


def _one_entry(
    request: AuthenticatedHttpRequest, entry: JournalEntry, entry_error: str | None = None
) -> dict[str, Any]:
    """The context of the one entry an htmx swap puts in place (its block of the journal page)."""
    readers = _readers(request)["readers"]
    parts = EntryList.of(readers=readers, return_to=_return_to(request), entry_error=entry_error)
    return {"item": entry_item(entry, parts), "parts": parts}


def _save(request: AuthenticatedHttpRequest, form: NewJournalEntryForm, filter_form: JournalFilterForm) -> HttpResponse:
    """The entry form was valid: store it and confirm, keeping the filter and what is loaded.

    Sent twice (a double click, a retry after a timeout or the 503 page), it is
    stored once: the second sending is answered with the entry the first stored.
    """
    data = form.cleaned_data
    htmx = request.htmx
    try:
        entry = journal_service.journal_entry_create(
            client_id=request.user.account_id,
            time_of_emotion=data["time_of_emotion"],
            feeling=data["feeling"],
            intensity=data["intensity"],
            note=data["note"],
            idempotency_key=data["idempotency_key"],
        )
    except InvalidEntry as exc:
        form.add_error(None, str(exc))
        return _entry_form_errors(request, form, filter_form)
    except DuplicateSubmission:
        # Stored by an earlier sending of this form and deleted since: not again,
        # unless the person sends it anew (with a new key).
        form.renew_key()
        form.add_error(
            None, "This entry was already saved once and has since been deleted. Send it again to save it anew."
        )
        return _entry_form_errors(request, form, filter_form)
    support = entry_calls_for_support(entry)
    shown = _matches(entry, _filters(filter_form))
    if not htmx:
        messages.success(request, "Saved to your journal.", extra_tags="crisis" if support else "")
        if not shown:
            messages.info(request, "It doesn't match the filter, so it isn't in this list.")
        return redirect(_without_cursor(_return_to(request)))
    return_to = _return_to(request)
    # Who reads a shared entry is not said of a new one (it is private): no readers are looked up.
    parts = EntryList.of(readers=None, return_to=return_to)
    context = {
        "form": NewJournalEntryForm(),
        "saved": True,
        "item": entry_item(entry, parts),
        "parts": parts,
        "saved_shown": shown,
        "support": support,
        "filter_query": _filter_query(filter_form),
        "return_to": return_to,
    }
    response = render(request, f"{TEMPLATE}#saved", context)
    new_entry = f"#entry-{entry.entry_id}"
    if shown and not support:
        # The new entry joins the list already loaded (nothing reloads, nothing is dropped).
        return after_swap(response, place=new_entry, focus=new_entry, announce="Saved to your journal.")
    # The crisis contacts (or the word that the filter hides the entry) sit with the confirmation: focus it.
    return after_swap(response, place=new_entry if shown else None, focus="#entry-saved")


def _entry_form_errors(
    request: AuthenticatedHttpRequest, form: JournalEntryForm, filter_form: JournalFilterForm
) -> HttpResponse:
    if request.htmx:
        return_to = _return_to(request)
        context = {
            "form": form,
            "filter_query": _filter_query(filter_form),
            "return_to": return_to,
            "parts": EntryList.of(readers=None, return_to=return_to),
        }
        response = render(request, f"{TEMPLATE}#entry_form", context, status=400)
        focus = _first_error_id(form) or "#entry-form-heading"
        return after_swap(response, focus=focus, announce="Not saved yet: please check the form.")
    context = _context(request, form, filter_form)
    context["older_page"] = False
    return render(request, TEMPLATE, context, status=400)


def _list_sentence(context: dict[str, Any]) -> str:
    page = context["page"]
    count = len(page.items)
    if not count:
        return "No entries match this filter." if context["filtering"] else "No entries yet."
    more = " More can be loaded." if page.next_cursor else ""
    noun = "entry" if count == 1 else "entries"
    return f"Showing {count} matching {noun}.{more}" if context["filtering"] else f"Showing {count} {noun}.{more}"


@client_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def journal(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        # The filter in force is the one of the view the form was sent from.
        filter_form = JournalFilterForm(QueryDict(urlsplit(_return_to(request)).query) or None)
        form = NewJournalEntryForm(request.POST)
        if form.is_valid():
            return _save(request, form, filter_form)
        return _entry_form_errors(request, form, filter_form)
    filter_form = JournalFilterForm(request.GET or None)
    context = _context(request, NewJournalEntryForm(), filter_form)
    if wants_fragment(request):
        if request.htmx.target == "load-more":
            items = context["page"].items
            response = render(request, f"{TEMPLATE}#entry_page", context)
            if not items:
                return after_swap(response, focus="#entries-heading", announce="No more matches in that part.")
            noun = "entry" if len(items) == 1 else "entries"
            return after_swap(
                response, focus=f"#entry-{items[0].entry_id}", announce=f"{len(items)} more {noun} loaded."
            )
        response = render(request, f"{TEMPLATE}#entry_list", context)
        return after_swap(response, focus="#entries-heading", announce=_list_sentence(context))
    return render(request, TEMPLATE, context)


@client_required
@require_GET
@vary_on_headers("HX-Request")
def journal_access(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who read my shared entries: visit by visit, naming what was read (its own page, so the
    journal page itself stays within three DynamoDB calls)."""
    history = journal_service.journal_access_history(user=request.user, cursor=request.GET.get("cursor"))
    template = "portal/client/journal_access.html"
    if wants_fragment(request) and request.GET.get("cursor"):
        template += "#visits"
    return render(request, template, {"history": history})


@client_required
@require_GET
def entry_detail(request: AuthenticatedHttpRequest, entry_id: str) -> HttpResponse:
    """One entry: the htmx fragment (after "cancel" on an edit), or the journal page."""
    entry = _entry_or_404(request, entry_id)
    if request.htmx:
        response = render(request, f"{TEMPLATE}#entry", _one_entry(request, entry))
        return after_swap(response, focus=f"#entry-{entry.entry_id}-edit")
    return redirect(_return_to(request))


EDIT_TEMPLATE = "portal/client/journal_entry_edit.html"


@client_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: AuthenticatedHttpRequest, entry_id: str) -> HttpResponse:
    entry = _entry_or_404(request, entry_id)
    htmx = request.htmx
    # The inline edit sits in the page next to the entry form: its ids must differ from that form's.
    auto_id = f"edit-{entry.entry_id}-%s"
    if request.method == "POST":
        form = JournalEntryForm(request.POST, editing=True, auto_id=auto_id)
        if form.is_valid():
            data = form.cleaned_data
            try:
                updated = journal_service.journal_entry_update(
                    user=request.user,
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
                    response = render(request, f"{TEMPLATE}#entry", _one_entry(request, updated))
                    return after_swap(response, focus=f"#entry-{updated.entry_id}", announce="Entry updated.")
                messages.success(request, "Entry updated.")
                return redirect(f"{_return_to(request)}#entry-{updated.entry_id}")
        status = 400
    else:
        form = JournalEntryForm(
            initial={
                "time_of_emotion": timezone.localtime(entry.time_of_emotion),
                "feeling": entry.feeling,
                "intensity": entry.intensity,
                "note": entry.note,
            },
            editing=True,
            auto_id=auto_id,
        )
        status = 200
    context = _entry_context(request, entry, readers=False, form=form)
    if not htmx:
        return render(request, EDIT_TEMPLATE, context, status=status)
    response = render(request, f"{EDIT_TEMPLATE}#edit_form", context, status=status)
    if status == 400:
        return after_swap(response, focus=_first_error_id(form), announce="Not saved yet: please check the form.")
    return after_swap(response, focus=f"#edit-{entry.entry_id}-heading")


@client_required
@require_http_methods(["GET", "POST"])
def entry_delete(request: AuthenticatedHttpRequest, entry_id: str) -> HttpResponse:
    """GET asks first (the page without JavaScript); POST deletes."""
    entry = _entry_or_404(request, entry_id)
    if request.method == "GET":
        return render(request, "portal/client/journal_entry_delete.html", _entry_context(request, entry, readers=False))
    try:
        journal_service.journal_entry_delete(user=request.user, entry_id=entry.entry_id)
    except NotFound:
        raise Http404 from None
    if request.htmx:
        # The entry's element is swapped for nothing; focus goes to the list's heading.
        return after_swap(HttpResponse(""), focus="#entries-heading", announce="Entry deleted.")
    messages.success(request, "Entry deleted.")
    return redirect(_return_to(request))


def _shared_sentence(user: User) -> str:
    """ "Shared with Dr. Chen": who can read it now, from the names on the active mappings."""
    names = [m.therapist_name or "your therapist" for m in sharing_readers(user=user)]
    if not names:
        return "Shared. No therapist is connected yet, so nobody can read it until one is."
    if len(names) > 3:
        return f"Shared with your {len(names)} therapists."
    return "Shared with " + " and ".join(names) + "."


@client_required
@require_POST
def entry_share(request: AuthenticatedHttpRequest, entry_id: str) -> HttpResponse:
    entry = _entry_or_404(request, entry_id)
    share = request.POST.get("shared") == "1"
    error = None
    try:
        entry = journal_service.journal_entry_set_shared(user=request.user, entry_id=entry.entry_id, shared=share)
    except NotFound:
        raise Http404 from None
    except NotAllowed as exc:
        error = str(exc)
    sentence = error or (_shared_sentence(request.user) if share else "No longer shared.")
    if request.htmx:
        response = render(request, f"{TEMPLATE}#entry", _one_entry(request, entry, entry_error=error))
        # Focus stays on the toggle (now its opposite), so sharing can be undone at once.
        return after_swap(response, focus=f"#entry-{entry.entry_id}-share", announce=sentence)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, sentence)
    return redirect(f"{_return_to(request)}#entry-{entry.entry_id}")


@client_required
@require_GET
def journal_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    user = request.user
    zone = timezone.get_current_timezone()
    writer = SafeCsvWriter()
    # Reads the first page now: a database that is down gives the 503 page, not a broken file.
    entries = journal_service.journal_export(user=user)

    def rows() -> Iterator[str]:
        yield writer.row(["time_of_emotion", "time_zone", "feeling", "intensity", "note", "shared"])
        # A later page that fails raises out of this iterator, so the server
        # aborts the response and the browser shows a failed download.
        for entry in entries:
            local = entry.time_of_emotion.astimezone(zone)
            yield writer.row(
                [
                    local.isoformat(timespec="minutes"),
                    str(zone),
                    entry.feeling,
                    entry.intensity,
                    entry.note,
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
def journal_chart(request: AuthenticatedHttpRequest) -> HttpResponse:
    filter_form = JournalFilterForm(request.GET or None)
    filters = _filters(filter_form)
    time_zone = str(timezone.get_current_timezone())
    now = utcnow()
    start, end = chart_range(start=filters.start, end=filters.end, now=now, time_zone=time_zone)
    if start > end:
        # Only a start was given, and it lies ahead: show the month before it is reached.
        filter_form.add_error("start", "The start date is in the future.")
        start, end = chart_range(start=None, end=None, now=now, time_zone=time_zone)
    entries, truncated = journal_service.journal_chart_entries(
        user=request.user, feeling=filters.feeling, start=start, end=end
    )
    chart = mood_chart(
        entries=entries,
        time_zone=time_zone,
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
