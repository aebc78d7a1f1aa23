"""Sign-up of clients and therapists."""

from __future__ import annotations

import re
import string
from itertools import count

from django.core import mail
from django.test import Client as HttpClient
from django.utils.html import escape
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from markupsafe import escape as page_escape

from portal.domain import AccountKind, normalize_email
from portal.dynamo.clients import ClientRepository
from portal.dynamo.therapists import TherapistRepository
from portal.services.accounts import client_sign_up
from tests.accounts import make_account

GOOD = {
    "name": "Robin Ash",
    "email": "  Robin.Ash@Example.COM ",
    "password": "a quiet harbour at dawn",
    "password_again": "a quiet harbour at dawn",
    "time_zone": "Europe/Paris",
}


def test_it_shows_the_client_form(dynamo, client: HttpClient):
    response = client.get("/accounts/signup/client/")
    assert response.status_code == 200
    assert 'name="time_zone"' in response.content.decode()


def test_it_creates_a_client_logs_them_in_and_sends_a_confirmation(dynamo, client: HttpClient):
    response = client.post("/accounts/signup/client/", GOOD)
    assert response.status_code == 302
    assert response["Location"] == "/client/"
    stored = ClientRepository().find_by_email("robin.ash@example.com")
    assert stored is not None
    assert stored.name == "Robin Ash"
    assert stored.time_zone == "Europe/Paris"
    assert stored.email_verified is False
    assert stored.password_hash != GOOD["password"]
    assert client.get("/client/").status_code == 200
    assert len(mail.outbox) == 1
    assert re.search(r"/accounts/verify/[^/\s]+/", mail.outbox[0].body)


def test_it_refuses_an_email_that_has_an_account_and_keeps_what_was_typed(dynamo, client):
    make_account(AccountKind.THERAPIST, email="robin.ash@example.com")
    response = client.post("/accounts/signup/client/", GOOD)
    assert response.status_code == 400
    body = response.content.decode()
    assert "already exists" in body
    assert 'value="Robin Ash"' in body
    assert "Robin.Ash@Example.COM" in body  # as typed
    assert ClientRepository().find_by_email("robin.ash@example.com") is None


def test_it_applies_the_password_validators(dynamo, client):
    response = client.post(
        "/accounts/signup/client/", {**GOOD, "password": "short", "password_again": "short"}
    )
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert 'value="Robin Ash"' in response.content.decode()


def test_it_refuses_two_different_passwords(dynamo, client):
    response = client.post("/accounts/signup/client/", {**GOOD, "password_again": "something else entirely"})
    assert response.status_code == 400
    assert "The two passwords differ" in response.content.decode()


def test_it_creates_a_therapist_and_asks_for_two_factor_first(dynamo, client):
    response = client.post(
        "/accounts/signup/therapist/", {**GOOD, "specialization": "trauma", "email": "dr@example.com"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/setup/"
    stored = TherapistRepository().find_by_email("dr@example.com")
    assert stored is not None and stored.specialization == "trauma"


def test_it_refuses_a_specialization_outside_the_list(dynamo, client):
    response = client.post("/accounts/signup/therapist/", {**GOOD, "specialization": "astrology"})
    assert response.status_code == 400
    assert TherapistRepository().find_by_email("robin.ash@example.com") is None


def test_it_enforces_csrf(dynamo):
    strict = HttpClient(enforce_csrf_checks=True)
    response = strict.post("/accounts/signup/client/", GOOD)
    assert response.status_code == 403
    assert ClientRepository().find_by_email("robin.ash@example.com") is None


# Markup that must never come back unescaped, wherever it was typed.
PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><b>bold</b>",
    "'onmouseover='alert(1)",
    "&lt;i&gt;",
)
# Local parts that EmailField accepts yet are hostile in HTML ("{0}" makes each
# one unique per example; literal braces are doubled for str.format).
HOSTILE_LOCAL_PARTS = (
    '"{0}<script>alert(1)</script>"',
    '"{0}\\"><img/src=x/onerror=alert(1)>"',
    '"{0}</textarea><svg/onload=alert(1)>"',
    "{0}.o'brien+x",
    "{0}+{{alert}}",
)
SAFE_LOCAL_CHARS = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
DOMAINS = ("example.com", "Example.ORG", "mail.example.co.uk", "exämple.com", "[192.0.2.1]")
STRONG_PASSWORDS = ("a quiet harbour at dawn", "Lanterns over 7 frozen lakes", "mossy stones, slow rivers")
ZONES = ("UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Asia/Kathmandu")

_tags = count(1)


def _braces_doubled(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


_valid_names = st.text(min_size=1, max_size=60).filter(
    lambda name: name.strip() != "" and "\x00" not in name
) | st.builds(
    lambda before, payload, after: before + payload + after,
    st.text(alphabet=string.ascii_letters + " ", max_size=15),
    st.sampled_from(PAYLOADS),
    st.text(alphabet=string.ascii_letters + " ", max_size=15),
)
_any_names = st.text(max_size=60) | st.sampled_from(PAYLOADS) | st.just("   ")
# Templates with a "{0}" slot (unchanged by .upper()): format(tag) gives each example its own mailbox.
_valid_email_templates = st.builds(
    lambda left, local, domain, right, upper: (
        left + (local.upper() if upper else local) + "@" + domain + right
    ),
    st.sampled_from(["", " ", "  "]),
    st.builds(lambda chars: "{0}" + _braces_doubled(chars), st.text(SAFE_LOCAL_CHARS, max_size=20))
    | st.sampled_from(HOSTILE_LOCAL_PARTS),
    st.sampled_from(DOMAINS),
    st.sampled_from(["", " "]),
    st.booleans(),
)
_any_email_templates = st.builds(
    _braces_doubled,
    st.text(max_size=60) | st.just('"><img src=x onerror=alert(1)>@x.com') | st.sampled_from(PAYLOADS),
)


@st.composite
def submissions(draw: st.DrawFn) -> tuple[bool, dict[str, str], bool]:
    """(must succeed, form data with an email template, email already taken)."""
    if draw(st.booleans()):
        password = draw(st.sampled_from(STRONG_PASSWORDS))
        data = {
            "name": draw(_valid_names),
            "email": draw(_valid_email_templates),
            "password": password,
            "password_again": password,
            "time_zone": draw(st.sampled_from(ZONES)),
        }
        taken = draw(st.sampled_from([False, False, True]))
        return not taken, data, taken
    password = draw(st.sampled_from(STRONG_PASSWORDS) | st.text(max_size=30))
    again = draw(st.just(password) | st.text(max_size=30))
    data = {
        "name": draw(_valid_names | _any_names),
        "email": draw(_valid_email_templates | _any_email_templates),
        "password": password,
        "password_again": again,
        "time_zone": draw(st.sampled_from(ZONES) | st.text(max_size=20) | st.sampled_from(PAYLOADS)),
    }
    return False, data, False


def _assert_nothing_raw(body: str, typed: dict[str, str]) -> None:
    for payload in PAYLOADS:
        if any(payload in value for value in typed.values()):
            assert payload not in body
    assert "<script>alert(1)</script>" not in body
    assert "<img src=x" not in body and "<img/src=x" not in body
    assert "<svg/onload" not in body and "</textarea><b>" not in body


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(submission=submissions())
def test_it_never_errors_and_escapes_whatever_is_typed(
    dynamo, submission: tuple[bool, dict[str, str], bool]
):
    must_succeed, template, taken = submission
    tag = f"s{next(_tags)}x"
    typed = {**template, "email": template["email"].format(tag)}
    if taken:
        client_sign_up(
            email=typed["email"], name="Someone Else", password=STRONG_PASSWORDS[0], time_zone="UTC"
        )
    http = HttpClient()
    response = http.post("/accounts/signup/client/", typed)
    assert response.status_code in (302, 400)
    # Shown by --hypothesis-show-statistics: how many examples reached the service.
    event(f"status {response.status_code}{' (email taken)' if taken else ''}")
    body = response.content.decode()
    _assert_nothing_raw(body, typed)
    if must_succeed:
        assert response.status_code == 302, body
    if response.status_code == 400:
        assert 'class="errorlist"' in body or 'class="nonfield"' in body
        if taken:
            assert "already exists" in body
        for payload in PAYLOADS:
            if payload in typed["name"] or payload in typed["email"]:
                # Kept in the form, escaped.
                assert escape(payload) in body
        return
    assert response["Location"] == "/client/"
    stored = ClientRepository().find_by_email(normalize_email(typed["email"]))
    assert stored is not None
    assert stored.name == typed["name"].strip()
    assert mail.outbox[-1].to == [stored.email]
    home = http.get("/client/")
    assert home.status_code == 200
    home_body = home.content.decode()
    # The page is a Jinja2 template (markupsafe's escaping); the form's inputs above are Django widgets.
    assert f"Hello, {page_escape(stored.name)}" in home_body
    _assert_nothing_raw(home_body, typed)
