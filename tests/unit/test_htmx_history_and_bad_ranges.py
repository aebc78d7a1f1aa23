"""The Back button after htmx filtering, and ranges that make no sense."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.ids import new_id
from tests.accounts import log_in, make_account


@pytest.fixture
def logged_in_client(dynamo, client: HttpClient) -> HttpClient:
    log_in(client, make_account(AccountKind.CLIENT))
    return client


def test_it_gives_the_whole_page_when_htmx_restores_history(logged_in_client):
    response = logged_in_client.get(
        "/client/journal/", {"feeling": "sad"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" in body and 'id="entry-form"' in body
    assert "HX-Request" in response["Vary"]


def test_it_gives_only_the_list_to_an_htmx_filter(logged_in_client):
    response = logged_in_client.get("/client/journal/", {"feeling": "sad"}, HTTP_HX_REQUEST="true")
    assert "<html" not in response.content.decode()
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    "query",
    [
        {"end": "9999-12-31"},
        {"start": "0001-01-05"},
        {"start": "0001-01-01", "end": "0001-01-02"},
    ],
)
@pytest.mark.parametrize("url", ["/client/journal/", "/client/journal/chart/"])
def test_it_answers_absurd_dates_with_a_message_not_an_error(logged_in_client, url, query):
    response = logged_in_client.get(url, query)
    assert response.status_code in (200, 400)
    assert "check the year" in response.content.decode() or "in the future" in response.content.decode()


def test_it_explains_a_chart_start_in_the_future(logged_in_client):
    response = logged_in_client.get("/client/journal/chart/", {"start": "2099-01-01"})
    assert response.status_code == 400
    assert "The start date is in the future." in response.content.decode()


@pytest.mark.parametrize("typed", ["0999-06-01T12:00", "0001-01-01T00:00"])
def test_it_refuses_a_mistyped_year_and_keeps_the_journal_readable(logged_in_client, typed):
    response = logged_in_client.post(
        "/client/journal/", {"idempotency_key": new_id(), "time_of_emotion": typed, "feeling": "calm", "intensity": "3", "note": "kept"}
    )
    assert response.status_code == 400
    assert "check the year" in response.content.decode()
    assert logged_in_client.get("/client/journal/").status_code == 200
    assert logged_in_client.get("/client/journal/export.csv").status_code == 200


def test_it_answers_a_stale_load_more_with_a_small_fragment(logged_in_client):
    response = logged_in_client.get("/client/journal/", {"cursor": "stale"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "<html" not in response.content.decode()
    assert "reload the page" in response.content.decode()


def test_it_still_reads_an_entry_stored_with_an_unpadded_year(logged_in_client, dynamo):
    """Before years were padded, year 999 was written "999-…"; such a row must not break the page."""
    from portal.dynamo.schema import JOURNAL
    from portal.ids import new_id

    user = logged_in_client.get("/client/").wsgi_request.user
    dynamo.client.put_item(
        TableName=dynamo.table_name(JOURNAL),
        Item={
            "clientId": {"S": user.account_id},
            "journalEntryId": {"S": new_id()},
            "timeOfEmotion": {"S": "999-06-01T12:00:00.000000Z"},
            "feeling": {"S": "calm"},
            "intensity": {"N": "3"},
        },
    )
    response = logged_in_client.get("/client/journal/")
    assert response.status_code == 200
    # The entry is listed, its year as stored (ISO-8601 pads it to four digits).
    assert '<time datetime="0999-06-01T' in response.content.decode()
