"""StaffRepository: staff accounts share the one-email-one-account rule with clients and therapists."""

from __future__ import annotations

import pytest

from portal.domain import AccountKind, Conflict, EmailTaken
from portal.dynamo.accounts import get_email_claim
from portal.dynamo.clients import ClientRepository
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.staff import StaffRepository
from portal.dynamo.therapists import TherapistRepository
from tests.factories import make_client, make_staff, make_therapist


def test_it_creates_gets_finds_and_updates_a_staff_member(dynamo: DynamoGateway) -> None:
    repo = StaffRepository()
    member = make_staff(email="admin@example.com")

    repo.create(member)

    assert repo.get(member.staff_id) == member
    assert repo.find_by_email(" Admin@EXAMPLE.com") == member
    assert repo.find_by_email("other@example.com") is None
    updated = repo.update_fields(member.staff_id, mfaSecret="JBSWY3DPEHPK3PXP")
    assert updated.mfa_secret == "JBSWY3DPEHPK3PXP"
    assert repo.get(member.staff_id) == updated
    with pytest.raises(Conflict):
        repo.update_fields(make_staff().staff_id, name="Ghost")


def test_it_keeps_one_account_per_email_across_all_three_kinds(dynamo: DynamoGateway) -> None:
    staff = StaffRepository()
    clients = ClientRepository()
    therapists = TherapistRepository()
    staff.create(make_staff(email="boss@example.com"))
    clients.sign_up(make_client(email="patient@example.com"))
    therapists.sign_up(make_therapist(email="healer@example.com"))

    with pytest.raises(EmailTaken):
        clients.sign_up(make_client(email="BOSS@example.com"))
    with pytest.raises(EmailTaken):
        therapists.sign_up(make_therapist(email=" boss@example.com"))
    for email in ["Patient@example.com", "healer@EXAMPLE.com "]:
        member = make_staff(email=email)
        with pytest.raises(EmailTaken):
            staff.create(member)
        assert staff.get(member.staff_id) is None

    claim = get_email_claim(dynamo, "boss@example.com")
    assert claim is not None and claim.account_kind is AccountKind.STAFF
    assert clients.find_by_email("boss@example.com") is None
    assert therapists.find_by_email("boss@example.com") is None
