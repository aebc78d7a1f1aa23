"""Messages between a client and their therapist: the conversation list, a thread, polling, the nav badge."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from portal.accounts.decorators import login_required
from portal.accounts.middleware import passive
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.user import User
from portal.domain import ConversationClosed, InvalidCursor, InvalidMessage, NotFound
from portal.forms.messages import MessageForm
from portal.ids import is_valid_id
from portal.policy import NotAllowed, side_of
from portal.presenters.messages import message_items
from portal.services import messaging
from portal.views.htmx import wants_fragment

LIST_TEMPLATE = "portal/messages/conversations.html"
THREAD_TEMPLATE = "portal/messages/thread.html"


def _participant(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    side_of(user)  # staff have no conversations: 404
    return user


def _conversation_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A conversation the service does not know (never active, or a foreign poll token) is a 404."""

    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    return wrapped


def _valid(other_id: str) -> str:
    if not is_valid_id(other_id):
        raise Http404
    return other_id


@login_required
@require_GET
@vary_on_headers("HX-Request")
def conversations(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _participant(request)
    try:
        page = messaging.conversations(user=user, cursor=request.GET.get("cursor"))
    except InvalidCursor:
        raise Http404 from None
    return render(request, LIST_TEMPLATE, {"conversations": page})


@login_required
@passive
@require_GET
def unread_badge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The nav's "Messages" link with its unread count, loaded after the page by htmx.

    static/js/portal.js asks again every 15 seconds while the tab is visible, passing the count it shows
    (``seen``): the same count is answered 204 with no body. One Query either way.
    """
    user = _participant(request)
    unread = messaging.unread_total(user=user)
    if request.GET.get("seen") == str(unread):
        return HttpResponse(status=204)
    return render(request, "portal/messages/_nav_link.html", {"unread": unread})


def _thread_context(request: AuthenticatedHttpRequest, thread: messaging.Thread, form: MessageForm) -> dict[str, Any]:
    return {
        "thread": thread,
        # Oldest at the top, as people read a conversation; "Seen" under my newest message once read.
        "shown": message_items(reversed(thread.page.items), thread.side, thread.seen_message_id, thread.other_read_at),
        "form": form,
    }


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@_conversation_view
def thread(request: AuthenticatedHttpRequest, other_id: str) -> HttpResponse:
    user = _participant(request)
    other_id = _valid(other_id)
    status = 200
    if request.method == "POST":
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                messaging.message_send(
                    user=user,
                    other_id=other_id,
                    content=form.cleaned_data["content"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except (NotAllowed, InvalidMessage, ConversationClosed) as exc:
                form.add_error(None, str(exc))
            else:
                if not request.htmx:
                    flash.success(request, "Message sent.")
                    return redirect(reverse("message_thread", args=[other_id]) + "#latest")
                opened = messaging.thread_open(user=user, other_id=other_id, opening=False)
                return render(request, f"{THREAD_TEMPLATE}#thread", _thread_context(request, opened, MessageForm()))
        status = 400
        opened = messaging.thread_open(user=user, other_id=other_id, opening=False)
        template = f"{THREAD_TEMPLATE}#thread" if request.htmx else THREAD_TEMPLATE
        return render(request, template, _thread_context(request, opened, form), status=status)
    cursor = request.GET.get("cursor")
    try:
        opened = messaging.thread_open(user=user, other_id=other_id, cursor=cursor)
    except InvalidCursor:
        raise Http404 from None
    if cursor and wants_fragment(request):
        # An older page, put above the one shown: "Seen" belongs under the newest messages, not here.
        older = message_items(reversed(opened.page.items), opened.side)
        return render(request, f"{THREAD_TEMPLATE}#older", {"thread": opened, "shown": older})
    context = _thread_context(request, opened, MessageForm())
    return render(request, THREAD_TEMPLATE, context)


@login_required
@passive
@require_GET
@_conversation_view
def poll(request: AuthenticatedHttpRequest, other_id: str) -> HttpResponse:
    """New messages since the page's token: 204 when there are none (the page keeps polling)."""
    user = _participant(request)
    other_id = _valid(other_id)
    token, since = request.GET.get("t", ""), request.GET.get("since", "")
    if not token or not since:
        raise Http404
    try:
        result = messaging.thread_poll(user=user, other_id=other_id, poll_token=token, since=since)
    except InvalidCursor:
        raise Http404 from None
    if not result.messages and not result.renewed:
        return HttpResponse(status=204)
    return render(
        request,
        f"{THREAD_TEMPLATE}#poll",
        {"new_messages": message_items(result.messages, str(side_of(user))), "result": result, "other_id": other_id},
    )
