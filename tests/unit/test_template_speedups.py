"""The speed-ups under the templates give exactly what Django gives: escaping, {% url %}, static URLs."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.defaultfilters import linebreaksbr
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils.html import escape
from whitenoise.storage import CompressedManifestStaticFilesStorage

from portal.escaping import esc, esc_with_breaks, safe
from therapy_site.static_storage import MemoizedManifestStaticFilesStorage

AWKWARD = ["", "plain", "<script>alert('x')</script>", 'a "quoted" & <b>bold</b>', "one\r\ntwo\rthree\nfour", 7, "é ✓"]


@pytest.mark.parametrize("value", AWKWARD)
def test_it_escapes_as_django_does(value: object) -> None:
    assert esc(value) == escape(value)
    assert esc_with_breaks(value) == linebreaksbr(value, autoescape=True)


def test_it_marks_written_markup_safe_as_django_does() -> None:
    from django.utils.html import conditional_escape
    from django.utils.safestring import SafeString, mark_safe

    marked = safe('<b class="x">a &amp; b</b>')
    assert isinstance(marked, SafeString) and marked == mark_safe('<b class="x">a &amp; b</b>')
    # A template prints it as it is; plain text would be escaped.
    assert conditional_escape(marked) == '<b class="x">a &amp; b</b>'
    assert Template("{{ m }}").render(Context({"m": marked})) == '<b class="x">a &amp; b</b>'


def _render(source: str, **context: object) -> str:
    # The product's engine, where the memoized tag is a builtin: no {% load %} needed.
    return Template(source).render(Context(context))


def test_it_is_the_url_tag_the_templates_get() -> None:
    template = Template("{% url 'journal' %}")
    assert type(template.nodelist[0]).__name__ == "MemoizedURLNode"


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        ("{% url 'journal' %}", {}, reverse("journal")),
        ("{% url 'journal_entry_edit' entry_id %}", {"entry_id": "01A"}, reverse("journal_entry_edit", args=["01A"])),
        (
            "{% url 'journal_entry_edit' entry_id=e %}",
            {"e": "01B"},
            reverse("journal_entry_edit", kwargs={"entry_id": "01B"}),
        ),
        ("{% url 'journal' as there %}[{{ there }}]", {}, f"[{reverse('journal')}]"),
        ("{% url 'no_such_page' as there %}[{{ there }}]", {}, "[]"),
    ],
)
def test_it_writes_what_djangos_url_tag_writes(source: str, context: dict[str, object], expected: str) -> None:
    assert _render(source, **context) == expected
    # Asked again (now from memory), the same answer.
    assert _render(source, **context) == expected
    django_engine = Engine(libraries={})
    assert django_engine.from_string(source).render(Context(context)) == expected


def test_it_still_fails_loudly_for_an_unknown_name() -> None:
    with pytest.raises(NoReverseMatch):
        _render("{% url 'no_such_page' %}")
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")


def test_it_follows_the_script_prefix_and_the_url_configuration() -> None:
    plain = _render("{% url 'journal' %}")
    set_script_prefix("/portal/")
    try:
        assert _render("{% url 'journal' %}") == "/portal" + plain
    finally:
        set_script_prefix("/")
    assert _render("{% url 'journal' %}") == plain
    with override_settings(ROOT_URLCONF="tests.unit.test_template_speedups_urls"):
        assert _render("{% url 'journal' %}") == "/elsewhere/journal/"
    assert _render("{% url 'journal' %}") == plain


def test_it_escapes_a_reversed_url_like_django() -> None:
    assert _render("{% url 'journal_entry_edit' entry_id %}", entry_id="a&b") == escape(
        reverse("journal_entry_edit", args=["a&b"])
    )


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


@pytest.mark.parametrize(
    ("source", "context"),
    [
        ("{% static 'css/portal.css' %}", {}),
        ("{% static name %}", {"name": "js/portal.js"}),
        ("{% static 'img/a&b.svg' %}", {}),
        ("{% static 'css/chart.css' as there %}[{{ there }}]", {}),
        ("{% autoescape off %}{% static 'img/a&b.svg' %}{% endautoescape %}", {}),
    ],
)
def test_it_writes_what_djangos_static_tag_writes(source: str, context: dict[str, object]) -> None:
    assert type(Template("{% static 'css/portal.css' %}").nodelist[0]).__name__ == "MemoizedStaticNode"
    expected = Engine(libraries={"static": "django.templatetags.static"}).from_string(
        "{% load static %}" + source
    ).render(Context(context))
    assert _render(source, **context) == expected
    # Asked again (now from memory), the same answer.
    assert _render(source, **context) == expected


def test_it_writes_static_urls_afresh_when_the_settings_change() -> None:
    plain = _render("{% static 'css/portal.css' %}")
    with override_settings(STATIC_URL="/elsewhere/"):
        assert _render("{% static 'css/portal.css' %}") == "/elsewhere/css/portal.css"
    assert _render("{% static 'css/portal.css' %}") == plain


_CHAIN = {
    "root.html": "<t>{% block title %}Root{% endblock %}</t>{% block body %}<p>root {{ x }}</p>{% endblock %}"
    "{% if x %}{% block tail %}tail{% endblock %}{% endif %}",
    "middle.html": "{% extends 'root.html' %}{% block body %}[{{ block.super }}] middle{% endblock %}",
    "leaf.html": "{% extends 'middle.html' %}{% block title %}Leaf{% endblock %}"
    "{% block body %}{{ block.super }} leaf{% endblock %}{% block tail %}{{ block.super }}!{% endblock %}",
    "by_variable.html": "{% extends parent %}{% block body %}via variable{% endblock %}",
}


def _engine(**options: object) -> Engine:
    return Engine(loaders=[("django.template.loaders.locmem.Loader", _CHAIN)], **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["leaf.html", "middle.html", "by_variable.html"])
def test_it_extends_as_django_does(name: str) -> None:
    ours = _engine(builtins=["portal.templatetags.memoized_extends"])
    django = _engine()
    assert type(ours.get_template(name).nodelist[0]).__name__ == "MemoizedExtendsNode"
    for x in (1, 0, "<b>"):
        values = {"x": x, "parent": "root.html"}
        expected = django.get_template(name).render(Context(values))
        # Twice: the second render reads the root's blocks from memory.
        assert ours.get_template(name).render(Context(values)) == expected
        assert ours.get_template(name).render(Context(values)) == expected


def test_it_still_refuses_what_django_refuses() -> None:
    ours = _engine(builtins=["portal.templatetags.memoized_extends"])
    with pytest.raises(TemplateSyntaxError):
        ours.from_string("{% extends 'root.html' %}{% extends 'root.html' %}")
    with pytest.raises(TemplateSyntaxError):
        ours.from_string("{% extends %}")
    with pytest.raises(TemplateSyntaxError):
        ours.from_string("{% if 1 %}{% endif %}{% extends 'root.html' %}")


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

    from portal.templatetags.when import every_form, iso, when, when_short

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
