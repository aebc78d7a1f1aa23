"""Staff actions on an account: refused to others, done and audited for staff, a reason required."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client as HttpClient

from portal.domain import AccountKind, AuditCategory
from portal.dynamo.audit import AuditRepository
from portal.dynamo.clients import ClientRepository
from portal.dynamo.therapists import TherapistRepository
from portal.dynamo.web_sessions import WebSessionRepository
from tests.accounts import PASSWORD, log_in, make_account

REASON = "Asked by the practice manager, ticket 42"


def _action_url(user, action: str) -> str:  # type: ignore[no-untyped-def]
    return f"/staff/accounts/{user.kind}/{user.account_id}/{action}/"


def _staff(http: HttpClient):  # type: ignore[no-untyped-def]
    member = make_account(AccountKind.STAFF, name="Sam Staff")
    log_in(http, member)
    return member


def _last_staff_event(subject_id: str):  # type: ignore[no-untyped-def]
    events = AuditRepository().list_for_subject(subject_id, category=AuditCategory.STAFF).items
    return events[0] if events else None


def _prepare(action: str):  # type: ignore[no-untyped-def]
    """An account the action applies to."""
    if action == "reset-two-factor":
        return make_account(AccountKind.THERAPIST)
    if action == "resend-verification":
        return make_account(AccountKind.CLIENT, verified=False)
    if action in ("unlist", "list"):
        target = make_account(AccountKind.THERAPIST)
        if action == "list":
            from portal.services.staff_admin import therapist_set_listed

            therapist_set_listed(
                staff=make_account(AccountKind.STAFF), kind="therapist", account_id=target.account_id,
                listed=False, reason="setting up the test",
            )
        return target
    if action == "reactivate":
        target = make_account(AccountKind.CLIENT)
        from portal.services.staff_admin import account_deactivate

        account_deactivate(
            staff=make_account(AccountKind.STAFF), kind="client", account_id=target.account_id,
            reason="setting up the test",
        )
        return target
    return make_account(AccountKind.CLIENT)


def _state(target) -> dict[str, object]:  # type: ignore[no-untyped-def]
    account = (
        ClientRepository().get(target.account_id, consistent=True)
        if target.kind is AccountKind.CLIENT
        else TherapistRepository().get(target.account_id, consistent=True)
    )
    assert account is not None
    return {
        "deactivated": account.deactivated,
        "mfa": bool(account.mfa_secret),
        "listed": getattr(account, "listed", None),
        "version": account.account_version,
    }


ACTIONS = ["deactivate", "reactivate", "reset-two-factor", "resend-verification", "unlist", "list"]


@pytest.mark.parametrize("kind", [AccountKind.CLIENT, AccountKind.THERAPIST])
def test_it_refuses_each_action_to_anyone_but_staff(dynamo, client, kind):
    log_in(client, make_account(kind))
    for action in ACTIONS:
        target = _prepare(action)
        before = _state(target)
        response = client.post(_action_url(target, action), {"reason": REASON})
        assert response.status_code == 403, action
        assert _state(target) == before
        assert not any(e.detail.get("reason") == REASON for e in AuditRepository().list_for_subject(target.account_id).items)
        assert client.get(f"/staff/accounts/{target.kind}/{target.account_id}/").status_code == 403


def test_it_sends_an_anonymous_visitor_to_log_in(dynamo, client):
    for action in ACTIONS:
        target = _prepare(action)
        response = client.post(_action_url(target, action), {"reason": REASON})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert _last_staff_event(target.account_id) is None or action in ("list", "reactivate")


def test_it_requires_a_reason_for_every_action(dynamo, client):
    _staff(client)
    for action in ACTIONS:
        target = _prepare(action)
        before = _state(target)
        for reason in ("", "   ", "ok"):
            response = client.post(_action_url(target, action), {"reason": reason})
            assert response.status_code == 400, action
            body = response.content.decode()
            assert "at least" in body or "required" in body
        assert _state(target) == before


def test_it_deactivates_ends_sessions_refuses_login_and_says_so(dynamo, client):
    target = make_account(AccountKind.CLIENT)
    their_browser = HttpClient()
    assert their_browser.post("/accounts/login/", {"email": target.email, "password": PASSWORD}).status_code == 302
    assert their_browser.get("/client/").status_code == 200
    member = _staff(client)

    response = client.post(_action_url(target, "deactivate"), {"reason": REASON})

    assert response.status_code == 302
    assert _state(target)["deactivated"] is True
    assert _state(target)["version"] == 1
    assert WebSessionRepository().list_for_account(target.pk) == []
    assert their_browser.get("/client/").status_code == 302  # logged out
    refused = their_browser.post("/accounts/login/", {"email": target.email, "password": PASSWORD})
    assert refused.status_code == 403
    assert "deactivated" in refused.content.decode()
    # A wrong password learns nothing about the account's state.
    wrong = HttpClient().post("/accounts/login/", {"email": target.email, "password": "not it"})
    assert "deactivated" not in wrong.content.decode()
    event = _last_staff_event(target.account_id)
    assert event is not None
    assert event.action == "staff.account.deactivate"
    assert event.actor_kind is AccountKind.STAFF and event.actor_id == member.account_id
    assert event.detail["reason"] == REASON


def test_it_reactivates_and_the_owner_logs_in_again(dynamo, client):
    target = _prepare("reactivate")
    _staff(client)
    assert client.post(_action_url(target, "reactivate"), {"reason": REASON}).status_code == 302
    assert _state(target)["deactivated"] is False
    assert _state(target)["version"] == 2
    assert HttpClient().post("/accounts/login/", {"email": target.email, "password": PASSWORD}).status_code == 302
    assert _last_staff_event(target.account_id).action == "staff.account.reactivate"


def test_it_resets_two_factor_and_the_therapist_enrolls_at_the_next_login(dynamo, client):
    target = make_account(AccountKind.THERAPIST)
    _staff(client)
    assert client.post(_action_url(target, "reset-two-factor"), {"reason": REASON}).status_code == 302
    assert _state(target)["mfa"] is False
    assert _state(target)["version"] == 1
    assert _last_staff_event(target.account_id).action == "staff.account.mfa_reset"
    their_browser = HttpClient()
    response = their_browser.post("/accounts/login/", {"email": target.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/setup/"


def test_it_resends_the_verification_email(dynamo, client):
    target = make_account(AccountKind.CLIENT, verified=False)
    _staff(client)
    assert client.post(_action_url(target, "resend-verification"), {"reason": REASON}).status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [target.email]
    assert "/accounts/verify/" in mail.outbox[0].body
    assert _last_staff_event(target.account_id).action == "staff.account.verification_resend"


def test_it_unlists_and_lists_a_therapist(dynamo, client):
    target = make_account(AccountKind.THERAPIST)
    _staff(client)
    assert client.post(_action_url(target, "unlist"), {"reason": REASON}).status_code == 302
    assert _state(target)["listed"] is False
    assert _last_staff_event(target.account_id).action == "staff.therapist.unlist"
    assert client.post(_action_url(target, "list"), {"reason": REASON}).status_code == 302
    assert _state(target)["listed"] is True
    assert _last_staff_event(target.account_id).action == "staff.therapist.list"


def test_it_explains_an_action_that_does_not_apply(dynamo, client):
    target = make_account(AccountKind.CLIENT)
    _staff(client)
    response = client.post(_action_url(target, "reactivate"), {"reason": REASON}, follow=True)
    assert "This account is active." in response.content.decode()
    assert _last_staff_event(target.account_id) is None


def test_it_answers_404_for_an_unknown_or_malformed_account(dynamo, client):
    _staff(client)
    assert client.post("/staff/accounts/client/01ARZ3NDEKTSV4RRFFQ69G5FAV/deactivate/", {"reason": REASON}).status_code == 404
    assert client.post("/staff/accounts/client/nonsense/deactivate/", {"reason": REASON}).status_code == 404
    assert client.post("/staff/accounts/staff/01ARZ3NDEKTSV4RRFFQ69G5FAV/deactivate/", {"reason": REASON}).status_code == 404
    target = make_account(AccountKind.CLIENT)
    assert client.post(_action_url(target, "explode"), {"reason": REASON}).status_code == 404
    assert client.get(f"/staff/accounts/client/{'x' * 3000}/").status_code == 404
