"""MeasureRepository: assignments, results (encrypted), reminders and alerts under the client's partition."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from portal.domain import AccountKind, AuditCategory, NotFound
from portal.domain_measures import MeasureAlert, MeasureAssignment, MeasureKind, MeasureResult, Schedule
from portal.dynamo import schema
from portal.dynamo.audit import AuditRepository, new_audit_event
from portal.dynamo.call_counter import count_dynamodb_calls
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.measures import MeasureRepository, new_assignment_changes
from portal.ids import new_id

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _assignment(client_id: str, therapist_id: str, **overrides: object) -> MeasureAssignment:
    values: dict[str, object] = {
        "client_id": client_id,
        "therapist_id": therapist_id,
        "measure": MeasureKind.PHQ9,
        "schedule": Schedule.EVERY_2_WEEKS,
        "anchor_at": START,
        "time_zone": "Europe/Paris",
        "assigned_at": START,
        "remind_at": START + timedelta(days=2),
        "reminder_window": START,
    }
    values.update(overrides)
    return MeasureAssignment(**values)  # type: ignore[arg-type]


def _result(assignment: MeasureAssignment, answers: tuple[int, ...], **overrides: object) -> MeasureResult:
    values: dict[str, object] = {
        "client_id": assignment.client_id,
        "measure": assignment.measure,
        "result_id": new_id(),
        "submitted_at": START + timedelta(hours=1),
        "therapist_id": assignment.therapist_id,
        "answers": answers,
        "total": sum(answers),
        "difficulty": 1,
    }
    values.update(overrides)
    return MeasureResult(**values)  # type: ignore[arg-type]


def _submit(repo: MeasureRepository, result: MeasureResult, *, alert: bool = False, key: str | None = None):  # type: ignore[no-untyped-def]
    return repo.submit_once(
        result,
        idempotency_key=key or new_id(),
        assignment_changes=new_assignment_changes(last_done_at=result.submitted_at, remind_at=None, window=None),
        alert=MeasureAlert(result.client_id, result.result_id, result.therapist_id, result.submitted_at)
        if alert
        else None,
    )


def test_it_lists_a_clients_assignments_in_one_query_and_stops_one(dynamo: DynamoGateway) -> None:
    repo = MeasureRepository()
    client_id, therapist_id = new_id(), new_id()
    phq = repo.put_assignment(_assignment(client_id, therapist_id))
    gad = repo.put_assignment(
        _assignment(client_id, therapist_id, measure=MeasureKind.GAD7, remind_at=None, reminder_window=None)
    )
    repo.put_assignment(_assignment(new_id(), therapist_id))  # someone else's

    with count_dynamodb_calls() as calls:
        listed = repo.list_assignments(client_id)

    assert calls.by_operation() == {"Query": 1}
    assert sorted(listed, key=lambda a: a.measure) == sorted([phq, gad], key=lambda a: a.measure)
    assert repo.delete_assignment(client_id, MeasureKind.GAD7, therapist_id) is True
    assert repo.delete_assignment(client_id, MeasureKind.GAD7, therapist_id) is False
    assert repo.list_assignments(client_id) == [phq]


def test_it_stores_a_result_once_encrypted_and_lists_them_by_time(dynamo: DynamoGateway) -> None:
    repo = MeasureRepository()
    assignment = repo.put_assignment(_assignment(new_id(), new_id()))
    first = _result(assignment, (3, 3, 2, 2, 1, 1, 0, 0, 0))
    stored, created = _submit(repo, first, key="k" * 20)
    again, created_again = _submit(repo, replace(first, result_id=new_id()), key="k" * 20)
    second = _result(assignment, (0,) * 9)
    _submit(repo, second)

    assert created and not created_again and again == stored == first
    assert repo.list_results(assignment.client_id, MeasureKind.PHQ9) == [first, second]
    assert repo.list_results(assignment.client_id, MeasureKind.GAD7) == []
    assert repo.get_result(assignment.client_id, MeasureKind.PHQ9, first.result_id) == first
    raw = dynamo.client.get_item(
        TableName=dynamo.table_name(schema.MEASURES),
        Key={"clientId": {"S": assignment.client_id}, "measureKey": {"S": f"RESULT#PHQ9#{first.result_id}"}},
    )["Item"]
    assert raw["answers"]["S"].startswith("e1:")
    # Neither the total nor the answers are readable in the stored item (ciphertext may hold any digits).
    answers = list(first.answers)
    assert "total" not in raw
    assert all(repr(answers) not in str(v) and str(answers).replace(" ", "") not in str(v) for v in raw.values())
    # The submission moved the assignment on and out of the reminders index.
    updated = repo.get_assignment(assignment.client_id, MeasureKind.PHQ9, assignment.therapist_id)
    assert updated is not None and updated.last_done_at == second.submitted_at and updated.remind_at is None


def test_it_refuses_a_result_for_a_stopped_assignment(dynamo: DynamoGateway) -> None:
    repo = MeasureRepository()
    assignment = _assignment(new_id(), new_id())  # never stored
    with pytest.raises(NotFound):
        _submit(repo, _result(assignment, (0,) * 9))
    assert repo.list_results(assignment.client_id, MeasureKind.PHQ9) == []


def test_it_finds_due_reminders_in_one_query_and_claims_each_once(dynamo: DynamoGateway) -> None:
    repo = MeasureRepository()
    due = repo.put_assignment(_assignment(new_id(), new_id()))
    repo.put_assignment(_assignment(new_id(), new_id(), remind_at=START + timedelta(days=9)))  # not yet
    repo.put_assignment(_assignment(new_id(), new_id(), remind_at=None))  # nothing to remind

    with count_dynamodb_calls() as calls:
        found = repo.reminders_due(START + timedelta(days=3))

    assert calls.by_operation() == {"Query": 1}
    assert [a.client_id for a in found] == [due.client_id]
    assert repo.claim_reminder(found[0], next_remind_at=None, next_window=None) is True
    assert repo.claim_reminder(found[0], next_remind_at=None, next_window=None) is False
    assert repo.reminders_due(START + timedelta(days=3)) == []
    repo.unclaim_reminder(found[0])
    assert [a.client_id for a in repo.reminders_due(START + timedelta(days=3))] == [due.client_id]


def test_it_keeps_an_alert_open_until_its_therapist_acknowledges_it_with_an_audited_note(
    dynamo: DynamoGateway,
) -> None:
    repo = MeasureRepository()
    assignment = repo.put_assignment(_assignment(new_id(), new_id()))
    result = _result(assignment, (0,) * 8 + (2,))
    _submit(repo, result, alert=True)

    assert [a.result_id for a in repo.open_alerts_for_therapist(assignment.therapist_id)] == [result.result_id]
    assert repo.claim_alert_email(assignment.client_id, result.result_id, START) is True
    assert repo.claim_alert_email(assignment.client_id, result.result_id, START) is False

    def audit(actor: str):  # type: ignore[no-untyped-def]
        return new_audit_event(
            subject_id=assignment.client_id,
            action="care.measure_alert.acknowledged",
            actor_kind=AccountKind.THERAPIST,
            actor_id=actor,
        )

    with pytest.raises(NotFound):  # someone else's alert
        repo.acknowledge_alert(
            client_id=assignment.client_id,
            result_id=result.result_id,
            therapist_id=new_id(),
            at=START,
            note="x",
            audit=audit(new_id()),
        )
    acknowledged = repo.acknowledge_alert(
        client_id=assignment.client_id,
        result_id=result.result_id,
        therapist_id=assignment.therapist_id,
        at=START + timedelta(hours=2),
        note="Called the client; safety plan agreed.",
        audit=audit(assignment.therapist_id),
    )

    assert acknowledged.acknowledged_at == START + timedelta(hours=2) and not acknowledged.open
    assert repo.open_alerts_for_therapist(assignment.therapist_id) == []
    assert repo.list_alerts(assignment.client_id) == [acknowledged]
    assert repo.alert_note(assignment.client_id, result.result_id) == "Called the client; safety plan agreed."
    events = AuditRepository().list_for_subject(assignment.client_id, category=AuditCategory.CARE).items
    assert [e.action for e in events] == ["care.measure_alert.acknowledged"]
    assert "safety plan" not in str(events[0].detail)
    with pytest.raises(NotFound):  # once only
        repo.acknowledge_alert(
            client_id=assignment.client_id,
            result_id=result.result_id,
            therapist_id=assignment.therapist_id,
            at=START,
            note="again",
            audit=audit(assignment.therapist_id),
        )


def test_it_erases_everything_of_a_client_and_no_one_else(dynamo: DynamoGateway) -> None:
    repo = MeasureRepository()
    assignment = repo.put_assignment(_assignment(new_id(), new_id()))
    other = repo.put_assignment(_assignment(new_id(), new_id()))
    _submit(repo, _result(assignment, (0,) * 8 + (1,)), alert=True)
    _submit(repo, _result(other, (0,) * 9))

    assert repo.delete_all_for_client(assignment.client_id) == 3
    assert repo.list_assignments(assignment.client_id) == []
    assert repo.list_results(assignment.client_id, MeasureKind.PHQ9) == []
    assert repo.list_alerts(assignment.client_id) == []
    assert len(repo.list_results(other.client_id, MeasureKind.PHQ9)) == 1
    assert repo.delete_all_for_client(assignment.client_id) == 0


def test_it_shows_the_latest_results_and_reads_the_first_only_when_it_is_not_among_them(dynamo: DynamoGateway) -> None:
    repo = MeasureRepository()
    assignment = repo.put_assignment(_assignment(new_id(), new_id()))
    results = [_result(assignment, (n,) + (0,) * 8) for n in range(3)]
    for result in results:
        _submit(repo, result)

    with count_dynamodb_calls() as calls:
        shown, first = repo.recent_results(assignment.client_id, MeasureKind.PHQ9, limit=3)
    assert (shown, first) == (results, None) and calls.by_operation()["Query"] == 1

    with count_dynamodb_calls() as calls:
        shown, first = repo.recent_results(assignment.client_id, MeasureKind.PHQ9, limit=2)
    assert (shown, first) == (results[1:], results[0]) and calls.by_operation()["Query"] == 2
