"""ErasureRepository: the starting transaction, the sparse index of running erasures, batched deletes."""

from __future__ import annotations

import pytest

from portal.domain import Conflict
from portal.dynamo.accounts import get_email_claim
from portal.dynamo.clients import ClientRepository
from portal.dynamo.erasures import ErasureRepository
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.journal import JournalRepository
from tests.factories import make_client, make_entry


def test_it_starts_by_deleting_the_account_and_its_email_claim_at_once(dynamo: DynamoGateway) -> None:
    client = ClientRepository().sign_up(make_client())
    erasures = ErasureRepository()

    job = erasures.start_client(client)

    assert job.account_id == client.client_id and not job.finished
    assert ClientRepository().get(client.client_id, consistent=True) is None
    assert get_email_claim(dynamo, client.email) is None
    with pytest.raises(Conflict):
        erasures.start_client(client)  # a second start (a double click) changes nothing


def test_it_lists_running_erasures_until_they_finish(dynamo: DynamoGateway) -> None:
    erasures = ErasureRepository()
    clients = [ClientRepository().sign_up(make_client()) for _ in range(3)]
    for client in clients:
        erasures.start_client(client)
    erasures.mark_step_done(clients[0].client_id, "data_key")
    erasures.mark_step_done(clients[0].client_id, "data_key")  # recording a step twice is harmless
    erasures.mark_step_done(clients[0].client_id, "journal")
    erasures.finish(clients[1].client_id)

    running = {job.account_id for job in erasures.list_unfinished().items}

    assert running == {clients[0].client_id, clients[2].client_id}
    first = erasures.get(clients[0].client_id)
    assert first is not None and first.steps_done == {"data_key", "journal"}
    finished = erasures.get(clients[1].client_id)
    assert finished is not None and finished.finished


def test_it_deletes_a_journal_a_page_at_a_time(dynamo: DynamoGateway) -> None:
    journal = JournalRepository()
    client_id = "C-erase"
    entries = [journal.add(make_entry(client_id=client_id, note="")) for _ in range(130)]
    kept = journal.add(make_entry(note=""))  # another client's
    erasures = ErasureRepository()

    assert erasures.delete_journal_page(client_id) == 100
    assert erasures.delete_journal_page(client_id) == 30
    assert erasures.delete_journal_page(client_id) == 0

    assert journal.get(client_id, entries[0].entry_id) is None
    assert journal.get(kept.client_id, kept.entry_id) is not None
