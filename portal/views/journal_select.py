"""Choosing several journal entries and sharing them, or stopping, in one step."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal.accounts.decorators import client_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.dynamo.journal import SHARE_MANY_LIMIT
from portal.policy import NotAllowed
from portal.services.journal import JournalFilter, journal_page
from portal.services.sharing import NothingChosen, journal_entries_set_shared, sharing_readers

TEMPLATE = "portal/client/journal_select.html"


def _readers_sentence(request: AuthenticatedHttpRequest) -> str:
    names = [m.therapist_name or "your therapist" for m in sharing_readers(user=request.user)]
    if not names:
        return "No therapist is connected yet, so nobody can read shared entries until one is."
    return "Shared entries can be read by " + " and ".join(names) + "."


@client_required
@require_http_methods(["GET", "POST"])
def journal_select(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A page of entries with a box each; "Share" or "Stop sharing" applies to the ticked ones."""
    cursor = request.GET.get("cursor")
    if request.method == "POST":
        share = request.POST.get("action") == "share"
        try:
            done = journal_entries_set_shared(user=request.user, entry_ids=request.POST.getlist("entry"), shared=share)
        except (NothingChosen, NotAllowed) as exc:
            messages.error(request, str(exc))
        else:
            word = "entry" if done == 1 else "entries"
            messages.success(request, f"{done} {word} {'shared' if share else 'private now'}.")
        # Back to the same page of entries (a resubmitted form stores the same: sharing is idempotent).
        return redirect(request.get_full_path())
    page = journal_page(user=request.user, filters=JournalFilter(), cursor=cursor, limit=SHARE_MANY_LIMIT)
    context = {
        "page": page,
        "zone": timezone.get_current_timezone(),
        "readers": _readers_sentence(request),
        "limit": SHARE_MANY_LIMIT,
    }
    return render(request, TEMPLATE, context)
