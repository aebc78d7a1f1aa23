"""Forms for sign-up, login, passwords and two-factor codes."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from portal.accounts.user import User
from portal.domain import MAX_BIO_LENGTH, MAX_PASSWORD_LENGTH, SPECIALIZATIONS, normalize_email


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return [("UTC", "UTC")] + [(z, z.replace("_", " ")) for z in zones]


def specialization_choices() -> list[tuple[str, str]]:
    return [(s, s.replace("-", " ").capitalize()) for s in SPECIALIZATIONS]


class _PasswordPairMixin(forms.Form):
    """Two password fields that must match and pass Django's validators."""

    password_fields = ("password", "password_again")

    def _candidate_user(self) -> User | None:
        return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = (cleaned.get(name) for name in self.password_fields)
        if first and second and first != second:
            self.add_error(self.password_fields[1], "The two passwords differ.")
        elif first:
            try:
                validate_password(first, user=self._candidate_user())
            except ValidationError as error:
                self.add_error(self.password_fields[0], error)
        return cleaned


PASSWORD_HINT = "At least 10 characters; a short sentence you'll remember works well."


class ClientSignUpForm(_PasswordPairMixin):
    name = forms.CharField(max_length=100, strip=True, label="Your name")
    email = forms.EmailField(max_length=254, label="Email")
    # As help text, the hint is tied to its field (aria-describedby) rather than floating below the form.
    password = forms.CharField(
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False, help_text=PASSWORD_HINT
    )
    password_again = forms.CharField(
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        label="Password again",
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC", label="Time zone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["time_zone"].widget.attrs["data-detect-time-zone"] = "true"

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if not name:
            raise ValidationError("Please tell us your name.")
        return name

    def _candidate_user(self) -> User | None:
        data = self.cleaned_data
        return User(email=data.get("email", ""), name=data.get("name", ""))


class TherapistSignUpForm(ClientSignUpForm):
    specialization = forms.ChoiceField(choices=specialization_choices, label="Specialization")
    bio = forms.CharField(
        label="A short bio (optional)",
        required=False,
        max_length=MAX_BIO_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"What clients see in the directory; up to {MAX_BIO_LENGTH} characters.",
    )
    accepting_clients = forms.BooleanField(label="I am accepting new clients", required=False, initial=True)

    field_order = [
        "name",
        "email",
        "specialization",
        "bio",
        "accepting_clients",
        "password",
        "password_again",
        "time_zone",
    ]


class LoginForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        max_length=MAX_PASSWORD_LENGTH,
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class SetPasswordForm(_PasswordPairMixin):
    password = forms.CharField(
        max_length=MAX_PASSWORD_LENGTH,
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HINT,
    )
    password_again = forms.CharField(
        max_length=MAX_PASSWORD_LENGTH,
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def _candidate_user(self) -> User | None:
        return self.user


class PasswordChangeForm(SetPasswordForm):
    current_password = forms.CharField(
        max_length=MAX_PASSWORD_LENGTH,
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["current_password", "password", "password_again"]


class OneTimeCodeForm(forms.Form):
    """The second step of logging in: the app's 6-digit code, or (lost phone) a recovery code.

    Two fields so each gets the right phone keyboard: digits for the app's code,
    letters for a recovery code. Either one may be typed in the first field too.
    """

    code = forms.CharField(
        max_length=20,
        strip=True,
        required=False,
        label="Code from your authenticator app",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "off", "size": 8}
        ),
    )
    recovery_code = forms.CharField(
        max_length=20,
        strip=True,
        required=False,
        label="Recovery code",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].replace(" ", "").replace("-", "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        recovery = (cleaned.get("recovery_code") or "").replace(" ", "").replace("-", "")
        if not cleaned.get("code"):
            if not recovery:
                self.add_error("code", "Type the code from your app, or a recovery code.")
                return cleaned
            cleaned["code"] = recovery
        return cleaned


class SetupCodeForm(forms.Form):
    """The first code, proving the app has the key: digits only, and no word yet of
    recovery codes, which do not exist until this code is accepted."""

    code = forms.CharField(
        max_length=20,
        strip=True,
        label="The 6-digit code the app shows",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "size": 8}
        ),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].replace(" ", "")


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        max_length=MAX_PASSWORD_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TurnOffMfaForm(ConfirmPasswordForm):
    code = forms.CharField(
        max_length=20,
        strip=True,
        label="Code from your authenticator app",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "off"}
        ),
    )


class AccountSettingsForm(forms.Form):
    """A person's own time zone and whether they get optional emails."""

    time_zone = forms.ChoiceField(choices=time_zone_choices, label="Time zone")
    optional_emails = forms.BooleanField(
        required=False,
        label="Email me reminders (of sessions and questionnaires) and notices when a session or a care request changes",
        help_text="Security emails (confirming your address, resetting your password) are always sent.",
    )
