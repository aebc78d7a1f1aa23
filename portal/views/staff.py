"""Staff pages: accounts and metadata only."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import staff_required
from portal.domain import AccountKind, normalize_email
from portal.services.directory import directory_page, directory_search
from portal.views.htmx import wants_fragment


class _SearchForm(forms.Form):
    email = forms.EmailField(required=False, max_length=254, label="Find by email")


@staff_required
@vary_on_headers("HX-Request")
def staff_home(request: HttpRequest) -> HttpResponse:
    kind = AccountKind.THERAPIST if request.GET.get("kind") == "therapist" else AccountKind.CLIENT
    form = _SearchForm(request.GET or None)
    results = None
    page = None
    if form.is_valid() and form.cleaned_data.get("email"):
        results = directory_search(email=normalize_email(form.cleaned_data["email"]))
    else:
        page = directory_page(kind=kind, cursor=request.GET.get("cursor"))
    context = {
        "form": form,
        "kind": str(kind),
        "rows": results if results is not None else page.items if page else [],
        "page": page,
    }
    template = "portal/staff/home.html"
    if wants_fragment(request) and request.GET.get("cursor"):
        template += "#rows"
    return render(request, template, context, status=400 if form.errors else 200)
