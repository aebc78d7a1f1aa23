"""One journal entry's markup, written in Python for speed: escaped, and saying who can read it."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.html import escape

from portal.accounts.user import Reader
from portal.domain import REMOVED_AT_CLIENTS_REQUEST, ErasedText, JournalEntry
from portal.templatetags.journal_entry import render_journal_entry

WHEN = datetime(2026, 3, 4, 21, 40, tzinfo=UTC)
CSRF = '<input type="hidden" name="csrfmiddlewaretoken" value="token">'


def _entry(**changes) -> JournalEntry:
    values = {"note": "", "shared_at": None, **changes}
    return JournalEntry("c1", "01ENTRY", WHEN, "sad", 8, **values)


def _html(entry: JournalEntry, readers=None, return_to="/client/journal/", error="") -> str:
    return str(render_journal_entry(entry, readers=readers, return_to=return_to, csrf=CSRF, entry_error=error))


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
    assert 'value="/client/journal/?feeling=&quot;&gt;&lt;x&gt;"' in html
    assert '<p class="nonfield" role="alert">&lt;bad&gt;</p>' in html


def test_it_says_plainly_when_nobody_could_read_a_shared_entry() -> None:
    unshared = _html(_entry(), readers=())
    assert 'aria-describedby="entry-01ENTRY-share-hint"' in unshared
    assert 'id="entry-01ENTRY-share-hint">Nobody can read a shared entry yet' in unshared
    shared = _html(_entry(shared_at=WHEN), readers=())
    assert "nobody can read it now" in shared and "Stop sharing" in shared
    # Readers not known (no session copy): no claim either way.
    assert "can read" not in _html(_entry(shared_at=WHEN), readers=None)


def test_it_names_each_control_for_a_screen_reader_and_keeps_the_place() -> None:
    html = _html(_entry(), readers=(Reader("t1", "Dr Ada"),), return_to="/client/journal/?feeling=sad")
    assert "Edit<span class=\"visually-hidden\"> entry of 4 Mar, 21:40</span>" in html
    assert "Share with my therapist<span class=\"visually-hidden\">: entry of 4 Mar, 21:40</span>" in html
    assert 'href="/client/journal/01ENTRY/delete/?next=/client/journal/%3Ffeeling%3Dsad"' in html
    assert CSRF in html and "intensity 8 out of 10" in html


def test_it_shows_erased_text_as_removed() -> None:
    assert f'<p class="note">{escape(REMOVED_AT_CLIENTS_REQUEST)}</p>' in _html(_entry(note=ErasedText()))
