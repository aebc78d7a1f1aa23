"""Download my data: one ZIP of everything, streamed, never a private note, aborted on failure."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.test import Client as HttpClient

from portal.domain import AccountKind, DatabaseUnavailable
from portal.dynamo.gateway import DynamoGateway
from portal.ids import new_id
from portal.note_domain import NoteKind
from portal.services import clinical_notes, data_export
from portal.services.messaging import message_send
from portal.services.relationships import relationship_block
from tests.accounts import log_in, make_account
from tests.data_rights_data import (
    CLIENT_MARKER,
    CORRECTION_MARKER,
    PRIVATE_MARKER,
    SHARED_MARKER,
    SIGNED_SHARED_MARKER,
    STATEMENT_MARKER,
    THERAPIST_MARKER,
    client_world,
    questionnaires_answered,
    signed_record,
)
from tests.messaging_data import end_relationship, make_active_pair

CLIENT_URL = "/client/account/data/"
THERAPIST_URL = "/therapist/account/data/"


def _download(http: HttpClient, url: str) -> zipfile.ZipFile:
    response = http.post(url)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="therapy-portal-')
    assert response["Cache-Control"] == "no-store"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _everything(archive: zipfile.ZipFile) -> str:
    return "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())


def test_it_gives_a_client_everything_held_about_them(dynamo: DynamoGateway, client: HttpClient) -> None:
    world = client_world(entries=3)
    log_in(client, world.client)

    archive = _download(client, CLIENT_URL)

    assert archive.testzip() is None
    assert set(archive.namelist()) == {
        "README.txt", "profile.json", "journal.json", "journal.csv", "relationships.json",
        "sessions.json", "questionnaires.json", "questionnaires.csv", "session_records.json",
        "messages.json", "messages.csv", "access_history.csv",
    }
    profile = json.loads(archive.read("profile.json"))
    assert profile["clientId"] == world.client.account_id and profile["name"] == "Casey Client"
    assert "passwordHash" not in profile and "mfaSecret" not in profile
    journal = json.loads(archive.read("journal.json"))
    assert sorted(e["entryId"] for e in journal) == sorted(world.entry_ids)
    assert {e["entryId"]: e["shared"] for e in journal} == {
        world.entry_ids[0]: True, world.entry_ids[1]: False, world.entry_ids[2]: False
    }
    rows = list(csv.DictReader(io.StringIO(archive.read("journal.csv").decode("utf-8-sig"))))
    assert sorted(r["note"] for r in rows) == [f"{CLIENT_MARKER} entry {i}" for i in range(3)]
    [relationship] = json.loads(archive.read("relationships.json"))
    assert relationship == {
        "therapistId": world.therapist.account_id, "therapistName": "Dr Tara", "status": "active",
        "updatedAt": relationship["updatedAt"], "activeSince": relationship["activeSince"], "endedAt": None,
    }
    [session] = json.loads(archive.read("sessions.json"))
    assert session["sharedNotes"] == SHARED_MARKER and session["title"] == f"{CLIENT_MARKER} title"
    assert "privateNotes" not in session
    messages = json.loads(archive.read("messages.json"))
    assert sorted(m["content"] for m in messages) == [f"{CLIENT_MARKER} message", f"{THERAPIST_MARKER} reply"]
    access = list(csv.DictReader(io.StringIO(archive.read("access_history.csv").decode("utf-8-sig"))))
    assert ("journal.shared_read", world.therapist.account_id) in {(a["action"], a["actorId"]) for a in access}
    # The one thing never in it: the therapist's private notes.
    assert PRIVATE_MARKER not in _everything(archive)


def test_it_gives_a_client_the_messages_and_history_of_a_former_therapist(
    dynamo: DynamoGateway, client: HttpClient
) -> None:
    # Ended, no session ever: the mapping is gone and only the relationship record remembers the pair.
    former_client, former = make_active_pair()
    message_send(
        user=former_client, other_id=former.account_id, content=f"{CLIENT_MARKER} to a former", idempotency_key=new_id()
    )
    end_relationship(former_client, former)
    log_in(client, former_client)

    archive = _download(client, CLIENT_URL)

    assert [m["content"] for m in json.loads(archive.read("messages.json"))] == [f"{CLIENT_MARKER} to a former"]
    [relationship] = json.loads(archive.read("relationships.json"))
    assert relationship["therapistId"] == former.account_id and relationship["status"] == "ended"
    assert relationship["therapistName"] == "Dr Tara Chen" and relationship["endedAt"] and relationship["activeSince"]


def test_it_says_when_a_blocked_relationship_ended(dynamo: DynamoGateway, client: HttpClient) -> None:
    blocked_client, therapist = make_active_pair()
    relationship_block(user=therapist, client_id=blocked_client.account_id)
    log_in(client, blocked_client)

    [relationship] = json.loads(_download(client, CLIENT_URL).read("relationships.json"))

    assert relationship["status"] == "blocked" and relationship["endedAt"] and relationship["activeSince"]


def test_it_gives_a_therapist_their_profile_and_the_notes_they_wrote(
    dynamo: DynamoGateway, client: HttpClient
) -> None:
    world = client_world(entries=1)
    log_in(client, world.therapist)

    archive = _download(client, THERAPIST_URL)

    assert set(archive.namelist()) == {
        "README.txt", "profile.json", "session_notes.json", "session_notes.csv", "signed_notes.json",
        "signed_notes.csv",
    }
    [session] = json.loads(archive.read("session_notes.json"))
    assert (session["privateNotes"], session["sharedNotes"]) == (PRIVATE_MARKER, SHARED_MARKER)
    assert session["clientName"] == "Casey Client"
    assert json.loads(archive.read("profile.json"))["therapistId"] == world.therapist.account_id
    # Not the client's journal or messages: those are the client's to take.
    assert f"{CLIENT_MARKER} entry" not in _everything(archive)


def test_it_gives_a_client_their_questionnaires_with_loinc_codes(dynamo: DynamoGateway, client: HttpClient) -> None:
    world = client_world(entries=1)
    questionnaires_answered(world)
    log_in(client, world.client)

    archive = _download(client, CLIENT_URL)

    by_code = {r["loinc"]: r for r in json.loads(archive.read("questionnaires.json"))}
    assert set(by_code) == {"44261-6", "70274-6"}
    assert (by_code["44261-6"]["measure"], by_code["44261-6"]["total"], by_code["44261-6"]["band"]) == (
        "PHQ-9", 9, "mild"
    )
    assert by_code["70274-6"]["answers"] == [2] * 7 and by_code["70274-6"]["total"] == 14
    rows = {r["loinc"]: r for r in csv.DictReader(io.StringIO(archive.read("questionnaires.csv").decode("utf-8-sig")))}
    assert set(rows) == {"44261-6", "70274-6"}
    phq, gad = rows["44261-6"], rows["70274-6"]
    assert (phq["measure"], phq["total"], phq["band"], phq["difficulty"]) == ("PHQ-9", "9", "mild", "1")
    assert [phq[f"item_{n}"] for n in range(1, 10)] == ["1"] * 9
    assert (gad["total"], gad["band"], gad["item_7"], gad["item_8"]) == ("14", "moderate", "2", "")
    assert phq["submitted_at"] and not phq["submitted_at"].startswith("'")


def test_it_gives_a_client_their_signed_session_records_and_never_a_private_note(
    dynamo: DynamoGateway, client: HttpClient
) -> None:
    world = client_world(entries=1)
    session_id = signed_record(world)
    log_in(client, world.client)

    archive = _download(client, CLIENT_URL)

    [record] = json.loads(archive.read("session_records.json"))
    assert record["sessionId"] == session_id and record["therapistId"] == world.therapist.account_id
    [note] = record["notes"]
    assert note["kind"] == "shared" and note["sections"] == [{"section": "note", "text": SIGNED_SHARED_MARKER}]
    assert note["signature"]["signedBy"] == "Dr Tara" and len(note["signature"]["digestSha256"]) == 64
    assert note["signature"]["signatureLine"].startswith("Signed by Dr Tara on ") and not note["altered"]
    [addendum] = record["addenda"]
    assert (addendum["addsTo"], addendum["text"], addendum["reason"]) == ("shared", "Shared addition", "Clarity")
    assert addendum["signature"]["signedAt"] and len(addendum["signature"]["digestSha256"]) == 64
    [request] = record["correctionRequests"]
    assert (request["text"], request["status"], request["declineReason"]) == (
        CORRECTION_MARKER, "declined", "Accurate as written"
    )
    assert request["statementOfDisagreement"] == STATEMENT_MARKER and request["answerDueAt"]
    # The progress note and its addendum are the therapist's alone: nowhere in the client's archive.
    assert PRIVATE_MARKER not in _everything(archive)


def test_it_gives_a_therapist_every_signed_note_with_addenda_signatures_and_digests(
    dynamo: DynamoGateway, client: HttpClient
) -> None:
    world = client_world(entries=1)
    session_id = signed_record(world)
    log_in(client, world.therapist)

    archive = _download(client, THERAPIST_URL)

    [record] = json.loads(archive.read("signed_notes.json"))
    assert (record["sessionId"], record["clientName"]) == (session_id, "Casey Client")
    notes = {n["kind"]: n for n in record["notes"]}
    assert set(notes) == {"progress", "shared"}
    assert dict((s["section"], s["text"]) for s in notes["progress"]["sections"])["plan"] == f"{PRIVATE_MARKER} plan"
    for note in notes.values():
        assert note["signature"]["signerId"] == world.therapist.account_id and note["signature"]["signedAt"]
        assert len(note["signature"]["digestSha256"]) == 64 and note["altered"] is False
    assert [a["text"] for a in record["addenda"]] == [f"{PRIVATE_MARKER} later", "Shared addition"]
    assert all(a["signature"]["signatureLine"].startswith("Signed by Dr Tara on ") for a in record["addenda"])
    assert [r["statementOfDisagreement"] for r in record["correctionRequests"]] == [STATEMENT_MARKER]
    rows = list(csv.DictReader(io.StringIO(archive.read("signed_notes.csv").decode("utf-8-sig"))))
    assert sorted((r["record"], r["kind"]) for r in rows) == [
        ("addendum", "progress"), ("addendum", "shared"), ("note", "progress"), ("note", "shared"),
    ]
    assert {r["digestSha256"] for r in rows} == {n["signature"]["digestSha256"] for n in notes.values()} | {
        a["signature"]["digestSha256"] for a in record["addenda"]
    }
    assert all(r["signedBy"] == "Dr Tara" and r["signedAt"] and r["sessionId"] == session_id for r in rows)


def test_it_records_the_export_in_the_access_history(dynamo: DynamoGateway, client: HttpClient) -> None:
    world = client_world(entries=1)
    log_in(client, world.client)
    _download(client, CLIENT_URL)

    again = _download(client, CLIENT_URL)

    access = again.read("access_history.csv").decode("utf-8-sig")
    assert data_export.AUDIT_ACTION in access


def test_it_aborts_the_download_when_the_database_fails_half_way(
    dynamo: DynamoGateway, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = client_world(entries=5)
    log_in(client, world.client)
    monkeypatch.setattr(data_export, "EXPORT_PAGE_SIZE", 2)
    real_query = DynamoGateway.query
    journal_pages = []

    def failing_on_the_second_journal_page(self, table, *args, **kwargs):  # type: ignore[no-untyped-def]
        if table.name == "Journal":
            journal_pages.append(1)
            if len(journal_pages) == 2:
                raise DatabaseUnavailable("injected")
        return real_query(self, table, *args, **kwargs)

    monkeypatch.setattr(DynamoGateway, "query", failing_on_the_second_journal_page)
    response = client.post(CLIENT_URL)
    assert response.status_code == 200  # headers go out before the failure ...

    received = []
    with pytest.raises(DatabaseUnavailable):  # ... and the body is cut off: the server drops the connection
        for chunk in response.streaming_content:
            received.append(chunk)
    assert received, "the first page was already on its way"
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(b"".join(received)))


def test_it_shows_the_503_page_when_the_database_is_down_before_the_download_starts(
    dynamo: DynamoGateway, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = client_world(entries=1)
    log_in(client, world.client)
    from portal.dynamo.clients import ClientRepository

    # Only the export's own profile read fails: loading the signed-in user
    # (also a consistent read of Clients) happens before the view and succeeds.
    class FailingProfiles(ClientRepository):
        def get(self, client_id, *, consistent=False):  # type: ignore[no-untyped-def]
            raise DatabaseUnavailable("injected")

    monkeypatch.setattr(data_export, "ClientRepository", FailingProfiles)
    response = client.post(CLIENT_URL)
    assert response.status_code == 503


def test_it_offers_the_download_on_a_page_first(dynamo: DynamoGateway, client: HttpClient) -> None:
    log_in(client, make_account(AccountKind.CLIENT))
    response = client.get(CLIENT_URL)
    assert response.status_code == 200
    assert b"Download my data" in response.content and b"private notes are their own" in response.content


def test_it_sends_anonymous_visitors_to_log_in(dynamo: DynamoGateway, client: HttpClient) -> None:
    for url in (CLIENT_URL, THERAPIST_URL):
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("kind", "url"),
    [(AccountKind.THERAPIST, CLIENT_URL), (AccountKind.STAFF, CLIENT_URL), (AccountKind.CLIENT, THERAPIST_URL),
     (AccountKind.STAFF, THERAPIST_URL)],
)
def test_it_refuses_other_kinds_of_account(dynamo: DynamoGateway, client: HttpClient, kind, url) -> None:
    log_in(client, make_account(kind))
    assert client.post(url).status_code == 403


@pytest.mark.parametrize(
    "planted", ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_a_message_in_the_clients_archive_never_runs_as_a_formula(
    dynamo: DynamoGateway, client: HttpClient, planted: str
) -> None:
    # The other side's text lands in this person's file: it must open as text, not as a formula.
    client_user, therapist = make_active_pair()
    message_send(user=therapist, other_id=client_user.account_id, content=planted, idempotency_key=new_id())
    log_in(client, client_user)

    archive = _download(client, CLIENT_URL)

    [row] = csv.DictReader(io.StringIO(archive.read("messages.csv").decode("utf-8-sig")))
    assert row["content"] == "'" + planted
    # The JSON copy is data for programs, not spreadsheets: it keeps the text exactly.
    assert [m["content"] for m in json.loads(archive.read("messages.json"))] == [planted]


def test_a_note_in_the_therapists_signed_notes_csv_never_runs_as_a_formula(
    dynamo: DynamoGateway, client: HttpClient
) -> None:
    world = client_world(entries=1)
    session_id = signed_record(world)
    planted = '=HYPERLINK("https://evil.example","x")'
    clinical_notes.addendum_add(
        user=world.therapist, session_id=session_id, kind=NoteKind.SHARED, text=planted, reason="+1+1"
    )
    log_in(client, world.therapist)

    archive = _download(client, THERAPIST_URL)

    rows = list(csv.DictReader(io.StringIO(archive.read("signed_notes.csv").decode("utf-8-sig"))))
    [row] = [r for r in rows if r["text"].endswith(planted)]
    assert (row["text"], row["reason"]) == ("'" + planted, "'+1+1")
    assert planted in [a["text"] for a in json.loads(archive.read("signed_notes.json"))[0]["addenda"]]
