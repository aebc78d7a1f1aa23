"""The remembered answers under the templates give exactly what Django gives: reversed URLs, static URLs, times."""

from __future__ import annotations

import pytest
from django.templatetags.static import static as django_static
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix
from whitenoise.storage import CompressedManifestStaticFilesStorage

from portal.templating.environment import static, url
from tests.macros import jinja_env
from therapy_site.static_storage import MemoizedManifestStaticFilesStorage


def _render(source: str, **context: object) -> str:
    return jinja_env().from_string(source).render(context)


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [("journal", (), {}), ("journal_entry_edit", ("01ARZ3NDEKTSV4RRFFQ69G5FAV",), {}), ("client_session", (), {"session_id": "x"})],
)
def test_it_reverses_as_django_does(name: str, args: tuple[str, ...], kwargs: dict[str, str]) -> None:
    expected = reverse(name, args=args or None, kwargs=kwargs or None)
    assert url(name, *args, **kwargs) == expected
    assert url(name, *args, **kwargs) == expected  # again, from memory


def test_it_still_fails_loudly_for_an_unknown_name() -> None:
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            url("no_such_page")


def test_it_follows_the_script_prefix_and_the_url_configuration() -> None:
    plain = url("journal")
    set_script_prefix("/portal/")
    try:
        assert url("journal") == "/portal" + plain
    finally:
        set_script_prefix("/")
    assert url("journal") == plain
    with override_settings(ROOT_URLCONF="tests.unit.test_template_speedups_urls"):
        assert url("journal") == "/elsewhere/journal/"
    assert url("journal") == plain


def test_a_reversed_url_is_escaped_in_the_page() -> None:
    assert _render("{{ url('journal_entry_edit', entry_id) }}", entry_id="a&b") == reverse(
        "journal_entry_edit", args=["a&b"]
    ).replace("&", "&amp;")


@pytest.mark.parametrize("path", ["css/portal.css", "js/portal.js", "img/a&b.svg"])
def test_it_gives_djangos_static_url(path: str) -> None:
    assert static(path) == django_static(path)
    assert static(path) == django_static(path)  # again, from memory


def test_it_writes_static_urls_afresh_when_the_settings_change() -> None:
    plain = static("css/portal.css")
    with override_settings(STATIC_URL="/elsewhere/"):
        assert static("css/portal.css") == "/elsewhere/css/portal.css"
    assert static("css/portal.css") == plain


def test_it_works_out_each_static_url_once(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def parent_url(self: object, name: str, force: bool = False) -> str:
        asked.append(name)
        if name == "missing.css":
            raise ValueError("Missing staticfiles manifest entry for 'missing.css'")
        return f"/static/{name}.abc123"

    monkeypatch.setattr(CompressedManifestStaticFilesStorage, "url", parent_url)
    storage = MemoizedManifestStaticFilesStorage()
    assert storage.url("css/portal.css") == "/static/css/portal.css.abc123"
    assert storage.url("css/portal.css") == "/static/css/portal.css.abc123"
    assert storage.url("js/portal.js") == "/static/js/portal.js.abc123"
    assert asked == ["css/portal.css", "js/portal.js"]
    # A missing file fails every time, as before, and forced URLs are never remembered.
    for _ in range(2):
        with pytest.raises(ValueError, match="missing.css"):
            storage.url("missing.css")
    storage.url("css/portal.css", force=True)
    assert asked == ["css/portal.css", "js/portal.js", "missing.css", "missing.css", "css/portal.css"]



def test_it_gives_templates_the_signed_in_person_not_a_lazy_stand_in(dynamo) -> None:
    from django.test import Client as HttpClient
    from django.utils.functional import LazyObject

    from portal.accounts.user import User
    from portal.context_processors import person as page_person
    from portal.domain import AccountKind
    from tests.accounts import logged_in

    http = HttpClient()
    anonymous = page_person(http.get(reverse("home")).wsgi_request)["user"]
    assert not anonymous.is_authenticated
    assert not isinstance(anonymous, LazyObject)

    person = logged_in(http, AccountKind.CLIENT, name="Robin Ash")
    page = http.get(reverse("client_home"))
    assert page.status_code == 200
    # What the page's templates were given as ``user``.
    user = page_person(page.wsgi_request)["user"]
    assert type(user) is User and user.pk == person.pk
    # The view was given the same person, built once, with no lazy stand-in either.
    assert page.wsgi_request.user is user
    assert "Robin Ash" in page.content.decode()


def test_it_writes_times_as_strftime_did_in_the_viewers_zone() -> None:
    from datetime import UTC, datetime, timedelta

    from django.utils import timezone

    from portal.templating.filters import every_form, iso, when, when_short

    timezone.activate("America/St_Johns")  # a half-hour offset, and summer time
    try:
        moment = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
        for step in range(0, 400 * 24, 37):
            at = moment + timedelta(hours=step)
            local = timezone.localtime(at)
            assert when(at) == f"{local:%a} {local.day} {local:%b %Y, %H:%M}"
            assert when_short(at) == f"{local.day} {local:%b, %H:%M}"
            assert every_form(at) == (iso(at), when(at), when_short(at))
        assert when(datetime(2026, 3, 4, 21, 40, tzinfo=UTC)) == "Wed 4 Mar 2026, 18:10"
    finally:
        timezone.deactivate()
