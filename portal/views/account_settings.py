"""A person's own settings: their time zone and whether they get optional emails."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.accounts.decorators import login_required
from portal.accounts.requests import AuthenticatedHttpRequest
from portal.accounts.session_user import remember_account
from portal.forms.accounts import AccountSettingsForm
from portal.services.accounts import InvalidAccountData, own_settings, own_settings_save


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def account_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.is_staff_member:
        raise Http404("Staff accounts have no such settings.")
    if request.method == "POST":
        form = AccountSettingsForm(request.POST)
        if form.is_valid():
            try:
                own_settings_save(
                    user=user,
                    time_zone=form.cleaned_data["time_zone"],
                    optional_emails=form.cleaned_data["optional_emails"],
                )
            except InvalidAccountData as exc:
                form.add_error("time_zone", str(exc))
            else:
                # The session's copy of the person holds the zone every page shows times in.
                remember_account(request.session, user)
                messages.success(request, "Your settings are saved.")
                return redirect("account_settings")
        return render(request, "portal/accounts/settings.html", {"form": form}, status=400)
    current = own_settings(user=user)
    form = AccountSettingsForm(
        initial={"time_zone": current.time_zone, "optional_emails": current.optional_emails}
    )
    return render(request, "portal/accounts/settings.html", {"form": form})
