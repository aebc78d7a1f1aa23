"""The main pages end to end, on moto AND on the real local engine.

The view tests run on moto only, and moto accepts requests DynamoDB refuses
(a key condition with start after end, a malformed cursor, a wrong index...).
These walk every main page through django.test.Client on both engines
(the ``dynamo`` fixture of tests/contract/conftest.py), so a view that builds
a request the real service rejects fails here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import unescape
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.http import StreamingHttpResponse
from django.test import Client as HttpClient

from portal.domain import AccountKind, JournalEntry, MappingStatus
from portal.dynamo.account_store import AccountStore
from portal.dynamo.clients import ClientRepository
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.web_sessions import WebSessionRepository
from portal.ids import new_id
from tests.accounts import log_in, make_account
from tests.journal_data import seed_entries

ZONE = "Europe/Paris"
PASSWORD = "lanterns over seven frozen lakes"
# Typed entries on fixed past days (for the range filters) ...
SPRING = [
    ("2025-03-05T09:00", "calm", "3", "spring calm"),
    ("2025-03-06T21:30", "anxious", "8", "spring worry"),
    ("2025-03-09T07:45", "calm", "5", "later calm"),
]
SEEDED = 25
# ... and recent ones, so the default chart (the last 30 days) has something to draw.
RECENT = [(2, "calm", "6", "today calm"), (4, "hopeful", "7", "today hope")]
TOTAL = len(SPRING) + SEEDED + len(RECENT)


@dataclass
class Owner:
    http: HttpClient
    client_id: str
    email: str
    name: str


def _local(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(ZONE)).date()


def _sign_up(name: str = "Sam Journal") -> Owner:
    http = HttpClient()
    email = f"sam-{new_id().lower()}@example.com"
    response = http.post(
        "/accounts/signup/client/",
        {
            "name": name,
            "email": email,
            "password": PASSWORD,
            "password_again": PASSWORD,
            "time_zone": ZONE,
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/client/"
    home = http.get("/client/")
    assert home.status_code == 200
    assert f"Hello, {name}" in home.content.decode()
    stored = ClientRepository().find_by_email(email)
    assert stored is not None and stored.time_zone == ZONE and not stored.email_verified
    return Owner(http=http, client_id=stored.client_id, email=email, name=name)


def _write(owner: Owner, when: str, feeling: str, intensity: str, note: str) -> None:
    response = owner.http.post(
        "/client/journal/",
        {"time_of_emotion": when, "feeling": feeling, "intensity": intensity, "note": note, "idempotency_key": new_id()},
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/client/journal/"


def _fill_journal(owner: Owner) -> list[JournalEntry]:
    for fields in SPRING:
        _write(owner, *fields)
    seed_entries(owner.client_id, SEEDED)
    now_local = datetime.now(ZoneInfo(ZONE))
    for hours_ago, feeling, intensity, note in RECENT:
        when = (now_local - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")
        _write(owner, when, feeling, intensity, note)
    # Checked straight in the table: every typed entry landed, in UTC.
    stored = JournalRepository().list_by_time(owner.client_id, limit=100).items
    assert len(stored) == TOTAL
    return stored


@dataclass(frozen=True)
class Listed:
    """An entry as the journal page lists it."""

    entry_id: str
    time_of_emotion: datetime
    note: str


@dataclass(frozen=True)
class ListedPage:
    items: list[Listed]
    next_cursor: str | None


_LISTED = re.compile(
    r'<li class="entry card" id="entry-(?P<id>[^"]+)">\s*<p class="entry-meta">\s*<time datetime="(?P<time>[^"]+)">'
    r'(?P<rest>.*?)</li>',
    re.DOTALL,
)


def _listed(response: object) -> ListedPage:
    """The entries a journal page lists, read from its HTML, and the cursor of its "Load more"."""
    body = response.content.decode()  # type: ignore[attr-defined]
    items = []
    for found in _LISTED.finditer(body):
        note = re.search(r'<p class="note">(.*?)</p>', found["rest"], re.DOTALL)
        items.append(
            Listed(found["id"], datetime.fromisoformat(found["time"]), unescape(note[1]) if note else "")
        )
    more = re.search(r'id="load-more-link" href="\?(?:[^"]*&amp;)?cursor=([^"&]+)"', body)
    return ListedPage(items, unquote(more[1]) if more else None)


def _pages(http: HttpClient, params: dict[str, str]) -> Iterator[Listed]:
    """Every entry the journal page lists for ``params``, following "Load more"."""
    cursor = None
    for _ in range(TOTAL + 1):
        response = http.get("/client/journal/", {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.content.decode()
        page = _listed(response)
        assert len(page.items) <= 20
        if page.next_cursor:
            assert "Load more" in response.content.decode()
        yield from page.items
        cursor = page.next_cursor
        if not cursor:
            return
    raise AssertionError("the cursor never ran out")


def _ids(entries: Iterable[JournalEntry | Listed]) -> list[str]:
    return [entry.entry_id for entry in entries]


def _stored(owner: Owner, entry_id: str) -> JournalEntry:
    entry = JournalRepository().get(owner.client_id, entry_id)
    assert entry is not None
    return entry


@pytest.fixture
def owner(dynamo: DynamoGateway) -> Owner:
    return _sign_up()


def test_a_client_writes_and_reads_the_journal_every_way(owner: Owner):
    everything = _fill_journal(owner)

    first = owner.http.get("/client/journal/")
    assert first.status_code == 200
    body = first.content.decode()
    assert "today calm" in body and "today hope" in body
    page = _listed(first)
    assert len(page.items) == 20 and page.next_cursor
    times = [entry.time_of_emotion for entry in page.items]
    assert times == sorted(times, reverse=True)

    second = owner.http.get("/client/journal/", {"cursor": page.next_cursor})
    assert second.status_code == 200
    rest = _listed(second)
    assert len(rest.items) == TOTAL - 20 and not rest.next_cursor
    assert "spring calm" in second.content.decode()
    listed = _ids(page.items) + _ids(rest.items)
    assert sorted(listed) == sorted(_ids(everything)) and len(set(listed)) == TOTAL

    calm = owner.http.get("/client/journal/", {"feeling": "calm"})
    assert calm.status_code == 200
    calm_body = calm.content.decode()
    assert "spring calm" in calm_body and "today calm" in calm_body
    assert "spring worry" not in calm_body and "today hope" not in calm_body
    expected_calm = {entry.entry_id for entry in everything if entry.feeling == "calm"}
    assert set(_ids(_pages(owner.http, {"feeling": "calm"}))) == expected_calm

    spring = owner.http.get("/client/journal/", {"start": "2025-03-05", "end": "2025-03-06"})
    assert spring.status_code == 200
    spring_body = spring.content.decode()
    assert "spring calm" in spring_body and "spring worry" in spring_body
    assert "later calm" not in spring_body and "today calm" not in spring_body
    assert len(_listed(spring).items) == 2

    both = owner.http.get("/client/journal/", {"feeling": "calm", "start": "2025-03-05", "end": "2025-03-09"})
    assert both.status_code == 200
    assert [entry.note for entry in _listed(both).items] == ["later calm", "spring calm"]

    # The last three local days, with and without a feeling, every page of them.
    today = _local(datetime.now(ZoneInfo(ZONE)))
    recent = {"start": (today - timedelta(days=2)).isoformat(), "end": today.isoformat()}
    in_range = [e for e in everything if today - timedelta(days=2) <= _local(e.time_of_emotion) <= today]
    assert set(_ids(_pages(owner.http, recent))) == set(_ids(in_range))
    for feeling in ("calm", "anxious"):
        expected = {e.entry_id for e in in_range if e.feeling == feeling}
        assert set(_ids(_pages(owner.http, {**recent, "feeling": feeling}))) == expected

    only_start = owner.http.get("/client/journal/", {"start": "2025-03-09"})
    assert only_start.status_code == 200
    assert "spring calm" not in only_start.content.decode()
    assert "later calm" in set(e.note for e in _pages(owner.http, {"start": "2025-03-09"}))
    only_end = owner.http.get("/client/journal/", {"end": "2025-03-06", "feeling": "anxious"})
    assert only_end.status_code == 200
    assert [e.note for e in _listed(only_end).items] == ["spring worry"]

    backwards = owner.http.get("/client/journal/", {"start": "2025-03-09", "end": "2025-03-05"})
    assert backwards.status_code == 200
    assert "end date comes before the start" in backwards.content.decode()

    tampered = owner.http.get("/client/journal/", {"cursor": "abc:def"})
    assert tampered.status_code == 400


def test_the_chart_draws_the_last_month_and_a_chosen_range(owner: Owner):
    _fill_journal(owner)

    default = owner.http.get("/client/journal/chart/")
    assert default.status_code == 200
    body = default.content.decode()
    assert 'role="img"' in body and "<path class=\"chart-point" in body

    spring = owner.http.get("/client/journal/chart/", {"start": "2025-03-01", "end": "2025-03-10"})
    assert spring.status_code == 200
    assert spring.content.decode().count("<path class=\"chart-point") == len(SPRING)

    calm = owner.http.get("/client/journal/chart/", {"feeling": "calm", "start": "2025-03-01", "end": "2025-03-10"})
    assert calm.status_code == 200
    assert calm.content.decode().count("<path class=\"chart-point") == 2

    empty = owner.http.get("/client/journal/chart/", {"start": "2024-01-01", "end": "2024-01-31"})
    assert empty.status_code == 200
    assert "No entries in this range yet." in empty.content.decode()

    # Refused ranges answer 400 with the form error and the default chart, never a 500.
    backwards = owner.http.get("/client/journal/chart/", {"start": "2025-03-10", "end": "2025-03-01"})
    assert backwards.status_code == 400
    assert "end date comes before the start" in backwards.content.decode()
    tomorrow = _local(datetime.now(ZoneInfo(ZONE))) + timedelta(days=1)
    ahead = owner.http.get("/client/journal/chart/", {"start": tomorrow.isoformat()})
    assert ahead.status_code == 400
    assert "The start date is in the future." in ahead.content.decode()
    only_end = owner.http.get("/client/journal/chart/", {"end": "2025-03-06"})
    assert only_end.status_code == 200
    assert only_end.content.decode().count("<path class=\"chart-point") == 2
    today = _local(datetime.now(ZoneInfo(ZONE)))
    only_start = owner.http.get("/client/journal/chart/", {"start": (today - timedelta(days=1)).isoformat()})
    assert only_start.status_code == 200
    one_day = owner.http.get("/client/journal/chart/", {"start": "2025-03-06", "end": "2025-03-06"})
    assert one_day.status_code == 200
    assert one_day.content.decode().count("<path class=\"chart-point") == 1
    earliest = owner.http.get("/client/journal/chart/", {"end": "1900-01-01"})
    assert earliest.status_code == 200
    assert "No entries in this range yet." in earliest.content.decode()


def test_the_export_streams_every_entry(owner: Owner):
    everything = _fill_journal(owner)
    other = _sign_up(name="Someone Else")
    _write(other, "2025-03-07T10:00", "sad", "4", "not my entry")

    response = owner.http.get("/client/journal/export.csv")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["time_of_emotion", "time_zone", "feeling", "intensity", "note", "shared"]
    assert len(rows) == 1 + len(everything)
    # Oldest first, in the client's zone: 09:00 in Paris on 5 March 2025.
    assert rows[1] == ["2025-03-05T09:00+01:00", ZONE, "calm", "3", "spring calm", "no"]
    assert "not my entry" not in text


def test_a_shared_entry_reaches_the_therapist_and_the_reading_is_shown(owner: Owner):
    _fill_journal(owner)
    entries = JournalRepository().list_by_time(owner.client_id, limit=100).items
    spring_calm = next(e for e in entries if e.note == "spring calm")
    share_url = f"/client/journal/{spring_calm.entry_id}/share/"

    # Not yet verified: refused, nothing shared.
    refused = owner.http.post(share_url, {"shared": "1"}, follow=True)
    assert refused.status_code == 200
    assert "confirm your email address" in refused.content.decode()
    assert not _stored(owner, spring_calm.entry_id).is_shared

    AccountStore().mark_email_verified(AccountKind.CLIENT, owner.client_id)
    response = owner.http.post(share_url, {"shared": "1"})
    assert response.status_code == 302 and response["Location"] == f"/client/journal/#entry-{spring_calm.entry_id}"
    assert _stored(owner, spring_calm.entry_id).is_shared
    day = owner.http.get("/client/journal/", {"start": "2025-03-05", "end": "2025-03-05"})
    assert day.status_code == 200
    assert (
        "Stop sharing" in day.content.decode()
        and '<span class="badge badge-positive">Shared</span>' in day.content.decode()
    )

    therapist = make_account(AccountKind.THERAPIST, name="Dr Quill")
    MappingRepository().put(
        owner.client_id, therapist.account_id, MappingStatus.ACTIVE, client_name=owner.name, therapist_name="Dr Quill"
    )
    reader = HttpClient()
    log_in(reader, therapist)
    home = reader.get("/therapist/")
    assert home.status_code == 200
    assert f'/therapist/clients/{owner.client_id}/journal/">{owner.name}</a>' in home.content.decode()
    assert "Dr Quill" in owner.http.get("/client/").content.decode()
    page = reader.get(f"/therapist/clients/{owner.client_id}/journal/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f"Shared entries of {owner.name}" in body
    assert "spring calm" in body
    assert "spring worry" not in body and "today calm" not in body
    # The one shared entry, and nothing else (the therapist's view names no entry ids).
    assert body.count('<li class="entry card') == 1

    # The client sees who read, and which entry.
    access = owner.http.get("/client/journal/access/")
    assert access.status_code == 200
    access_body = access.content.decode()
    (reader_name,) = re.findall(r'<h2 class="visit-heading">(.*?)</h2>', access_body)
    (read,) = re.findall(r'<ul class="visit-entries">(.*?)</ul>', access_body, re.DOTALL)
    assert reader_name == "Dr Quill" and read.count("<li>") == 1
    assert f'felt <time datetime="{spring_calm.time_of_emotion.astimezone(ZoneInfo(ZONE)).isoformat(timespec="minutes")}"' in read

    # Another therapist, without a mapping: 404.
    stranger = HttpClient()
    log_in(stranger, make_account(AccountKind.THERAPIST))
    assert stranger.get(f"/therapist/clients/{owner.client_id}/journal/").status_code == 404


def test_staff_list_and_find_accounts(owner: Owner):
    therapist = make_account(AccountKind.THERAPIST, name="Dr Listed")
    staff = HttpClient()
    log_in(staff, make_account(AccountKind.STAFF))

    clients = staff.get("/staff/")
    assert clients.status_code == 200
    assert owner.email in clients.content.decode() and owner.name in clients.content.decode()

    therapists = staff.get("/staff/", {"kind": "therapist"})
    assert therapists.status_code == 200
    assert therapist.email in therapists.content.decode()
    assert owner.email not in therapists.content.decode()

    found = staff.get("/staff/", {"q": f"  {owner.email.upper()} "})
    assert found.status_code == 200
    rows = re.findall(
        r'<tr><td><a href="/staff/accounts/(\w+)/[0-9A-Z]+/">[^<]*</a></td><td>([^<]*)</td>', found.content.decode()
    )
    assert [(email, kind) for kind, email in rows] == [(owner.email, str(AccountKind.CLIENT))]
    assert owner.name in found.content.decode()

    nobody = staff.get("/staff/", {"q": "nobody@example.com"})
    assert nobody.status_code == 200
    assert "No accounts found." in nobody.content.decode()

    # A name or an email, from its start: one letter is too little to search by.
    bad = staff.get("/staff/", {"q": "x"})
    assert bad.status_code == 400 and "at least 2" in bad.content.decode()


def test_a_client_logs_in_and_out(owner: Owner):
    browser = HttpClient()
    wrong = browser.post("/accounts/login/", {"email": owner.email, "password": "not the password"})
    assert wrong.status_code == 400
    assert "do not match an account" in wrong.content.decode()

    response = browser.post("/accounts/login/", {"email": owner.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/client/"
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    stored = WebSessionRepository().get(key)
    assert stored is not None and stored.account_key == f"client:{owner.client_id}"
    assert browser.get("/client/journal/").status_code == 200

    out = browser.post("/accounts/logout/")
    assert out.status_code == 302 and out["Location"] == "/accounts/login/"
    assert WebSessionRepository().get(key) is None
    after = browser.get("/client/journal/")
    assert after.status_code == 302 and after["Location"].startswith("/accounts/login/")
    # The browser that signed up is still logged in.
    assert owner.http.get("/client/").status_code == 200
