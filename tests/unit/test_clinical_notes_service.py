"""Clinical notes: templates, drafts under optimistic locking, sign and lock, addenda, corrections,
emails without health data, and what the client, staff and exports never see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.http import Http404

from portal.domain import AccountKind, Conflict, SessionStatus
from portal.dynamo.audit import AuditRepository
from portal.note_domain import CorrectionStatus, InvalidNote, NoteKind, NoteSigned, NoteTemplate
from portal.services import clinical_notes as notes
from portal.timeutil import utcnow
from tests.accounts import make_account
from tests.notes_data import SOAP, held
from tests.sessions_data import booked, care_pair

SECRET = "private-walrus-4410"


@pytest.fixture
def pair(dynamo):
    return care_pair()


def _save(pair, session, *, kind=NoteKind.PROGRESS, template="soap", sections=SOAP, version=0):
    return notes.note_save_draft(
        user=pair.therapist,
        session_id=session.session_id,
        kind=kind,
        template=template,
        sections=sections,
        version=version,
    )


def _sign(pair, session, *, kind=NoteKind.PROGRESS, template="soap", sections=SOAP, version=0):
    return notes.note_sign(
        user=pair.therapist,
        session_id=session.session_id,
        kind=kind,
        template=template,
        sections=sections,
        version=version,
    )


@pytest.mark.parametrize(
    ("template", "sections"),
    [
        ("simple", {"note": "One text"}),
        ("soap", SOAP),
        ("dap", {"data": "D", "assessment": "A", "plan": "P"}),
        ("birp", {"behavior": "B", "intervention": "I", "response": "R", "plan": "P"}),
    ],
)
def test_each_template_saves_its_sections_in_order(pair, template, sections):
    session = held(pair)

    _save(pair, session, template=template, sections={**sections, "unknown": "dropped"})

    page = notes.note_page(user=pair.therapist, session_id=session.session_id)
    assert page.progress.template is NoteTemplate(template)
    assert page.progress.sections == tuple(sections.items())


def test_a_first_note_uses_the_therapists_default_template(pair):
    session = held(pair)
    assert notes.note_page(user=pair.therapist, session_id=session.session_id).progress.template is NoteTemplate.SOAP

    notes.default_template_set(user=pair.therapist, template="birp")

    page = notes.note_page(user=pair.therapist, session_id=session.session_id)
    assert page.progress.template is NoteTemplate.BIRP
    assert [name for name, _ in page.progress.sections] == ["behavior", "intervention", "response", "plan"]
    with pytest.raises(InvalidNote):
        notes.default_template_set(user=pair.therapist, template="haiku")


def test_two_tabs_never_overwrite_each_other(pair):
    session = held(pair)
    first = _save(pair, session)
    _save(pair, session, sections={**SOAP, "plan": "Tab A"}, version=first.version)

    with pytest.raises(Conflict) as refused:
        _save(pair, session, sections={**SOAP, "plan": "Tab B"}, version=first.version)

    assert not isinstance(refused.value, NoteSigned)
    assert notes.note_page(user=pair.therapist, session_id=session.session_id).progress.text("plan") == "Tab A"


def test_notes_wait_for_the_session_to_take_place(pair):
    future = booked(pair)
    with pytest.raises(InvalidNote):
        _save(pair, future)


def test_signing_locks_the_note_and_is_audited_without_text(pair):
    session = held(pair)
    draft = _save(pair, session, sections={**SOAP, "plan": SECRET})

    signed = _sign(pair, session, sections={**SOAP, "plan": SECRET}, version=draft.version)

    assert signed.signature is not None and signed.signature.signer_id == pair.therapist.account_id
    with pytest.raises(NoteSigned):
        _save(pair, session, version=signed.version)
    with pytest.raises(NoteSigned):
        _sign(pair, session, version=signed.version)
    with pytest.raises(NoteSigned):
        notes.note_start_from_last(user=pair.therapist, session_id=session.session_id, version=signed.version)
    events = AuditRepository().list_for_subject(pair.client.account_id, action=notes.SIGNED).items
    assert [e.detail for e in events if e.action == notes.SIGNED] == [
        {"session": session.session_id, "note": "progress"}
    ]
    assert SECRET not in repr(events)
    assert notes.session_has_signed_note(session.session_id)
    with pytest.raises(NoteSigned):
        notes.check_session_may_change(session.session_id)


def test_an_empty_note_is_not_signed(pair):
    session = held(pair)
    with pytest.raises(InvalidNote):
        _sign(pair, session, sections={})


def test_start_from_my_last_note_copies_the_previous_sections(pair):
    earlier = held(pair, days_ago=8)
    _save(pair, earlier, template="dap", sections={"data": "Last week", "assessment": "A", "plan": "P"})
    session = held(pair, days_ago=1)

    draft = notes.note_start_from_last(user=pair.therapist, session_id=session.session_id, version=0)

    assert draft.template is NoteTemplate.DAP and draft.text("data") == "Last week" and draft.version == 1
    first = held(care_pair(), days_ago=1)
    other = care_pair()
    with pytest.raises(Http404):
        notes.note_start_from_last(user=other.therapist, session_id=first.session_id, version=0)


def test_addenda_need_a_signed_note_come_in_order_and_are_audited(pair):
    session = held(pair)
    draft = _save(pair, session)
    with pytest.raises(Conflict):
        notes.addendum_add(
            user=pair.therapist, session_id=session.session_id, kind=NoteKind.PROGRESS, text="x", reason="y"
        )
    _sign(pair, session, version=draft.version)

    for text in ("First", "Second"):
        notes.addendum_add(
            user=pair.therapist, session_id=session.session_id, kind=NoteKind.PROGRESS, text=text, reason="Late detail"
        )

    page = notes.note_page(user=pair.therapist, session_id=session.session_id)
    assert [(a.text, a.reason, a.author_id) for a in page.progress_addenda] == [
        ("First", "Late detail", pair.therapist.account_id),
        ("Second", "Late detail", pair.therapist.account_id),
    ]
    assert page.progress_addenda[0].created_at <= page.progress_addenda[1].created_at
    events = AuditRepository().list_for_subject(pair.client.account_id, action=notes.ADDENDUM).items
    assert [e.action for e in events].count(notes.ADDENDUM) == 2
    with pytest.raises(InvalidNote):
        notes.addendum_add(
            user=pair.therapist, session_id=session.session_id, kind=NoteKind.PROGRESS, text="x", reason=""
        )


def test_a_correction_request_full_cycle_accepted(pair, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    session = held(pair)
    _sign(pair, session, kind=NoteKind.SHARED, template="simple", sections={"note": "Shared words"})

    request = notes.correction_request(user=pair.client, session_id=session.session_id, text=f"Wrong date {SECRET}")

    assert request.due_at == request.requested_at + timedelta(days=60)
    (due,) = notes.corrections_due(user=pair.therapist)
    assert due.request_id == request.request_id
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [pair.therapist.email]
    assert SECRET not in mail.outbox[0].body and "Shared words" not in mail.outbox[0].body
    assert due.due_at.strftime("%Y-%m-%d") in mail.outbox[0].body
    assert "https://portal.example/therapist/notes/" in mail.outbox[0].body

    notes.addendum_add(
        user=pair.therapist,
        session_id=session.session_id,
        kind=NoteKind.SHARED,
        text="The date was the 3rd",
        reason="Client's correction",
        request_id=request.request_id,
    )

    assert notes.corrections_due(user=pair.therapist) == []
    view = notes.client_notes(user=pair.client, session_id=session.session_id)
    assert [a.text for a in view.shared_addenda] == ["The date was the 3rd"]
    assert view.shared_addenda[0].request_id == request.request_id
    assert [c.status for c in view.corrections] == [CorrectionStatus.ACCEPTED]
    assert len(mail.outbox) == 2 and mail.outbox[1].to == [pair.client.email]
    assert "3rd" not in mail.outbox[1].body
    actions = {e.action for e in AuditRepository().list_for_subject(pair.client.account_id).items}
    assert {notes.CORRECTION_REQUESTED, notes.CORRECTION_ACCEPTED} <= actions


def test_a_declined_correction_keeps_the_clients_statement(pair):
    session = held(pair)
    request = notes.correction_request(user=pair.client, session_id=session.session_id, text="Not what I said")

    notes.correction_decline(
        user=pair.therapist, session_id=session.session_id, request_id=request.request_id, reason="Accurate as written"
    )
    notes.correction_statement(
        user=pair.client, session_id=session.session_id, request_id=request.request_id, statement="I disagree"
    )

    (kept,) = notes.client_notes(user=pair.client, session_id=session.session_id).corrections
    assert (kept.status, kept.decline_reason, kept.statement) == (
        CorrectionStatus.DECLINED,
        "Accurate as written",
        "I disagree",
    )
    (seen,) = notes.note_page(user=pair.therapist, session_id=session.session_id).corrections
    assert seen.statement == "I disagree"
    assert [m.to for m in mail.outbox] == [[pair.therapist.email], [pair.client.email], [pair.therapist.email]]
    assert not any("I disagree" in m.body or "Not what I said" in m.body or "Accurate" in m.body for m in mail.outbox)
    with pytest.raises(Conflict):
        notes.correction_decline(
            user=pair.therapist, session_id=session.session_id, request_id=request.request_id, reason="again"
        )


def test_private_notes_never_reach_the_client_or_their_export(pair):
    session = held(pair)
    draft = _save(pair, session, sections={**SOAP, "plan": SECRET})
    _sign(pair, session, sections={**SOAP, "plan": SECRET}, version=draft.version)
    notes.addendum_add(
        user=pair.therapist, session_id=session.session_id, kind=NoteKind.PROGRESS, text=SECRET, reason="r"
    )
    shared_draft = _save(pair, session, kind=NoteKind.SHARED, template="simple", sections={"note": "Unsigned yet"})

    view = notes.client_notes(user=pair.client, session_id=session.session_id)
    exported = notes.client_notes_export(client_id=pair.client.account_id)

    assert view.shared is None and view.shared_addenda == []
    assert SECRET not in repr(view) and SECRET not in repr(exported) and "Unsigned yet" not in repr(exported)
    _sign(
        pair,
        session,
        kind=NoteKind.SHARED,
        template="simple",
        sections={"note": "Now signed"},
        version=shared_draft.version,
    )
    (row,) = notes.client_notes_export(client_id=pair.client.account_id)
    assert [n.kind for n in row.notes] == [NoteKind.SHARED] and SECRET not in repr(row)


def test_the_therapist_export_has_every_signed_note_with_addenda_and_digest(pair):
    signed_session, draft_session = held(pair, days_ago=3), held(pair, days_ago=2)
    _sign(pair, signed_session)
    notes.addendum_add(
        user=pair.therapist, session_id=signed_session.session_id, kind=NoteKind.PROGRESS, text="Add", reason="r"
    )
    _save(pair, draft_session)

    (row,) = notes.therapist_notes_export(therapist_id=pair.therapist.account_id)

    assert row.session.session_id == signed_session.session_id
    (note,) = row.notes
    assert note.signature is not None and len(note.signature.digest) == 64 and not note.altered
    assert [a.text for a in row.addenda] == ["Add"]


def test_notes_to_sign_lists_closed_sessions_older_than_72_hours_unsigned(pair):
    old_unsigned = held(pair, days_ago=5)
    old_signed = held(pair, days_ago=6)
    _sign(pair, old_signed)
    held(pair, days_ago=1)  # recent: still within its 72 hours
    held(pair, days_ago=7, status=SessionStatus.OPEN)  # not closed

    listed = notes.notes_to_sign(user=pair.therapist)

    assert [s.session_id for s in listed] == [old_unsigned.session_id]
    assert notes.notes_to_sign(user=pair.therapist, now=utcnow() + timedelta(days=10))


def test_others_reach_nothing(pair):
    session = held(pair)
    stranger = care_pair()
    staff = make_account(AccountKind.STAFF)
    for user in (stranger.therapist, pair.client, staff):
        with pytest.raises(Http404):
            notes.note_page(user=user, session_id=session.session_id)
        with pytest.raises(Http404):
            notes.note_save_draft(
                user=user,
                session_id=session.session_id,
                kind=NoteKind.PROGRESS,
                template="soap",
                sections=SOAP,
                version=0,
            )
    for user in (stranger.client, pair.therapist, staff):
        with pytest.raises(Http404):
            notes.correction_request(user=user, session_id=session.session_id, text="x")


def test_a_session_with_a_signed_note_cannot_be_moved_cancelled_or_reopened(pair):
    # Notes are written only on held sessions (open or closed), and the status rules let
    # those go nowhere but open -> closed: the write's own condition refuses the rest.
    from portal.domain import IllegalTransition
    from portal.services import sessions as session_service

    session = held(pair, status=SessionStatus.OPEN)
    _sign(pair, session)

    with pytest.raises(session_service.InvalidSession):
        session_service.session_reschedule(
            user=pair.therapist,
            session_id=session.session_id,
            scheduled_for=utcnow() + timedelta(days=2),
            duration_minutes=50,
            location="",
        )
    with pytest.raises(IllegalTransition):
        session_service.session_cancel(user=pair.therapist, session_id=session.session_id)
    closed = session_service.session_close(user=pair.therapist, session_id=session.session_id)
    with pytest.raises(IllegalTransition):
        session_service.session_open(user=pair.therapist, session_id=closed.session_id)
    assert notes.session_has_signed_note(session.session_id)


def test_the_home_lists_cost_the_same_at_any_size(pair):
    from portal.dynamo.call_counter import count_dynamodb_calls

    costs = []
    for size in (1, 8):
        for _ in range(size):
            held(pair, days_ago=5)
            notes.correction_request(user=pair.client, session_id=held(pair).session_id, text="x")
        with count_dynamodb_calls() as calls:
            notes.notes_to_sign(user=pair.therapist)
            notes.corrections_due(user=pair.therapist)
        costs.append(calls.by_operation())
    assert costs[0] == costs[1]
    assert costs[0]["Query"] == 2


def test_notes_kept_on_the_session_item_before_become_the_first_drafts(pair):
    from dataclasses import replace

    from portal.dynamo.sessions import SessionRepository

    session = held(pair)
    SessionRepository().update(
        replace(session, private_notes="Old private words", shared_notes="Old shared words"),
        expected_version=session.version,
    )

    page = notes.note_page(user=pair.therapist, session_id=session.session_id)

    assert (page.progress.template, page.progress.sections, page.progress.version) == (
        NoteTemplate.SIMPLE,
        (("note", "Old private words"),),
        0,
    )
    assert page.shared.text("note") == "Old shared words"
