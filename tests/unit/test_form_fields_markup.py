"""The ``form_fields`` macro (templates/portal/_forms.html) writes every form of the product as the Django
template it replaced did (tests/unit/reference/form_fields.html, rendered here by a plain Django engine), with an
error summary added above a form whose fields have errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django import forms
from django.template import Context, Engine

from portal.forms import accounts, data_rights, directory, journal, messages, relationships, sessions
from tests.macros import render_macro

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
    # A run of whitespace reads as one space. Jinja2 writes
    # quotes as &#39; and &#34;, Django as &#x27; and &quot;: the same characters.
    html = html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
    # Whitespace between two tags is layout only (Jinja2 trims the lines its blocks stand on).
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def form_fields(form: forms.Form) -> str:
    return render_macro("portal/_forms.html", "form_fields", form)


@pytest.mark.parametrize("name", FORMS)
def test_it_writes_what_the_template_wrote(name: str) -> None:
    form = FORMS[name]()
    if form.is_bound:
        form.is_valid()
    expected = Engine().from_string(REFERENCE.read_text()).render(Context({"form": form}))
    html = form_fields(form)
    summary = re.search(r'<div class="error-summary".*?</ul>\s*</div>', html, re.S)
    assert (summary is not None) == any(field.errors for field in form.visible_fields())
    without_summary = html.replace(summary.group(0), "") if summary else html
    assert _normalized(without_summary) == _normalized(expected)


def test_the_error_summary_links_each_error_to_its_field_and_escapes_it() -> None:
    form = HelpfulForm(data={"name": "", "kind": "<b>c</b>"})
    form.is_valid()
    html = form_fields(form)
    summary = html[html.index('<div class="error-summary"') : html.index("</ul>", html.index("error-summary"))]
    assert 'tabindex="-1"' in summary and "data-error-summary" in summary
    assert "There are 2 problems with this form" in summary
    assert '<a href="#id_name" data-field="id_name">Name: This field is required.</a>' in summary
    assert 'href="#id_kind_0"' in summary and "<b>c</b>" not in summary
    # It comes first: before any field.
    assert html.index("error-summary") < html.index("<label")
    assert "error-summary" not in form_fields(HelpfulForm())


def test_it_points_each_input_at_its_errors_and_escapes_what_was_typed() -> None:
    form = accounts.ClientSignUpForm(data={"email": "<script>x</script>"})
    form.is_valid()
    html = form_fields(form)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'id="id_email_error"' in html and 'aria-describedby="id_email_error"' in html


def test_each_new_entry_form_carries_its_own_key() -> None:
    from portal.forms.journal import NewJournalEntryForm

    first, second = NewJournalEntryForm(), NewJournalEntryForm()
    assert first.initial["idempotency_key"] != second.initial["idempotency_key"]
    for form in (first, second, first):
        html = render_macro("portal/client/_journal.html", "entry_fields", form)
        assert f'value="{form.initial["idempotency_key"]}"' in html
        assert 'class="chip-group"' in html


def test_it_writes_what_was_typed_or_chosen_back_into_the_form() -> None:
    typed = journal.JournalFilterForm(data={"feeling": "sad"})
    typed.is_valid()
    assert '<option value="sad" selected>' in form_fields(typed)
    assert '<option value="calm" selected>' in form_fields(journal.JournalFilterForm(initial={"feeling": "calm"}))
