"""The CSRF token pages carry: Django's format, a fresh uniform mask each time, accepted by Django's check."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.test import Client as HttpClient

import portal.csrf_token as csrf_token_module
from portal.csrf_token import csrf_token
from portal.domain import AccountKind
from tests.accounts import logged_in

SECRET = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def _request(secret: str | None) -> HttpRequest:
    request = HttpRequest()
    if secret is not None:
        request.META["CSRF_COOKIE"] = secret
    return request


def test_it_masks_the_cookie_secret_as_django_does() -> None:
    request = _request(SECRET)
    token = csrf_token(request)
    assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
    assert _unmask_cipher_token(token) == SECRET
    # As get_token: the cookie goes out again, renewing its expiry.
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


@pytest.mark.parametrize("secret", [SECRET, CSRF_ALLOWED_CHARS[-1] * 32, CSRF_ALLOWED_CHARS[:32], "a" * 32])
def test_its_cipher_is_djangos_for_every_shift(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    # Every kept byte value in turn, so each secret character meets masks from 0 to 61 (and 61 + 61).
    for start in range(0, 248, 8):
        drawn = bytes((start + i) % 248 for i in range(32))
        monkeypatch.setattr(csrf_token_module.os, "urandom", lambda n, drawn=drawn: drawn + bytes(n - 32))
        token = csrf_token(_request(secret))
        mask = "".join(CSRF_ALLOWED_CHARS[byte % 62] for byte in drawn)
        # Django's _mask_cipher_secret, with this mask.
        places = (CSRF_ALLOWED_CHARS.index(x) for x in secret)
        pairs = zip(places, (CSRF_ALLOWED_CHARS.index(x) for x in mask), strict=True)
        assert token == mask + "".join(CSRF_ALLOWED_CHARS[(x + y) % 62] for x, y in pairs)
        assert _unmask_cipher_token(token) == secret


def test_it_masks_afresh_each_time() -> None:
    tokens = {csrf_token(_request(SECRET)) for _ in range(50)}
    assert len(tokens) == 50
    assert {_unmask_cipher_token(token) for token in tokens} == {SECRET}


def test_its_mask_draws_every_character_equally_often(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every byte value once, highest first: each of the 62 characters must come from
    # exactly four of them, and the eight values from 248 up must be dropped.
    monkeypatch.setattr(csrf_token_module.os, "urandom", lambda n: bytes(range(255, -1, -1)))
    drawn = csrf_token_module._random_characters(248)
    assert Counter(drawn) == {char: 4 for char in CSRF_ALLOWED_CHARS}
    assert drawn == "".join(CSRF_ALLOWED_CHARS[byte % 62] for byte in range(247, -1, -1))


def test_its_masks_spread_over_every_character() -> None:
    counts = Counter("".join(csrf_token(_request(SECRET))[:32] for _ in range(2000)))
    # 64,000 draws of 62 characters: about 1,032 each, with a standard deviation near 32.
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert 880 < min(counts.values()) and max(counts.values()) < 1180


def test_without_a_secret_it_draws_one_and_records_it_for_the_cookie(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real_urandom = csrf_token_module.os.urandom
    monkeypatch.setattr(csrf_token_module.os, "urandom", lambda n: calls.append(n) or real_urandom(n))
    request = _request(None)
    token = csrf_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == 32 and set(secret) <= set(CSRF_ALLOWED_CHARS)
    assert _unmask_cipher_token(token) == secret
    # The middleware sends it as the browser's new cookie.
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    # One read for the secret, one for the mask (Django's drawing makes a system call per character).
    assert len(calls) == 2
    # The next token for the same request masks the same secret.
    assert _unmask_cipher_token(csrf_token(request)) == secret


def test_new_secrets_are_each_their_own_and_spread_over_every_character() -> None:
    secrets = [_secret_of(_request(None)) for _ in range(2000)]
    assert len(set(secrets)) == 2000
    counts = Counter("".join(secrets))
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert 880 < min(counts.values()) and max(counts.values()) < 1180


def _secret_of(request: HttpRequest) -> str:
    csrf_token(request)
    return str(request.META["CSRF_COOKIE"])


def test_a_first_page_without_the_cookie_sets_it_and_its_token_passes_djangos_check(dynamo) -> None:
    from django.conf import settings

    strict = HttpClient(enforce_csrf_checks=True)
    logged_in(strict, AccountKind.CLIENT)
    strict.cookies.pop(settings.CSRF_COOKIE_NAME, None)
    response = strict.get("/client/journal/")
    cookie = response.cookies[settings.CSRF_COOKIE_NAME].value
    token = re.search(r'"X-CSRFToken": "([A-Za-z0-9]{64})"', response.content.decode())
    assert token and _unmask_cipher_token(token[1]) == cookie
    assert strict.post("/accounts/session/keep-alive/", HTTP_X_CSRFTOKEN=token[1]).status_code != 403


def test_a_page_token_passes_djangos_check_and_a_changed_one_does_not(dynamo) -> None:
    strict = HttpClient(enforce_csrf_checks=True)
    logged_in(strict, AccountKind.CLIENT)
    page = strict.get("/client/journal/").content.decode()
    token = re.search(r'"X-CSRFToken": "([A-Za-z0-9]{64})"', page)
    assert token, "every page carries the token for htmx"
    keep_alive = "/accounts/session/keep-alive/"
    assert strict.post(keep_alive, HTTP_X_CSRFTOKEN=token[1]).status_code != 403
    changed = token[1][:40] + ("a" if token[1][40] != "a" else "b") + token[1][41:]
    assert strict.post(keep_alive, HTTP_X_CSRFTOKEN=changed).status_code == 403


def test_the_pages_token_is_drawn_only_when_used_and_then_stays_the_same() -> None:
    from django.template import Context, Engine

    from portal.csrf_token import LazyCsrfToken

    request = _request(SECRET)
    token = LazyCsrfToken(request)
    # Unused (a fragment that has no form): nothing drawn, no cookie to send.
    assert "CSRF_COOKIE_NEEDS_UPDATE" not in request.META
    assert repr(token) == "<LazyCsrfToken>"
    text = str(token)
    assert _unmask_cipher_token(text) == SECRET and request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert str(token) == text and token == text and token != "NOTPROVIDED" and token and len(token) == 64
    assert hash(token) == hash(text) and SECRET not in repr(token)
    # Django's own {% csrf_token %} writes it as it would the lazy object its context processor makes.
    html = Engine().from_string("{% csrf_token %}").render(Context({"csrf_token": token}))
    assert html == f'<input type="hidden" name="csrfmiddlewaretoken" value="{text}">'
