"""{% form_fields %} writes every form of the product as the template it replaced did (tests/unit/reference/)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django import forms
from django.template import Context, Engine, Template

from portal.forms import accounts, data_rights, directory, journal, messages, relationships, sessions
from portal.templatetags.form_fields import form_fields

REFERENCE = Path(__file__).parent / "reference" / "form_fields.html"
THERAPISTS = [("t1", "Dr <Ada>"), ("t2", "Sam")]


class HelpfulForm(forms.Form):
    # Help text is the product's own words and may carry markup; a hidden field can carry an error.
    name = forms.CharField(help_text="Up to <em>40</em> letters", max_length=40)
    kind = forms.ChoiceField(choices=[("a", "A & B"), ("b", "B")], widget=forms.RadioSelect)
    token = forms.CharField(widget=forms.HiddenInput)


FORMS: dict[str, Callable[[], forms.Form]] = {
    "signup": lambda: accounts.ClientSignUpForm(),
    "signup-wrong": lambda: accounts.ClientSignUpForm(data={"email": "not an email", "password1": "a"}),
    "therapist-signup": lambda: accounts.TherapistSignUpForm(),
    "login-wrong": lambda: accounts.LoginForm(data={"email": "a@example.com"}),
    "reset": lambda: accounts.PasswordResetRequestForm(),
    "set-password-wrong": lambda: accounts.SetPasswordForm(data={"new_password1": "x", "new_password2": "y"}),
    "one-time-code": lambda: accounts.OneTimeCodeForm(data={"code": "<12>"}),
    "turn-off-mfa": lambda: accounts.TurnOffMfaForm(),
    "delete-account": lambda: data_rights.AccountDeleteForm(data={}),
    "directory": lambda: directory.DirectoryForm(data={"specialization": "anxiety"}),
    "profile": lambda: directory.ProfileForm(),
    "journal-filter": lambda: journal.JournalFilterForm(data={"feeling": "sad", "start": "2026-02-30"}),
    "message": lambda: messages.MessageForm(data={"content": ""}),
    "invite": lambda: relationships.InviteForm(data={"email": "x"}),
    "session-request": lambda: sessions.SessionRequestForm(therapists=THERAPISTS),
    "session-request-wrong": lambda: sessions.SessionRequestForm(data={"day": "soon"}, therapists=THERAPISTS),
    "session-create": lambda: sessions.SessionCreateForm(clients=THERAPISTS),
    "session-approve": lambda: sessions.SessionApproveForm(),
    "session-reject": lambda: sessions.SessionRejectForm(data={"reason": "x" * 2000}),
    "session-reschedule": lambda: sessions.SessionRescheduleForm(),
    "session-notes": lambda: sessions.SessionNotesForm(initial={"shared_notes": "a & <b>"}),
    "helpful": lambda: HelpfulForm(data={"name": "", "kind": "c"}),
}


def _normalized(html: str) -> str:
    # A run of whitespace reads as one space; where there was any, there must still be some.
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize("name", FORMS)
def test_it_writes_what_the_template_wrote(name: str) -> None:
    form = FORMS[name]()
    if form.is_bound:
        form.is_valid()
    expected = Engine.get_default().from_string(REFERENCE.read_text()).render(Context({"form": form}))
    assert _normalized(str(form_fields(form))) == _normalized(expected)


def test_it_is_there_in_every_template_without_loading() -> None:
    html = Template("{% form_fields form %}").render(Context({"form": HelpfulForm()}))
    assert '<label for="id_name">Name</label>' in html and 'type="hidden" name="token"' in html


def test_it_points_each_input_at_its_errors_and_escapes_what_was_typed() -> None:
    form = accounts.ClientSignUpForm(data={"email": "<script>x</script>"})
    form.is_valid()
    html = str(form_fields(form))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'id="id_email_error"' in html and 'aria-describedby="id_email_error"' in html


def test_it_writes_a_fixed_blank_form_once_with_each_forms_own_key() -> None:
    from portal.forms.journal import NewJournalEntryForm
    from portal.templatetags.form_fields import render_form_fields
    from tests.macros import render_macro

    first, second = NewJournalEntryForm(), NewJournalEntryForm()
    assert first.initial["idempotency_key"] != second.initial["idempotency_key"]
    for form in (first, second, first):
        html = render_macro("portal/client/_journal.html", "entry_fields", form)
        assert f'value="{form.initial["idempotency_key"]}"' in html
    blank_filter = journal.JournalFilterForm()
    assert str(form_fields(blank_filter)) == str(render_form_fields(blank_filter))


def test_it_never_serves_a_filled_or_personal_form_from_memory() -> None:
    from portal.templatetags.form_fields import blank_form_markup, render_form_fields

    str(form_fields(journal.JournalFilterForm()))  # the blank one, remembered
    typed = journal.JournalFilterForm(data={"feeling": "sad"})
    typed.is_valid()
    assert blank_form_markup(typed, render_form_fields) is None
    assert '<option value="sad" selected>' in str(form_fields(typed))
    with_initial = journal.JournalFilterForm(initial={"feeling": "calm"})
    assert blank_form_markup(with_initial, render_form_fields) is None
    assert '<option value="calm" selected>' in str(form_fields(with_initial))
    # A form that does not say its blank markup is fixed (choices per person) is written each time.
    assert blank_form_markup(sessions.SessionRequestForm(therapists=THERAPISTS), render_form_fields) is None


def test_it_remembers_no_blank_form_whose_key_is_out_of_place() -> None:
    from portal.forms.journal import NewJournalEntryForm
    from portal.templatetags import form_fields as module

    module._blank_markup.clear()
    # A writer that leaves the key out: what it wrote is used once and never remembered.
    keyless = NewJournalEntryForm()
    assert module.blank_form_markup(keyless, lambda form: "<p>no key here</p>") == "<p>no key here</p>"
    assert not [k for k in module._blank_markup if NewJournalEntryForm in k]
    fresh = NewJournalEntryForm()
    assert f'value="{fresh.initial["idempotency_key"]}"' in str(form_fields(fresh))


def test_it_remembers_a_blank_form_apart_for_each_tag_that_writes_it() -> None:
    from portal.forms.journal import NewJournalEntryForm
    from tests.macros import render_macro

    plain = str(form_fields(NewJournalEntryForm()))
    chips = render_macro("portal/client/_journal.html", "entry_fields", NewJournalEntryForm())
    assert 'class="chip-group"' in chips and 'class="chip-group"' not in plain
    assert 'class="chip-group"' not in str(form_fields(NewJournalEntryForm()))
