"""The Jinja2 backend: one block of a page, Django's CSRF token masked once per render, strict variables."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.template import TemplateDoesNotExist
from django.test import RequestFactory

from portal.templating.backend import Jinja2WithBlocks


def _engine(folder: Path) -> Jinja2WithBlocks:
    options = dict(settings.TEMPLATES[0]["OPTIONS"])
    return Jinja2WithBlocks({"NAME": "t", "DIRS": [folder], "APP_DIRS": False, "OPTIONS": options})


@pytest.fixture
def engine(tmp_path: Path) -> Jinja2WithBlocks:
    (tmp_path / "page.html").write_text(
        "<h1>{{ title }}</h1>{% block part %}<p>{{ title }} {{ request.path }}</p>{% endblock %}"
        "<form>{{ csrf_input }}</form><form>{{ csrf_input }}</form><b>{{ csrf_token }}</b>"
    )
    (tmp_path / "typo.html").write_text("{{ titel }}")
    return _engine(tmp_path)


def test_it_renders_one_block_of_a_page_with_the_request(engine):
    request = RequestFactory().get("/where/")

    html = engine.get_template("page.html#part").render({"title": "<b>"}, request)

    assert html == "<p>&lt;b&gt; /where/</p>"


def test_it_refuses_a_block_the_page_does_not_have(engine):
    with pytest.raises(TemplateDoesNotExist):
        engine.get_template("page.html#nothing")


def test_it_masks_the_token_once_per_render_and_the_token_passes_djangos_check(engine):
    request = RequestFactory().get("/")
    CsrfViewMiddleware(lambda r: HttpResponse()).process_request(request)

    html = engine.get_template("page.html").render({"title": "t"}, request)

    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    header = re.search(r"<b>([^<]+)</b>", html).group(1)  # type: ignore[union-attr]
    assert len(tokens) == 2 and tokens[0] == tokens[1] == header
    other = engine.get_template("page.html").render({"title": "t"}, request)
    assert re.search(r"<b>([^<]+)</b>", other).group(1) != header  # type: ignore[union-attr]
    # A POST carrying the page's token and the cookie Django set passes Django's own check.
    post = RequestFactory().post("/", {"csrfmiddlewaretoken": header})
    post.COOKIES[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    middleware = CsrfViewMiddleware(lambda r: HttpResponse())
    assert middleware.process_view(post, lambda r: HttpResponse(), (), {}) is None
    forged: HttpRequest = RequestFactory().post("/", {"csrfmiddlewaretoken": header[::-1]})
    forged.COOKIES[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    assert middleware.process_view(forged, lambda r: HttpResponse(), (), {}) is not None


def test_a_misspelt_variable_fails_under_test_settings(engine):
    with pytest.raises(jinja2.UndefinedError):
        engine.get_template("typo.html").render({"title": "t"})
