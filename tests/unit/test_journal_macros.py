"""The journal's macros with their presenters: an entry as its client sees it, the entry form, a shared entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils.html import escape

from portal.accounts.user import Reader
from portal.domain import REMOVED_AT_CLIENTS_REQUEST, ErasedText, JournalEntry
from portal.forms.journal import NewJournalEntryForm
from portal.presenters.journal import EntryList, entry_item, entry_path, shared_entry_items
from tests.macros import render_macro

WHEN = datetime(2026, 3, 4, 21, 40, tzinfo=UTC)
JOURNAL = "portal/client/_journal.html"


def _entry(**changes) -> JournalEntry:
    values = {"note": "", "shared_at": None, **changes}
    return JournalEntry("c1", "01ENTRY", WHEN, "sad", 8, **values)


def _html(entry: JournalEntry, readers=None, return_to="/client/journal/", error="") -> str:
    page = EntryList.of(readers=readers, return_to=return_to, entry_error=error)
    return render_macro(JOURNAL, "entry_item", entry_item(entry, page), page, "csrf-token")


def test_it_escapes_the_note_and_keeps_its_line_breaks() -> None:
    html = _html(_entry(note="<script>alert(1)</script>\nsecond line"))
    assert "<script>" not in html
    assert '<p class="note">&lt;script&gt;alert(1)&lt;/script&gt;<br>second line</p>' in html


def test_it_escapes_what_comes_from_the_address_and_the_names() -> None:
    html = _html(
        _entry(shared_at=WHEN),
        readers=(Reader("t1", "Dr <b>Ada</b>"), Reader("t2", "")),
        return_to='/client/journal/?feeling="><x>',
        error="<bad>",
    )
    assert "<x>" not in html and "<b>" not in html and "<bad>" not in html
    assert "Dr &lt;b&gt;Ada&lt;/b&gt;, your therapist can read it" in html
    assert 'value="/client/journal/?feeling=&#34;&gt;&lt;x&gt;"' in html
    assert '<p class="nonfield" role="alert">&lt;bad&gt;</p>' in html


def test_it_says_plainly_when_nobody_could_read_a_shared_entry() -> None:
    unshared = _html(_entry(), readers=())
    assert 'aria-describedby="entry-01ENTRY-share-hint"' in unshared
    assert 'id="entry-01ENTRY-share-hint">Nobody can read a shared entry yet' in unshared
    shared = _html(_entry(shared_at=WHEN), readers=())
    assert "nobody can read it now" in shared and "Stop sharing" in shared
    # Readers not known (no session copy): no claim either way.
    assert "can read" not in _html(_entry(shared_at=WHEN), readers=None)
    assert "share-hint" not in _html(_entry(), readers=(Reader("t1", "Dr Ada"),))


def test_it_names_each_control_for_a_screen_reader_and_keeps_the_place() -> None:
    html = _html(_entry(), readers=(Reader("t1", "Dr Ada"),), return_to="/client/journal/?feeling=sad")
    assert 'Edit<span class="visually-hidden"> entry of 4 Mar, 21:40</span>' in html
    assert 'Share with my therapist<span class="visually-hidden">: entry of 4 Mar, 21:40</span>' in html
    assert 'href="/client/journal/01ENTRY/delete/?next=/client/journal/%3Ffeeling%3Dsad"' in html
    assert 'name="csrfmiddlewaretoken" value="' in html and "intensity 8 out of 10" in html


def test_it_shows_erased_text_as_removed() -> None:
    assert f'<p class="note">{escape(REMOVED_AT_CLIENTS_REQUEST)}</p>' in _html(_entry(note=ErasedText()))


def test_an_entrys_address_is_its_list_address_and_an_action() -> None:
    assert entry_path("/client/journal/", "01A", "edit") == "/client/journal/01A/edit/"
    assert entry_path("/client/journal/", "01A") == "/client/journal/01A/"
    with pytest.raises(ValueError, match="unknown journal entry action"):
        entry_path("/client/journal/", "01A", "export")


# --- the entry form ------------------------------------------------------------------------


def test_the_entry_form_shows_what_was_typed_and_every_error_where_its_field_points() -> None:
    form = NewJournalEntryForm(
        data={
            "intensity": "11",
            "note": "<i>kept</i>\nline",
            "time_of_emotion": "yesterday",
            "idempotency_key": "k" * 26,
        }
    )
    form.is_valid()
    html = render_macro(JOURNAL, "entry_fields", form)
    assert "&lt;i&gt;kept&lt;/i&gt;" in html and "<i>" not in html
    for field in ("feeling", "intensity", "time_of_emotion"):
        assert f'id="id_{field}_error"' in html
    assert 'aria-describedby="id_feeling_error"' in html
    assert '<details class="when-field" open>' in html


def test_the_entry_form_groups_the_feelings_as_chips_with_their_labels() -> None:
    html = render_macro(JOURNAL, "entry_fields", NewJournalEntryForm())
    assert html.count('class="chip-group"') == 3
    assert '<label class="chip valence-pleasant" for="id_feeling_' in html
    assert html.count('class="chip number-chip"') == 10
    assert '<details class="when-field">' in html and "_error" not in html


# --- a shared entry, as the therapist reads it ------------------------------------------


def test_a_shared_entry_is_in_the_clients_zone_and_marked_new_since_the_last_visit() -> None:
    entry = _entry(note="<b>heavy</b> day\r\nsecond line", shared_at=WHEN)
    (new,) = shared_entry_items([entry], time_zone="Asia/Tokyo", new_ids=frozenset({"01ENTRY"}))
    (seen,) = shared_entry_items([entry], time_zone="Asia/Tokyo", new_ids=frozenset({"other"}))
    html_new = render_macro("portal/therapist/_shared_entry.html", "shared_entry", new)
    html_seen = render_macro("portal/therapist/_shared_entry.html", "shared_entry", seen)
    assert '<time datetime="2026-03-05T06:40+09:00">Thu 5 Mar 2026, 06:40</time>' in html_new
    assert 'class="entry card entry-new"' in html_new and "New" in html_new
    assert "entry-new" not in html_seen and "New" not in html_seen
    assert "&lt;b&gt;heavy&lt;/b&gt; day<br>second line" in html_new and "<b>" not in html_new
