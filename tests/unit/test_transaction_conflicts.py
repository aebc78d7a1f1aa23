"""Races AWS answers with TransactionConflict: retried, then a clear Conflict, never a 500.

moto serialises requests, so the answers AWS gives when a write meets a
running transaction are raised from the client's own hooks
(tests/doubles/aws_errors.py): TransactionConflictException on PutItem,
UpdateItem and DeleteItem, transactions cancelled for TransactionConflict,
TransactionInProgressException and ItemCollectionSizeLimitExceededException.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient

from portal.accounts.user import User
from portal.domain import AccountKind, Conflict, DatabaseUnavailable, MappingStatus, Side
from portal.dynamo import gateway as gateway_module
from portal.dynamo.clients import ClientRepository
from portal.dynamo.gateway import DynamoGateway, TransactionCancelled
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.schema import MAPPINGS, RELATIONSHIPS
from portal.ids import new_id
from portal.services import messaging
from portal.services.message_notices import message_notices_send_due
from portal.services.relationships import relationship_request
from tests.accounts import log_in, make_account
from tests.doubles.aws_errors import aws_errors
from tests.messaging_data import make_active_pair
from tests.relationships import PORTAL_URL

CONFLICT = "TransactionConflictException"
CANCELLED = "TransactionCanceledException"
ATTEMPTS = gateway_module._CONFLICT_ATTEMPTS


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The jittered waits are real in production; here they would only slow the run."""
    monkeypatch.setattr(gateway_module.time, "sleep", lambda seconds: None)


def _on(table_name: str) -> Any:
    return lambda params: params.get("TableName") == table_name


# --- the gateway ------------------------------------------------------------------


def test_a_single_write_that_meets_a_transaction_is_sent_again_and_lands(dynamo: DynamoGateway) -> None:
    client_id, therapist_id = new_id(), new_id()
    with aws_errors(dynamo, "PutItem", CONFLICT, times=2) as errors:
        MappingRepository().put(client_id, therapist_id, MappingStatus.ACTIVE)
    assert errors.raised["PutItem"] == 2 and errors.calls["PutItem"] == 3
    assert MappingRepository().get(client_id, therapist_id) is not None


@pytest.mark.parametrize("operation", ["PutItem", "UpdateItem", "DeleteItem"])
def test_a_single_write_that_keeps_meeting_transactions_is_a_conflict(dynamo: DynamoGateway, operation: str) -> None:
    key = {"clientId": new_id(), "therapistId": new_id()}
    write = {
        "PutItem": lambda: dynamo.put(MAPPINGS, {**key, "status": "active"}),
        "UpdateItem": lambda: dynamo.update(MAPPINGS, key, set_values={"status": "active"}),
        "DeleteItem": lambda: dynamo.delete(MAPPINGS, key),
    }[operation]
    with aws_errors(dynamo, operation, CONFLICT) as errors, pytest.raises(Conflict) as raised:
        write()
    assert errors.calls[operation] == ATTEMPTS  # a few tries, not forever
    assert "at the same moment" in str(raised.value)
    assert dynamo.get(MAPPINGS, key) is None


def _pending_pair() -> tuple[User, User]:
    client = make_account(AccountKind.CLIENT, name="Casey Client")
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara Chen")
    relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
    mail.outbox.clear()
    return client, therapist


def test_a_transaction_cancelled_by_another_goes_again_under_a_new_token(dynamo: DynamoGateway) -> None:
    client, therapist = _pending_pair()
    repo = MappingRepository()
    mapping = repo.get(client.account_id, therapist.account_id)
    assert mapping is not None
    with aws_errors(dynamo, "TransactWriteItems", CANCELLED, times=1, reasons=["TransactionConflict", "None"]) as errors:
        repo.accept(mapping, at=mapping.updated_at + timedelta(minutes=1))
    tokens = [params["ClientRequestToken"] for params in errors.params]
    assert len(tokens) == 2 and tokens[0] != tokens[1]
    assert repo.get(client.account_id, therapist.account_id).status is MappingStatus.ACTIVE  # type: ignore[union-attr]


def test_a_transaction_that_stays_in_conflict_is_a_conflict_not_a_raw_cancellation(dynamo: DynamoGateway) -> None:
    client, therapist = _pending_pair()
    repo = MappingRepository()
    mapping = repo.get(client.account_id, therapist.account_id)
    assert mapping is not None
    with (
        aws_errors(dynamo, "TransactWriteItems", CANCELLED, reasons=["None", "TransactionConflict"]) as errors,
        pytest.raises(Conflict) as raised,
    ):
        repo.accept(mapping, at=mapping.updated_at + timedelta(minutes=1))
    assert errors.calls["TransactWriteItems"] == ATTEMPTS
    # Still a cancellation for the callers that read its reasons.
    assert isinstance(raised.value, TransactionCancelled) and raised.value.reasons == ["None", "TransactionConflict"]
    assert repo.get(client.account_id, therapist.account_id).status is MappingStatus.PENDING  # type: ignore[union-attr]


def test_a_condition_that_failed_is_still_the_callers_own_conflict(dynamo: DynamoGateway) -> None:
    client, therapist = _pending_pair()
    mapping = MappingRepository().get(client.account_id, therapist.account_id)
    assert mapping is not None
    reasons = ["ConditionalCheckFailed", "TransactionConflict"]
    with aws_errors(dynamo, "TransactWriteItems", CANCELLED, reasons=reasons) as errors, pytest.raises(Conflict) as raised:
        MappingRepository().accept(mapping, at=mapping.updated_at)
    assert errors.calls["TransactWriteItems"] == 1  # a failed condition is an answer: not sent again
    assert "changed meanwhile" in str(raised.value)


def test_a_transaction_still_in_progress_is_asked_again_with_the_same_token(dynamo: DynamoGateway) -> None:
    client, therapist = _pending_pair()
    repo = MappingRepository()
    mapping = repo.get(client.account_id, therapist.account_id)
    assert mapping is not None
    with aws_errors(dynamo, "TransactWriteItems", "TransactionInProgressException", times=2) as errors:
        repo.accept(mapping, at=mapping.updated_at + timedelta(minutes=1))
    # The same token: DynamoDB answers a copy of a running (or finished) transaction with its outcome.
    assert len({params["ClientRequestToken"] for params in errors.params}) == 1
    assert errors.calls["TransactWriteItems"] == 3
    assert repo.get(client.account_id, therapist.account_id).status is MappingStatus.ACTIVE  # type: ignore[union-attr]


def test_a_transaction_in_progress_through_every_retry_is_the_database_being_unavailable(dynamo: DynamoGateway) -> None:
    client, therapist = _pending_pair()
    mapping = MappingRepository().get(client.account_id, therapist.account_id)
    assert mapping is not None
    with (
        aws_errors(dynamo, "TransactWriteItems", "TransactionInProgressException"),
        pytest.raises(DatabaseUnavailable),
    ):
        MappingRepository().accept(mapping, at=mapping.updated_at + timedelta(minutes=1))


def test_a_full_item_collection_is_the_database_being_unavailable(dynamo: DynamoGateway) -> None:
    with aws_errors(dynamo, "PutItem", "ItemCollectionSizeLimitExceededException"), pytest.raises(DatabaseUnavailable):
        MappingRepository().put(new_id(), new_id(), MappingStatus.ACTIVE)
    client, therapist = _pending_pair()
    mapping = MappingRepository().get(client.account_id, therapist.account_id)
    assert mapping is not None
    reasons = ["None", "ItemCollectionSizeLimitExceeded"]
    with aws_errors(dynamo, "TransactWriteItems", CANCELLED, reasons=reasons), pytest.raises(DatabaseUnavailable):
        MappingRepository().accept(mapping, at=mapping.updated_at)


# --- where people met them ------------------------------------------------------------


def test_opening_a_thread_while_the_other_side_sends_shows_the_thread(dynamo: DynamoGateway) -> None:
    client, therapist = make_active_pair()
    messaging.message_send(user=therapist, other_id=client.account_id, content="Hello there", idempotency_key=new_id())
    http = HttpClient(raise_request_exception=False)
    log_in(http, client)
    records = dynamo.table_name(RELATIONSHIPS)
    with aws_errors(dynamo, "UpdateItem", CONFLICT, when=_on(records)) as errors:
        response = http.get(f"/messages/{therapist.account_id}/")
    assert response.status_code == 200 and "Hello there" in response.content.decode()
    assert errors.raised["UpdateItem"] == ATTEMPTS  # mark_thread_read met the send's transaction each time
    # Nothing was written: the message still counts as unread, for the next opening to clear.
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record is not None and record.unread_for(Side.CLIENT) == 1


def test_a_therapist_opening_shared_entries_while_the_record_is_busy_sees_the_page(dynamo: DynamoGateway) -> None:
    client, therapist = make_active_pair()
    http = HttpClient(raise_request_exception=False)
    log_in(http, therapist)
    records = dynamo.table_name(RELATIONSHIPS)
    with aws_errors(dynamo, "UpdateItem", CONFLICT, when=_on(records)) as errors:
        response = http.get(f"/therapist/clients/{client.account_id}/journal/")
    assert response.status_code == 200
    assert errors.raised["UpdateItem"] == ATTEMPTS  # note_therapist_visit met a transaction each time


def test_a_notice_claim_that_meets_a_transaction_leaves_the_rest_of_the_run_going(
    dynamo: DynamoGateway, settings: Any
) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example"
    first_client, first_therapist = make_active_pair()
    second_client, second_therapist = make_active_pair()
    sent = messaging.message_send(
        user=first_therapist, other_id=first_client.account_id, content="one", idempotency_key=new_id()
    )
    messaging.message_send(user=second_therapist, other_id=second_client.account_id, content="two", idempotency_key=new_id())
    mail.outbox.clear()
    now = sent.created_at + timedelta(minutes=6)
    records = dynamo.table_name(RELATIONSHIPS)

    def first_pair(params: dict[str, Any]) -> bool:
        return params.get("TableName") == records and params["Key"]["clientId"]["S"] == first_client.account_id

    with aws_errors(dynamo, "UpdateItem", CONFLICT, when=first_pair) as errors:
        assert message_notices_send_due(now=now) == 1
    assert errors.raised["UpdateItem"] == ATTEMPTS
    assert [m.to for m in mail.outbox] == [[second_client.email]]
    # The first pair's notice stayed due, and the next run sends it.
    assert message_notices_send_due(now=now + timedelta(minutes=1)) == 1
    assert [m.to for m in mail.outbox][1:] == [[first_client.email]]


@pytest.mark.parametrize("action", ["withdraw", "decline"])
def test_withdrawing_or_declining_while_the_other_side_accepts_says_so_without_a_500(
    dynamo: DynamoGateway, action: str
) -> None:
    client, therapist = _pending_pair()
    http = HttpClient(raise_request_exception=False)
    if action == "withdraw":
        log_in(http, client)
        url = f"/client/my-therapists/{therapist.account_id}/withdraw/"
    else:
        log_in(http, therapist)
        url = f"/therapist/clients/{client.account_id}/decline/"
    with aws_errors(dynamo, "TransactWriteItems", CANCELLED, reasons=["TransactionConflict"]) as errors:
        response = http.post(url, follow=True)
    assert errors.calls["TransactWriteItems"] == ATTEMPTS
    assert response.status_code == 200
    assert "changed meanwhile" in response.content.decode()
    assert MappingRepository().get(client.account_id, therapist.account_id) is not None


@pytest.mark.parametrize("htmx", [False, True])
def test_a_staff_action_that_meets_a_transaction_is_a_clear_409(dynamo: DynamoGateway, htmx: bool) -> None:
    target = make_account(AccountKind.CLIENT)
    http = HttpClient(raise_request_exception=False)
    log_in(http, make_account(AccountKind.STAFF, name="Sam Staff"))
    headers = {"HX-Request": "true"} if htmx else {}
    with aws_errors(dynamo, "TransactWriteItems", CANCELLED, reasons=["TransactionConflict", "None"]):
        response = http.post(
            f"/staff/accounts/client/{target.account_id}/deactivate/",
            {"reason": "Asked by the practice, ticket 7"},
            headers=headers,
        )
    assert response.status_code == 409
    body = response.content.decode()
    assert "at the same moment" in body
    # For htmx, a fragment to swap in (base.html swaps 409s); else the whole page.
    assert ("<html" in body) is not htmx
    # Alone, the fragment says it at once; in the page, the section around it does.
    assert ('<p class="nonfield" role="alert">' in body) is htmx
    account = ClientRepository().get(target.account_id, consistent=True)
    assert account is not None and not account.deactivated


def test_an_erasure_that_meets_a_transaction_is_a_conflict_and_nothing_is_erased(dynamo: DynamoGateway) -> None:
    from portal.dynamo.erasures import ErasureRepository

    target = make_account(AccountKind.CLIENT)
    client = ClientRepository().get(target.account_id, consistent=True)
    assert client is not None
    with (
        aws_errors(dynamo, "TransactWriteItems", CANCELLED, reasons=["None", "TransactionConflict", "None"]),
        pytest.raises(Conflict) as raised,
    ):
        ErasureRepository().start_client(client)
    assert "at the same moment" in str(raised.value)
    assert ClientRepository().get(target.account_id, consistent=True) is not None


def test_a_conflict_outside_any_view_is_the_409_page_too(rf: Any) -> None:
    from portal.views.errors import server_error

    request = rf.post("/anywhere/")
    try:
        raise Conflict("Someone else changed this at the same moment. Please try again.")
    except Conflict:
        response = server_error(request)
    assert response.status_code == 409 and "at the same moment" in response.content.decode()
