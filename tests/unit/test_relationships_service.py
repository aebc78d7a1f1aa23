"""The care relationship's rules: who may do what, in which state, with audit and notices."""

from __future__ import annotations

import pytest
from django.core import mail
from django.http import Http404

from portal.domain import AccountKind, Conflict, IllegalTransition, MappingStatus, Side
from portal.domain_measures import MeasureKind, Schedule
from portal.dynamo.audit import AuditRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.measures import MeasureRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.therapists import TherapistRepository
from portal.policy import NotAllowed, active_mapping_for_therapist
from portal.services import measures
from portal.services import relationships as service
from portal.services.accounts import own_settings_save
from portal.services.journal import journal_entry_create, journal_entry_set_shared, shared_entries_for_therapist
from portal.timeutil import utcnow
from tests.accounts import make_account
from tests.relationships import PORTAL_URL, connect


@pytest.fixture
def people(dynamo):
    client = make_account(AccountKind.CLIENT, name="Casey Client")
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara")
    return client, therapist


def _mapping(client, therapist):
    return MappingRepository().get(client.account_id, therapist.account_id)


def _actions(client):
    return sorted(e.action for e in AuditRepository().list_for_subject(client.account_id).items)


def _request(client, therapist):
    return service.relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)


def test_it_stores_a_request_once_however_often_it_is_sent_and_tells_the_therapist_once(people):
    client, therapist = people
    first = _request(client, therapist)
    again = _request(client, therapist)

    assert again == first
    stored = _mapping(client, therapist)
    assert (stored.status, stored.requested_by, stored.client_name, stored.therapist_name) == (
        MappingStatus.PENDING,
        Side.CLIENT,
        "Casey Client",
        "Dr Tara",
    )
    assert _actions(client) == [service.REQUESTED]
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [therapist.email]
    assert PORTAL_URL in notice.body
    # No names, nothing about the client: a link to log in.
    assert "Casey" not in notice.body + notice.subject


def test_it_sends_at_most_one_notice_of_a_kind_per_relationship_in_15_minutes(dynamo, people):
    client, therapist = people
    _request(client, therapist)
    service.relationship_withdraw(user=client, other_id=therapist.account_id)
    _request(client, therapist)
    assert len(mail.outbox) == 1

    # A notice of another kind is never held back by the request's: the client hears of the acceptance at once.
    service.relationship_accept(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)
    assert [m.to for m in mail.outbox] == [[therapist.email], [client.email]]
    assert "accepted" in mail.outbox[1].body


def test_a_declined_request_is_told_at_once_and_nothing_goes_to_who_turned_emails_off(dynamo, people):
    client, therapist = people
    _request(client, therapist)
    service.relationship_decline(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)
    assert [m.to for m in mail.outbox] == [[therapist.email], [client.email]]
    assert "declined" in mail.outbox[1].body

    own_settings_save(user=therapist, time_zone="UTC", optional_emails=False)
    _request(client, therapist)
    assert len(mail.outbox) == 2


def test_it_refuses_requests_to_therapists_who_are_not_listed_or_not_accepting(dynamo):
    client = make_account(AccountKind.CLIENT)
    unverified = make_account(AccountKind.THERAPIST, verified=False)
    no_two_factor = make_account(AccountKind.THERAPIST, mfa_secret="")
    full = make_account(AccountKind.THERAPIST)
    TherapistRepository().update_fields(full.account_id, acceptingClients=False)
    unlisted = make_account(AccountKind.THERAPIST)
    TherapistRepository().set_listed(unlisted.account_id, listed=False)

    for therapist in (unverified, no_two_factor, full, unlisted):
        with pytest.raises(service.NotAvailable):
            _request(client, therapist)
        assert _mapping(client, therapist) is None


def test_it_asks_a_client_to_confirm_their_email_before_asking(dynamo):
    client = make_account(AccountKind.CLIENT, verified=False)
    therapist = make_account(AccountKind.THERAPIST)
    with pytest.raises(NotAllowed):
        _request(client, therapist)
    assert _mapping(client, therapist) is None


def test_it_lets_only_the_side_that_was_asked_answer_and_only_the_side_that_asked_withdraw(people):
    client, therapist = people
    _request(client, therapist)

    with pytest.raises(IllegalTransition):
        service.relationship_accept(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)
    with pytest.raises(IllegalTransition):
        service.relationship_withdraw(user=therapist, other_id=client.account_id)
    with pytest.raises(IllegalTransition):
        service.relationship_end(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)

    service.relationship_decline(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)
    assert _mapping(client, therapist) is None
    # Declined is not blocked: the client may ask again.
    _request(client, therapist)
    assert _mapping(client, therapist).status is MappingStatus.PENDING
    assert _actions(client) == sorted([service.REQUESTED, service.DECLINED, service.REQUESTED])


def test_it_invites_by_email_and_says_nothing_about_addresses_without_an_account(people):
    client, therapist = people
    assert service.relationship_invite(user=therapist, email="nobody@example.com", portal_url=PORTAL_URL) is None
    assert service.relationship_invite(user=therapist, email=client.email.upper(), portal_url=PORTAL_URL) is None

    stored = _mapping(client, therapist)
    assert (stored.status, stored.requested_by, stored.client_name, stored.therapist_name) == (
        MappingStatus.PENDING,
        Side.THERAPIST,
        "Casey Client",
        "Dr Tara",
    )
    assert [m.to for m in mail.outbox] == [[client.email]]
    # The client asking now is told to answer the invitation instead.
    with pytest.raises(service.AlreadyInvited):
        _request(client, therapist)
    service.relationship_accept(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)
    assert _mapping(client, therapist).status is MappingStatus.ACTIVE


def test_it_keeps_a_blocked_client_out_without_saying_blocked(people):
    client, therapist = people
    _request(client, therapist)
    service.relationship_block(user=therapist, client_id=client.account_id)

    with pytest.raises(service.NotAvailable) as refused:
        _request(client, therapist)
    assert "blocked" not in str(refused.value).lower()
    # The client cannot lift it by withdrawing; only the therapist unblocks (the item goes).
    with pytest.raises(IllegalTransition):
        service.relationship_withdraw(user=client, other_id=therapist.account_id)
    with pytest.raises(Http404):
        service.relationship_block(user=client, client_id=client.account_id)
    service.relationship_unblock(user=therapist, client_id=client.account_id)
    assert _mapping(client, therapist) is None
    assert service.BLOCKED in _actions(client) and service.UNBLOCKED in _actions(client)


def test_it_never_opens_the_journal_to_a_pending_or_blocked_therapist_and_closes_it_at_once_on_end(people):
    client, therapist = people
    entry = journal_entry_create(client_id=client.account_id, time_of_emotion=utcnow(), feeling="calm", intensity=3)
    journal_entry_set_shared(user=client, entry_id=entry.entry_id, shared=True)

    _request(client, therapist)
    with pytest.raises(Http404):
        shared_entries_for_therapist(user=therapist, client_id=client.account_id)
    service.relationship_block(user=therapist, client_id=client.account_id)
    with pytest.raises(Http404):
        active_mapping_for_therapist(therapist, client.account_id)
    service.relationship_unblock(user=therapist, client_id=client.account_id)

    connect(client, therapist)
    assert [e.entry_id for e in shared_entries_for_therapist(user=therapist, client_id=client.account_id).items] == [
        entry.entry_id
    ]
    service.relationship_end(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)
    with pytest.raises(Http404):
        shared_entries_for_therapist(user=therapist, client_id=client.account_id)
    record = RelationshipRepository().get(client.account_id, therapist.account_id)
    assert record.ended_by is Side.CLIENT and record.therapist_name == "Dr Tara"


def test_it_lets_either_side_end_and_only_once(people):
    client, therapist = people
    connect(client, therapist)
    service.relationship_end(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)
    assert _mapping(client, therapist) is None
    with pytest.raises(Http404):
        service.relationship_end(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)
    assert _actions(client).count(service.ENDED) == 1


def _assign_both(client, therapist):
    for kind in (MeasureKind.PHQ9, MeasureKind.GAD7):
        measures.measure_assign(user=therapist, client_id=client.account_id, measure=kind, schedule=Schedule.EVERY_WEEK)


@pytest.mark.parametrize("how", ["end by client", "end by therapist", "block"])
def test_the_therapists_questionnaires_stop_when_the_care_ends(people, how):
    client, therapist = people
    other = make_account(AccountKind.THERAPIST, name="Dr Other")
    connect(client, therapist)
    connect(client, other)
    _assign_both(client, therapist)
    _assign_both(client, other)
    assert len(measures.measures_due_for_client(client.account_id)) == 4

    if how == "block":
        service.relationship_block(user=therapist, client_id=client.account_id)
    elif how == "end by client":
        service.relationship_end(user=client, other_id=therapist.account_id, portal_url=PORTAL_URL)
    else:
        service.relationship_end(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)

    # The other therapist's stay; nothing is due or reminded for the pair that ended.
    assert {a.therapist_id for a in MeasureRepository().list_assignments(client.account_id)} == {other.account_id}
    assert {d.therapist_id for d in measures.measures_due_for_client(client.account_id)} == {other.account_id}


def test_it_refuses_staff_on_either_side(dynamo):
    staff = make_account(AccountKind.STAFF)
    therapist = make_account(AccountKind.THERAPIST)
    client = make_account(AccountKind.CLIENT)
    with pytest.raises(Http404):
        service.relationship_request(user=staff, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
    with pytest.raises(Http404):
        service.relationship_invite(user=staff, email=client.email, portal_url=PORTAL_URL)
    with pytest.raises(Http404):
        service.relationship_accept(user=staff, other_id=client.account_id, portal_url=PORTAL_URL)


def test_it_reports_a_lost_race_as_a_conflict(people, monkeypatch):
    client, therapist = people
    _request(client, therapist)
    # The client withdraws between the therapist's read and write.
    real_accept = MappingRepository.accept

    def withdraw_first(self, mapping, *, at):
        MappingRepository().delete(client.account_id, therapist.account_id)
        return real_accept(self, mapping, at=at)

    monkeypatch.setattr(MappingRepository, "accept", withdraw_first)
    with pytest.raises(Conflict):
        service.relationship_accept(user=therapist, other_id=client.account_id, portal_url=PORTAL_URL)
    assert _mapping(client, therapist) is None
    assert service.ACCEPTED not in _actions(client)


def test_it_takes_a_retried_block_or_unblock_that_already_landed_as_done(people, monkeypatch):
    client, therapist = people
    _request(client, therapist)
    real_block, real_delete_if = MappingRepository.block, MappingRepository.delete_if

    def block_twice(self, mapping, *, at):
        # The first attempt lands but its answer is lost; the retry finds its own write.
        real_block(self, mapping, at=at)
        real_block(self, mapping, at=at)

    monkeypatch.setattr(MappingRepository, "block", block_twice)
    service.relationship_block(user=therapist, client_id=client.account_id)
    assert _mapping(client, therapist).status is MappingStatus.BLOCKED

    def delete_twice(self, client_id, therapist_id, **condition):
        real_delete_if(self, client_id, therapist_id, **condition)
        return real_delete_if(self, client_id, therapist_id, **condition)

    monkeypatch.setattr(MappingRepository, "delete_if", delete_twice)
    service.relationship_unblock(user=therapist, client_id=client.account_id)
    assert _mapping(client, therapist) is None
    assert _actions(client) == sorted([service.REQUESTED, service.BLOCKED, service.UNBLOCKED])
