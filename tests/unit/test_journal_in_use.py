"""The journal as people use it, without JavaScript and through htmx: place kept, safety, role-right pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client as HttpClient

from portal.domain import FEELINGS, VOCABULARY, AccountKind, MappingStatus, Valence, is_distressing, mood_value
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.ids import new_id
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow
from tests.accounts import log_in, make_account
from tests.journal_data import seed_entries

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client_user(dynamo, client: HttpClient):
    user = make_account(AccountKind.CLIENT)
    log_in(client, user)
    return user


def _add(user, minutes_ago: int = 5, **fields):
    values = {"feeling": "calm", "intensity": 4, "note": "", **fields}
    return journal_entry_create(
        client_id=user.account_id, time_of_emotion=utcnow() - timedelta(minutes=minutes_ago), **values
    )


def _swapped(response) -> dict[str, str]:
    return json.loads(response.headers["HX-Trigger-After-Settle"])["portal:swapped"]


def _ids(html: str) -> list[str]:
    return re.findall(r'\bid="([^"]+)"', html)


# --- the vocabulary ----------------------------------------------------------------


def test_it_gives_every_feeling_one_valence_and_explains_the_in_between_ones():
    assert len(FEELINGS) == len(set(FEELINGS)) == len(VOCABULARY)
    for feeling in VOCABULARY:
        if feeling.valence is Valence.IN_BETWEEN:
            assert feeling.why and -1 < feeling.weight < 1
        else:
            assert feeling.weight == (1.0 if feeling.valence is Valence.PLEASANT else -1.0)
    assert mood_value("happy", 10) == -mood_value("angry", 10) == 10
    assert is_distressing("sad", 8) and not is_distressing("sad", 7) and not is_distressing("happy", 10)
    assert not is_distressing("tired", 10)


# --- writing an entry ------------------------------------------------------------------


def test_it_offers_feelings_as_chips_grouped_by_valence_and_intensity_as_ten_choices(client_user, client):
    body = client.get("/client/journal/").content.decode()
    assert body.count('name="feeling" value=') == len(FEELINGS)
    assert [g for g in re.findall(r'class="chip-group-label" id="[^"]+">([^<]+)<', body)] == [
        "Pleasant",
        "In between",
        "Unpleasant",
    ]
    assert re.findall(r'name="intensity" value="(\d+)"', body) == [str(n) for n in range(1, 11)]
    ids = _ids(body)
    assert len(ids) == len(set(ids))


def test_it_links_each_field_error_to_an_element_that_exists(client_user, client):
    response = client.post("/client/journal/", {"idempotency_key": new_id(), "feeling": "", "intensity": "", "note": "x" * 2001})
    assert response.status_code == 400
    body = response.content.decode()
    described = re.findall(r'aria-describedby="([^"]+)"', body)
    assert described, "errors must be linked to their fields"
    ids = set(_ids(body))
    for value in described:
        for target in value.split():
            assert target in ids, target


def test_it_keeps_the_filter_after_a_save_without_javascript(client_user, client):
    _add(client_user, feeling="lonely", note="a lonely evening")
    _add(client_user, feeling="calm", note="a calm morning")
    response = client.post(
        "/client/journal/?feeling=lonely",
        {"idempotency_key": new_id(), "feeling": "lonely", "intensity": "5", "note": "still lonely", "next": "/client/journal/?feeling=lonely"},
    )
    assert response.status_code == 302 and response["Location"] == "/client/journal/?feeling=lonely"
    page = client.get(response["Location"]).content.decode()
    assert "still lonely" in page and "a lonely evening" in page and "a calm morning" not in page


def test_it_keeps_the_filter_after_an_htmx_save_and_adds_only_the_new_entry(client_user, client):
    _add(client_user, feeling="lonely", note="a lonely evening")
    current = {"HTTP_HX_CURRENT_URL": "http://testserver/client/journal/?feeling=lonely"}
    matching = client.post(
        "/client/journal/", {"idempotency_key": new_id(), "feeling": "lonely", "intensity": "5", "note": "new one"}, **HTMX, **current
    )
    body = matching.content.decode()
    # The list already loaded is not re-rendered (pages loaded with "load more" stay), the new entry is added.
    assert 'id="entry-list-section"' not in body and 'hx-swap-oob="afterbegin:#entry-list"' in body
    assert "new one" in body and "a lonely evening" not in body
    entry_id = re.search(r'<li class="entry card" id="entry-([0-9A-Z]+)"', body).group(1)
    assert _swapped(matching) == {
        "place": f"#entry-{entry_id}",
        "focus": f"#entry-{entry_id}",
        "announce": "Saved to your journal.",
    }

    other = client.post(
        "/client/journal/", {"idempotency_key": new_id(), "feeling": "calm", "intensity": "5", "note": "calm one"}, **HTMX, **current
    )
    body = other.content.decode()
    assert "hx-swap-oob" not in body and "doesn't match the filter" in body
    assert _swapped(other) == {"focus": "#entry-saved"}


def test_it_shows_crisis_contacts_after_a_distressing_entry_and_tells_nobody(client_user, client, caplog, settings):
    settings.CRISIS_CONTACTS = [{"name": "Test Line", "how": "Call 555.", "call": "555", "text": ""}]
    calm = client.post("/client/journal/", {"idempotency_key": new_id(), "feeling": "sad", "intensity": "7"}, **HTMX).content.decode()
    assert "Test Line" not in calm
    response = client.post("/client/journal/", {"idempotency_key": new_id(), "feeling": "sad", "intensity": "9", "note": "very low"}, **HTMX)
    body = response.content.decode()
    assert "Test Line" in body and 'href="tel:555"' in body and "nobody has been told" in body
    assert _swapped(response)["focus"] == "#entry-saved"
    # Without JavaScript the confirmation after the redirect carries them too.
    redirect = client.post("/client/journal/", {"idempotency_key": new_id(), "feeling": "anxious", "intensity": "8"})
    assert "Test Line" in client.get(redirect["Location"]).content.decode()
    assert "very low" not in caplog.text


def test_it_uses_the_us_crisis_numbers_by_default(client_user, client):
    body = client.post("/client/journal/", {"idempotency_key": new_id(), "feeling": "angry", "intensity": "10"}, **HTMX).content.decode()
    assert 'href="tel:988"' in body and 'href="sms:988"' in body and 'href="tel:911"' in body


# --- finding your place again --------------------------------------------------------------


def test_it_returns_to_the_filtered_view_after_sharing_without_javascript(client_user, client):
    entry = _add(client_user, feeling="lonely")
    response = client.post(
        f"/client/journal/{entry.entry_id}/share/", {"shared": "1", "next": "/client/journal/?feeling=lonely"}
    )
    assert response["Location"] == f"/client/journal/?feeling=lonely#entry-{entry.entry_id}"
    response = client.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "0", "next": "https://evil.example/"})
    assert response["Location"] == f"/client/journal/#entry-{entry.entry_id}"
    response = client.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "0", "next": "/client/"})
    assert response["Location"] == f"/client/journal/#entry-{entry.entry_id}"


def test_it_names_who_can_read_a_shared_entry(client_user, client):
    therapist = make_account(AccountKind.THERAPIST, name="Dr. Chen")
    MappingRepository().put(
        client_user.account_id, therapist.account_id, MappingStatus.ACTIVE, therapist_name=therapist.name
    )
    entry = _add(client_user)
    response = client.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "1"}, **HTMX)
    assert _swapped(response) == {"focus": f"#entry-{entry.entry_id}-share", "announce": "Shared with Dr. Chen."}
    redirect = client.post(f"/client/journal/{entry.entry_id}/share/", {"shared": "0"})
    assert "No longer shared." in client.get(redirect["Location"]).content.decode()


def test_it_gives_page_two_a_way_back_and_no_entry_form(client_user, client):
    seed_entries(client_user.account_id, 25)
    first = client.get("/client/journal/?start=1990-01-01").content.decode()
    assert 'id="entry-form"' in first and "Skip to “Load more”" in first
    later = re.search(r'href="\?(start=1990-01-01&amp;cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(f"/client/journal/?{later}")
    body = second.content.decode()
    assert second.status_code == 200
    assert 'id="entry-form"' not in body
    assert 'href="/client/journal/?start=1990-01-01">Back to the newest entries' in body


def test_it_focuses_and_announces_after_load_more_filter_and_delete(client_user, client):
    seed_entries(client_user.account_id, 25)
    first = client.get("/client/journal/").content.decode()
    cursor_link = re.search(r'hx-get="(/client/journal/\?cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
    more = client.get(cursor_link, HTTP_HX_TARGET="load-more", **HTMX)
    first_new = re.search(r'id="(entry-[0-9A-Z]+)"', more.content.decode()).group(1)
    assert _swapped(more) == {"focus": f"#{first_new}", "announce": "5 more entries loaded."}
    filtered = client.get("/client/journal/?feeling=zzz", HTTP_HX_TARGET="entry-list-section", **HTMX)
    assert _swapped(filtered)["focus"] == "#entries-heading"
    entry = _add(client_user)
    deleted = client.post(f"/client/journal/{entry.entry_id}/delete/", **HTMX)
    assert _swapped(deleted) == {"focus": "#entries-heading", "announce": "Entry deleted."}


def test_the_edit_page_lists_the_entry_properly_and_offers_share_and_delete(client_user, client):
    entry = _add(client_user, note="to change")
    body = client.get(f"/client/journal/{entry.entry_id}/edit/?next=/client/journal/%3Ffeeling%3Dcalm").content.decode()
    assert re.search(r'<ol class="entries">\s*<li class="entry card editing"', body)
    assert "Share with my therapist" in body and f"/client/journal/{entry.entry_id}/delete/?next=" in body
    assert 'name="next" value="/client/journal/?feeling=calm"' in body
    response = client.post(
        f"/client/journal/{entry.entry_id}/edit/",
        {
            "feeling": "calm",
            "intensity": "3",
            "note": "changed",
            "time_of_emotion": "2026-01-01T10:00",
            "next": "/client/journal/?feeling=calm",
        },
    )
    assert response["Location"] == f"/client/journal/?feeling=calm#entry-{entry.entry_id}"


def test_the_inline_edit_has_ids_of_its_own(client_user, client):
    entry = _add(client_user)
    page_ids = set(_ids(client.get("/client/journal/").content.decode()))
    response = client.get(f"/client/journal/{entry.entry_id}/edit/", **HTMX)
    edit_ids = _ids(response.content.decode())
    assert f"edit-{entry.entry_id}-feeling_0" in edit_ids
    # Only the entry's own element is replaced by the edit form.
    assert set(edit_ids) & page_ids == {f"entry-{entry.entry_id}"}
    assert _swapped(response) == {"focus": f"#edit-{entry.entry_id}-heading"}
    assert JournalRepository().get(client_user.account_id, entry.entry_id) is not None


# --- the right text and links for each person -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "home", "footer"),
    [
        (AccountKind.CLIENT, "/client/", True),
        (AccountKind.THERAPIST, "/therapist/", False),
        (AccountKind.STAFF, "/staff/", False),
    ],
)
def test_it_shows_each_role_its_own_logo_link_and_footer(dynamo, client, kind, home, footer):
    user = make_account(kind)
    log_in(client, user)
    body = client.get(home).content.decode()
    assert f'<a class="brand" href="{home}">' in body
    assert ("Your entries are private unless" in body) is footer


def test_it_sends_logged_in_people_away_from_the_login_and_signup_forms(client_user, client):
    for url in ("/accounts/login/", "/accounts/signup/client/", "/accounts/signup/therapist/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/client/", url


def test_anonymous_visitors_see_the_public_logo_link_and_no_private_footer(dynamo, client):
    body = client.get("/accounts/login/").content.decode()
    assert '<a class="brand" href="/">' in body and "Your entries are private" not in body


def test_the_staff_list_scroll_region_is_reachable_by_keyboard(dynamo, client):
    staff = make_account(AccountKind.STAFF)
    log_in(client, staff)
    body = client.get("/staff/").content.decode()
    assert re.search(r'class="table-wrap[^"]*" role="region" aria-label="[^"]+" tabindex="0"', body)


def test_the_therapist_sees_the_mood_chart_of_the_shared_entries_only(dynamo):
    from portal.dynamo.call_counter import count_dynamodb_calls

    patient = make_account(AccountKind.CLIENT, name="Pat")
    therapist = make_account(AccountKind.THERAPIST)
    MappingRepository().put(patient.account_id, therapist.account_id, MappingStatus.ACTIVE)
    shared = _add(patient, feeling="hopeful", intensity=7)
    _add(patient, feeling="ashamed", intensity=9)  # private: on no chart the therapist sees
    JournalRepository().set_shared(patient.account_id, shared.entry_id, utcnow())
    http = HttpClient()
    log_in(http, therapist)
    with count_dynamodb_calls() as calls:
        response = http.get(f"/therapist/clients/{patient.account_id}/journal/")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="shared-chart"' in body
    assert body.count('<path class="chart-point') == 1 and "mark-hopeful" in body and "mark-ashamed" not in body
    assert calls.count("Query") == 1 and calls.count("Scan") == 0
