"""TherapistRepository: Sign Up, Login by email (GSI_Therapists_ByEmail), Get, Search by specialization."""

from __future__ import annotations

from dataclasses import replace

import pytest

from portal.domain import AccountKind, EmailTaken, Therapist
from portal.dynamo.accounts import get_email_claim
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.clients import ClientRepository
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.therapists import TherapistRepository
from tests.factories import make_client, make_therapist


def _search_all(
    repo: TherapistRepository, specialization: str, limit: int
) -> list[list[Therapist]]:
    """Every page of a search, following cursors until there is none."""
    pages: list[list[Therapist]] = []
    cursor: str | None = None
    while True:
        page = repo.search_by_specialization(specialization, limit=limit, cursor=cursor)
        pages.append(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_it_signs_up_gets_and_finds_a_therapist_by_email(dynamo: DynamoGateway) -> None:
    repo = TherapistRepository()
    therapist = make_therapist(email="Dr.Who@Clinic.example ", specialization="grief")

    repo.sign_up(therapist)

    stored = repo.get(therapist.therapist_id)
    assert stored is not None
    assert stored.email == "dr.who@clinic.example"
    assert stored == replace(therapist, email="dr.who@clinic.example")
    with count_dynamodb_calls() as calls:
        assert repo.find_by_email("DR.WHO@clinic.example") == stored
    # The email index holds ids only: the account is then read by id.
    assert calls.by_operation() == {"Query": 1, "GetItem": 1}
    assert repo.find_by_email("dr.who@elsewhere.example") is None
    assert repo.get(make_therapist().therapist_id) is None


def test_it_searches_by_specialization_page_by_page(dynamo: DynamoGateway) -> None:
    repo = TherapistRepository()
    anxiety = {
        repo.sign_up(make_therapist(specialization="anxiety")).therapist_id for _ in range(5)
    }
    for _ in range(2):
        repo.sign_up(make_therapist(specialization="grief"))

    with count_dynamodb_calls() as calls:
        first = repo.search_by_specialization("anxiety", limit=2)
    assert calls.by_operation() == {"Query": 1}
    assert len(first.items) == 2 and first.next_cursor is not None

    pages = _search_all(repo, "anxiety", limit=2)
    found = [t.therapist_id for page in pages for t in page]
    assert all(len(page) <= 2 for page in pages)
    assert sorted(found) == sorted(anxiety)  # every one, once
    assert all(t.specialization == "anxiety" for page in pages for t in page)
    assert repo.search_by_specialization("couples").items == []


def test_it_refuses_a_therapist_with_a_clients_email(dynamo: DynamoGateway) -> None:
    client = make_client(email="shared@example.com")
    ClientRepository().sign_up(client)
    repo = TherapistRepository()

    for variant in ["shared@example.com", "  SHARED@example.COM "]:
        therapist = make_therapist(email=variant)
        with pytest.raises(EmailTaken):
            repo.sign_up(therapist)
        assert repo.get(therapist.therapist_id) is None
    assert repo.find_by_email("shared@example.com") is None
    claim = get_email_claim(dynamo, "shared@example.com")
    assert claim is not None and claim.account_kind is AccountKind.CLIENT


def test_it_refuses_a_client_with_a_therapists_email(dynamo: DynamoGateway) -> None:
    TherapistRepository().sign_up(make_therapist(email="doc@example.com"))
    client = make_client(email="Doc@Example.com")

    with pytest.raises(EmailTaken):
        ClientRepository().sign_up(client)
    assert ClientRepository().get(client.client_id) is None
