"""The request types views are written against.

Django's ``HttpRequest`` says nothing of what our middleware adds: django-htmx's
``request.htmx``, and a ``request.user`` that is a ``User`` once a role decorator
(portal/accounts/decorators.py) has let the request through. A view behind one
of those decorators takes an ``AuthenticatedHttpRequest`` and reads
``request.user`` as the signed-in person, with no cast of its own; a page
anyone may see takes a ``PortalHttpRequest``. These are annotations only: the
object is always Django's request, which the middleware filled in.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from portal.accounts.user import User


class PortalHttpRequest(HttpRequest):
    """Any request that went through the portal's middleware."""

    htmx: HtmxDetails
    user: User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    """A request a role decorator let through: ``user`` is the signed-in person."""

    htmx: HtmxDetails
    user: User
