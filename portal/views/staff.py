"""Staff pages: accounts, relationships, the session schedule, the audit log. Never clinical content."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import staff_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.domain import AccountKind, NotFound
from portal.services import staff_admin
from portal.services.directory import SEARCH_RESULTS, SearchTooShort, account_search, directory_page
from portal.services.staff_overview import (
    InvalidAuditQuery,
    staff_account_overview,
    staff_audit_page,
    staff_relationships_page,
    staff_session_therapists,
    staff_sessions_page,
)
from portal.timeutil import utcnow
from portal.views.htmx import wants_fragment


class _SearchForm(forms.Form):
    # Plain text, not an email field: "Maria" is a search too.
    q = forms.CharField(
        required=False,
        max_length=254,
        strip=True,
        label="Find by the start of a name or an email",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )


class StaffActionForm(forms.Form):
    reason = forms.CharField(
        label="Reason (kept in the audit log)",
        max_length=staff_admin.MAX_REASON_LENGTH,
        min_length=staff_admin.MIN_REASON_LENGTH,
        strip=True,
    )


class _AuditForm(forms.Form):
    who = forms.CharField(
        required=False,
        max_length=254,
        strip=True,
        label="Account (start of a name or an email)",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    subject = forms.CharField(required=False, max_length=26, label="Subject account id")
    actor = forms.CharField(required=False, max_length=40, label="Actor (kind:id)")
    day = forms.DateField(required=False, label="Day (UTC)", widget=forms.DateInput(attrs={"type": "date"}))


@staff_required
@vary_on_headers("HX-Request")
def staff_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    kind = AccountKind.THERAPIST if request.GET.get("kind") == "therapist" else AccountKind.CLIENT
    form = _SearchForm(request.GET or None)
    results = None
    page = None
    text = form.cleaned_data.get("q", "") if form.is_valid() else ""
    if text:
        try:
            results = account_search(text=text)
        except SearchTooShort as exc:
            form.add_error("q", str(exc))
    if results is None:
        page = directory_page(kind=kind, cursor=request.GET.get("cursor"))
    context = {
        "form": form,
        "kind": str(kind),
        "rows": results if results is not None else page.items if page else [],
        "page": page,
        "searched": results is not None,
        "limit": SEARCH_RESULTS,
    }
    template = "portal/staff/home.html"
    if wants_fragment(request) and request.GET.get("cursor"):
        template += "#rows"
    return render(request, template, context, status=400 if form.errors else 200)


# --- one account ------------------------------------------------------------------

# The actions on the account page: URL slug -> (label, service call).
_Action = Callable[..., staff_admin.ActionDone]


def _deactivate(**kw: Any) -> staff_admin.ActionDone:
    return staff_admin.account_deactivate(**kw)


def _reactivate(**kw: Any) -> staff_admin.ActionDone:
    return staff_admin.account_reactivate(**kw)


def _reset_mfa(**kw: Any) -> staff_admin.ActionDone:
    return staff_admin.account_mfa_reset(**kw)


def _list(**kw: Any) -> staff_admin.ActionDone:
    return staff_admin.therapist_set_listed(listed=True, **kw)


def _unlist(**kw: Any) -> staff_admin.ActionDone:
    return staff_admin.therapist_set_listed(listed=False, **kw)


ACTIONS: dict[str, tuple[str, _Action]] = {
    "deactivate": ("Deactivate the account", _deactivate),
    "reactivate": ("Reactivate the account", _reactivate),
    "reset-two-factor": ("Reset two-factor authentication", _reset_mfa),
    "resend-verification": ("Send the confirmation email again", staff_admin.account_verification_resend),
    "list": ("List in the directory", _list),
    "unlist": ("Take out of the directory", _unlist),
}


def _available_actions(overview: Any) -> list[str]:
    available = ["reactivate" if overview.deactivated else "deactivate"]
    if overview.mfa_enabled:
        available.append("reset-two-factor")
    if not overview.email_verified:
        available.append("resend-verification")
    if overview.listed is not None:
        available.append("list" if not overview.listed else "unlist")
    return available


def _account_page(
    request: AuthenticatedHttpRequest,
    kind: str,
    account_id: str,
    *,
    failed: tuple[str, StaffActionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        overview = staff_account_overview(staff=request.user, kind=kind, account_id=account_id)
    except NotFound:
        raise Http404 from None
    actions = [
        {
            "slug": slug,
            "label": ACTIONS[slug][0],
            "form": failed[1] if failed and failed[0] == slug else StaffActionForm(auto_id=f"id_{slug}_%s"),
        }
        for slug in _available_actions(overview)
    ]
    return render(request, "portal/staff/account.html", {"a": overview, "actions": actions}, status=status)


@never_cache
@require_GET
@staff_required
def staff_account(request: AuthenticatedHttpRequest, kind: str, account_id: str) -> HttpResponse:
    return _account_page(request, kind, account_id)


@require_POST
@staff_required
def staff_account_action(request: AuthenticatedHttpRequest, kind: str, account_id: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    form = StaffActionForm(request.POST, auto_id=f"id_{action}_%s")
    if not form.is_valid():
        return _account_page(request, kind, account_id, failed=(action, form), status=400)
    call = ACTIONS[action][1]
    extra: dict[str, Any] = {}
    if action == "resend-verification":
        extra["link_for"] = lambda token: request.build_absolute_uri(reverse("verify_email", args=[token]))
    try:
        done = call(
            staff=request.user,
            kind=kind,
            account_id=account_id,
            reason=form.cleaned_data["reason"],
            **extra,
        )
    except NotFound:
        raise Http404 from None
    except staff_admin.InvalidReason as exc:
        form.add_error("reason", str(exc))
        return _account_page(request, kind, account_id, failed=(action, form), status=400)
    except staff_admin.ActionNotApplicable as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, done.message)
    return redirect("staff_account", kind=kind, account_id=account_id)


@never_cache
@require_GET
@staff_required
@vary_on_headers("HX-Request")
def staff_relationships(request: AuthenticatedHttpRequest, kind: str, account_id: str) -> HttpResponse:
    try:
        page = staff_relationships_page(
            staff=request.user, kind=kind, account_id=account_id, cursor=request.GET.get("cursor")
        )
    except NotFound:
        raise Http404 from None
    template = "portal/staff/relationships.html"
    if wants_fragment(request) and request.GET.get("cursor"):
        template += "#rows"
    return render(request, template, {"page": page})


@never_cache
@require_GET
@staff_required
@vary_on_headers("HX-Request")
def staff_sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff = request.user
    cursor = request.GET.get("cursor")
    therapist_id = request.GET.get("therapist")
    template = "portal/staff/sessions.html"
    if wants_fragment(request) and cursor:
        template += "#rows" if therapist_id else "#therapists"
    if not therapist_id:
        therapists = staff_session_therapists(staff=staff, cursor=cursor)
        return render(request, template, {"therapists": therapists, "therapist_id": None})
    try:
        page = staff_sessions_page(staff=staff, therapist_id=therapist_id, cursor=cursor)
    except NotFound:
        raise Http404 from None
    return render(request, template, {"page": page, "therapist_id": therapist_id})


@never_cache
@require_GET
@staff_required
@vary_on_headers("HX-Request")
def staff_audit(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _AuditForm(request.GET or None)
    page = None
    status = 200
    query = ""
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        subject = (data.get("subject") or "").strip()
        actor = (data.get("actor") or "").strip()
        who = data.get("who") or ""
        if who and not (subject or actor):
            # A name or an email is resolved through the same search as the
            # accounts page; one account lists the events about it, several
            # are offered to choose from.
            try:
                matches = account_search(text=who)
            except SearchTooShort as exc:
                form.add_error("who", str(exc))
                matches = []
            if len(matches) == 1:
                subject = matches[0].account_id
            elif matches:
                return render(
                    request, "portal/staff/audit.html", {"form": form, "page": None, "query": "", "matches": matches}
                )
            elif not form.errors:
                form.add_error("who", "No client or therapist has a name or an email starting with that.")
        if form.errors:
            return render(
                request, "portal/staff/audit.html", {"form": form, "page": None, "query": "", "matches": []}, status=400
            )
        day: date | None = data.get("day") or (None if subject or actor else utcnow().date())
        try:
            page = staff_audit_page(
                staff=request.user,
                subject=subject,
                actor=actor,
                day=day,
                cursor=request.GET.get("cursor"),
            )
        except InvalidAuditQuery as exc:
            form.add_error(None, str(exc))
            status = 400
        # Carried into "load more" so the next page lists the same thing.
        params = request.GET.copy()
        params.pop("cursor", None)
        query = params.urlencode()
        if not form.is_bound:
            form = _AuditForm(initial={"day": day})
    template = "portal/staff/audit.html"
    if wants_fragment(request) and request.GET.get("cursor") and page is not None:
        template += "#rows"
    return render(request, template, {"form": form, "page": page, "query": query, "matches": []}, status=status)
