"""The care relationship from both sides: "My therapists", "My clients" and their actions.

Every action is a POST that works as a plain form (answered with a redirect to
the list and a message) and through htmx (answered with the list's partial,
message included, so the row changes in place). Ending asks first: a page of
its own without JavaScript, the same partial inline with htmx.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import client_required, therapist_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.session_user import refresh_readers
from portal.accounts.user import User
from portal.domain import Conflict, DomainError, IllegalTransition, MappingStatus, NotFound
from portal.forms.relationships import InviteForm
from portal.ids import is_valid_id
from portal.policy import relationship_of
from portal.services import relationships as service
from portal.services.practice import client_therapists, therapist_clients
from portal.services.sharing import journal_unshare_all, shared_entry_count
from portal.views.htmx import wants_fragment

CLIENT_TEMPLATE = "portal/client/my_therapists.html"
THERAPIST_TEMPLATE = "portal/therapist/my_clients.html"
END_TEMPLATE = "portal/relationships/end_confirm.html"



def _valid(other_id: str) -> str:
    if not is_valid_id(other_id):
        raise Http404
    return other_id


def _portal_url(request: AuthenticatedHttpRequest, name: str) -> str:
    return request.build_absolute_uri(reverse(name))


def _client_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    user = request.user
    # Sharing is per entry: whoever works with the client next reads all of these.
    return {
        "therapists": client_therapists(user=user),
        "shared": shared_entry_count(user=user),
        "notice": None,
        "problem": None,
    }


def _therapist_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    return {
        "practice": therapist_clients(user=request.user, cursor=request.GET.get("cursor")),
        "invite_form": InviteForm(),
        "invited_notice": None,
        "notice": None,
        "problem": None,
    }


@client_required
@require_GET
@vary_on_headers("HX-Request")
def my_therapists(request: AuthenticatedHttpRequest) -> HttpResponse:
    template = CLIENT_TEMPLATE + ("#relationships" if wants_fragment(request) else "")
    return render(request, template, _client_context(request))


@therapist_required
@require_GET
@vary_on_headers("HX-Request")
def my_clients(request: AuthenticatedHttpRequest) -> HttpResponse:
    template = THERAPIST_TEMPLATE
    if wants_fragment(request):
        template += "#client_page" if request.GET.get("cursor") else "#relationships"
    return render(request, template, _therapist_context(request))


def _answer(request: AuthenticatedHttpRequest, *, ok: str | None, error: str | None, client_side: bool) -> HttpResponse:
    """After an action: the list's partial for htmx, else a redirect to the list with the message."""
    if not wants_fragment(request):
        if ok:
            messages.success(request, ok)
        if error:
            messages.warning(request, error)
        return redirect("my_therapists" if client_side else "my_clients")
    if client_side:
        context, template = _client_context(request), CLIENT_TEMPLATE
    else:
        context, template = _therapist_context(request), THERAPIST_TEMPLATE
    context.update({"notice": ok, "problem": error})
    return render(request, f"{template}#relationships", context)


def _run(request: AuthenticatedHttpRequest, action: Callable[[], object], ok: str, *, client_side: bool) -> HttpResponse:
    try:
        action()
    except NotFound:
        raise Http404 from None
    except (Conflict, IllegalTransition, DomainError) as exc:
        return _answer(request, ok=None, error=str(exc), client_side=client_side)
    # A client who accepted or ended sees the journal's readers change at once.
    refresh_readers(request.session, request.user)
    return _answer(request, ok=ok, error=None, client_side=client_side)


# --- the actions on a request, an invitation or a relationship, from either side ----------------


@dataclass(frozen=True)
class _Action:
    """One thing a side may do to the relationship with ``other_id``, and what it says once done."""

    run: Callable[[User, str, str], object]  # (user, other_id, the other side's portal address)
    done: str


# Each side's own words: a client declines an invitation, a therapist declines a request.
CLIENT_ACTIONS: dict[str, _Action] = {
    "accept": _Action(
        lambda user, other, url: service.relationship_accept(user=user, other_id=other, portal_url=url),
        "You are now working together.",
    ),
    "decline": _Action(
        lambda user, other, url: service.relationship_decline(user=user, other_id=other, portal_url=url),
        "Invitation declined.",
    ),
    "withdraw": _Action(
        lambda user, other, url: service.relationship_withdraw(user=user, other_id=other), "Request withdrawn."
    ),
}
THERAPIST_ACTIONS: dict[str, _Action] = {
    "accept": CLIENT_ACTIONS["accept"],
    "decline": _Action(CLIENT_ACTIONS["decline"].run, "Request declined."),
    "withdraw": _Action(CLIENT_ACTIONS["withdraw"].run, "Invitation withdrawn."),
    "block": _Action(
        lambda user, other, url: service.relationship_block(user=user, client_id=other), "Client blocked."
    ),
    "unblock": _Action(
        lambda user, other, url: service.relationship_unblock(user=user, client_id=other), "Client unblocked."
    ),
}


def _act(request: AuthenticatedHttpRequest, other_id: str, action: str, *, client_side: bool) -> HttpResponse:
    other_id = _valid(other_id)
    chosen = (CLIENT_ACTIONS if client_side else THERAPIST_ACTIONS).get(action)
    if chosen is None:
        raise Http404
    user = request.user
    # The email to the other side links to their own list.
    url = _portal_url(request, "my_clients" if client_side else "my_therapists")
    return _run(request, lambda: chosen.run(user, other_id, url), chosen.done, client_side=client_side)


@client_required
@require_POST
@vary_on_headers("HX-Request")
def client_action(request: AuthenticatedHttpRequest, therapist_id: str, action: str) -> HttpResponse:
    return _act(request, therapist_id, action, client_side=True)


@therapist_required
@require_POST
@vary_on_headers("HX-Request")
def therapist_action(request: AuthenticatedHttpRequest, client_id: str, action: str) -> HttpResponse:
    return _act(request, client_id, action, client_side=False)


# --- the client's side ------------------------------------------------------------


@client_required
@require_POST
@vary_on_headers("HX-Request")
def unshare_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Make shared entries private in one step; a very long journal takes another click to finish."""
    result = journal_unshare_all(user=request.user)
    if result.finished:
        ok = f"Done: {result.made_private} entries are private again." if result.made_private else "No entry is shared."
        return _answer(request, ok=ok, error=None, client_side=True)
    return _answer(
        request,
        ok=None,
        error=f"{result.made_private} entries are private again; some are still shared. Press the button again to finish.",
        client_side=True,
    )


# --- the therapist's side -------------------------------------------------------------


@therapist_required
@require_POST
@vary_on_headers("HX-Request")
def invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        context = _therapist_context(request)
        context["invite_form"] = form
        template = THERAPIST_TEMPLATE + ("#invite" if wants_fragment(request) else "")
        return render(request, template, context, status=400)
    service.relationship_invite(
        user=request.user, email=form.cleaned_data["email"], portal_url=_portal_url(request, "my_therapists")
    )
    # The same answer whether or not the address has an account.
    ok = "If this address belongs to a client account, they will find your invitation when they log in."
    if wants_fragment(request):
        context = _therapist_context(request)
        context["invited_notice"] = ok
        return render(request, f"{THERAPIST_TEMPLATE}#invite", context)
    messages.success(request, ok)
    return redirect("my_clients")


# --- ending, from either side (asks first) ------------------------------------------------


def _end(request: AuthenticatedHttpRequest, other_id: str, *, client_side: bool) -> HttpResponse:
    other_id = _valid(other_id)
    user = request.user
    mapping = relationship_of(user, other_id)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        back = "my_clients" if client_side else "my_therapists"
        return _run(
            request,
            lambda: service.relationship_end(user=user, other_id=other_id, portal_url=_portal_url(request, back)),
            "The relationship has ended.",
            client_side=client_side,
        )
    if mapping.status is not MappingStatus.ACTIVE:
        raise Http404
    name = mapping.therapist_name if client_side else mapping.client_name
    context = {
        "mapping": mapping,
        "other_name": name,
        "client_side": client_side,
        "action": request.path,
        "back": reverse("my_therapists" if client_side else "my_clients"),
    }
    template = END_TEMPLATE + ("#confirm" if wants_fragment(request) else "")
    return render(request, template, context)


@client_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def client_end(request: AuthenticatedHttpRequest, therapist_id: str) -> HttpResponse:
    return _end(request, therapist_id, client_side=True)


@therapist_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def therapist_end(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    return _end(request, client_id, client_side=False)
