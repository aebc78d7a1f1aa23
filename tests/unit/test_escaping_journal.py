"""Everything a person can type comes out of the journal's macros and pages as text, never as markup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import Client as HttpClient

from portal.accounts.user import Reader
from portal.domain import AccountKind, JournalEntry, MoodReading
from portal.forms.journal import NewJournalEntryForm
from portal.presenters.journal import EntryList, entry_item, shared_entry_items
from portal.services.journal import journal_entry_create, journal_entry_set_shared
from portal.services.mood_chart import mood_chart
from tests.accounts import log_in, make_account
from tests.macros import render_macro
from tests.relationships import connect

HOSTILE = "<script>alert(1)</script> \"quoted\" 'single' {{ 7*7 }} {% if %}"
WHEN = datetime(2026, 3, 4, 21, 40, tzinfo=UTC)


def _assert_text(html: str) -> None:
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Template syntax typed by a person is printed, never evaluated.
    assert "{{ 7*7 }}" in html
    assert '"quoted"' not in html


def test_an_entry_and_who_reads_it() -> None:
    entry = JournalEntry("c1", "01ENTRY", WHEN, "sad", 8, note=HOSTILE, shared_at=WHEN)
    page = EntryList.of(
        readers=(Reader("t1", HOSTILE),),
        return_to=f"/client/journal/?feeling={HOSTILE}",
        entry_error=HOSTILE,
    )
    html = render_macro("portal/client/_journal.html", "entry_item", entry_item(entry, page), page, "csrf-token")
    _assert_text(html)
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4  # note, reader, error, the return address


def test_the_sharing_note() -> None:
    html = render_macro("portal/client/_journal.html", "sharing_note", [Reader("t1", HOSTILE)])
    _assert_text(html)


def test_the_entry_form_with_what_was_typed() -> None:
    form = NewJournalEntryForm(
        data={"feeling": HOSTILE, "intensity": HOSTILE, "note": HOSTILE, "time_of_emotion": HOSTILE}
    )
    form.is_valid()
    html = render_macro("portal/client/_journal.html", "entry_fields", form)
    _assert_text(html)


def test_a_shared_entry() -> None:
    entry = JournalEntry("c1", "01ENTRY", WHEN, "sad", 8, note=HOSTILE, shared_at=WHEN)
    (item,) = shared_entry_items([entry], time_zone="Europe/London")
    _assert_text(render_macro("portal/therapist/_shared_entry.html", "shared_entry", item))


def test_the_mood_chart() -> None:
    readings = [MoodReading(f"e{i}", WHEN + timedelta(hours=i), HOSTILE, 5) for i in range(3)]
    chart = mood_chart(entries=readings, time_zone="Europe/London", start=None, end=None, feeling=HOSTILE)
    html = render_macro("portal/_mood_chart.html", "mood_chart_figure", chart, "chart-id", 2)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_journal_pages_and_the_therapists_view(dynamo) -> None:
    client = make_account(AccountKind.CLIENT, name=HOSTILE)
    therapist = make_account(AccountKind.THERAPIST, name=HOSTILE)
    connect(client, therapist)
    entry = journal_entry_create(
        client_id=client.account_id,
        time_of_emotion=WHEN,
        feeling="sad",
        intensity=6,
        note=HOSTILE,
        idempotency_key=None,
    )
    journal_entry_set_shared(user=client, entry_id=entry.entry_id, shared=True)
    http = HttpClient()
    log_in(http, client)
    for url in (
        "/client/journal/",
        f"/client/journal/?feeling={HOSTILE}",
        f"/client/journal/{entry.entry_id}/edit/?next=/client/journal/?x={HOSTILE}",
        f"/client/journal/{entry.entry_id}/delete/",
    ):
        response = http.get(url)
        assert "<script>alert" not in response.content.decode(), url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in http.get("/client/journal/").content.decode()
    other = HttpClient()
    log_in(other, therapist)
    body = other.get(f"/therapist/clients/{client.account_id}/journal/").content.decode()
    _assert_text(body)
    access = http.get("/client/journal/access/").content.decode()
    assert "<script>alert" not in access and "&lt;script&gt;alert(1)&lt;/script&gt;" in access  # the reader's name
