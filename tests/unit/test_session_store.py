"""The DynamoDB session engine against Django's session-store contract (on moto)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import import_module

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from portal.accounts.session_store import SessionStore, end_other_sessions
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import WEB_SESSIONS
from portal.dynamo.web_sessions import WebSessionRepository


def stored_item(dynamo: DynamoGateway, session_key: str) -> dict[str, object] | None:
    # What is really in the table, expired or not.
    return dynamo.get(WEB_SESSIONS, {"sessionKey": session_key}, consistent=True)


def saved_session(**data: object) -> SessionStore:
    store = SessionStore()
    store.update(data)
    store.save()
    return store


def test_it_round_trips_session_data(dynamo: DynamoGateway) -> None:
    store = saved_session(colour="green", numbers=[1, 2, 3])

    loaded = SessionStore(store.session_key)

    assert loaded["colour"] == "green"
    assert loaded["numbers"] == [1, 2, 3]
    assert loaded.session_key == store.session_key


def test_it_gives_a_new_stored_key_on_create(dynamo: DynamoGateway) -> None:
    first = SessionStore()
    first.create()
    second = SessionStore()
    second.create()

    assert first.session_key and second.session_key
    assert first.session_key != second.session_key
    # create() stores at once, so the key is taken before anyone else draws it.
    assert stored_item(dynamo, first.session_key) is not None
    assert first.exists(first.session_key)
    assert first.modified


def test_it_raises_create_error_on_must_create_over_an_existing_key(
    dynamo: DynamoGateway,
) -> None:
    existing = saved_session(owner="first")

    intruder = SessionStore(existing.session_key)
    intruder["owner"] = "second"
    with pytest.raises(CreateError):
        intruder.save(must_create=True)

    assert SessionStore(existing.session_key)["owner"] == "first"


def test_it_loads_a_deleted_session_empty_and_issues_a_new_key_on_save(
    dynamo: DynamoGateway,
) -> None:
    old = saved_session(step=1)
    old_key = old.session_key
    assert old_key is not None
    SessionStore().delete(old_key)

    revisited = SessionStore(old_key)
    assert revisited.load() == {}
    assert revisited.session_key is None
    revisited["step"] = 2
    revisited.save()

    assert revisited.session_key not in (None, old_key)
    assert stored_item(dynamo, old_key) is None
    assert SessionStore(revisited.session_key)["step"] == 2


def test_it_treats_a_session_with_a_past_expiry_as_absent(dynamo: DynamoGateway) -> None:
    store = SessionStore()
    store["visited"] = True
    store.set_expiry(datetime.now(UTC) - timedelta(minutes=1))
    store.save()
    assert store.session_key is not None
    # Still in the table (TTL lags), so only the expiry check hides it.
    assert stored_item(dynamo, store.session_key) is not None

    reloaded = SessionStore(store.session_key)

    assert reloaded.load() == {}
    assert reloaded.session_key is None


def test_it_expires_a_session_when_the_clock_passes_its_expiry(dynamo: DynamoGateway) -> None:
    now = [datetime.now(UTC)]
    clock: Callable[[], datetime] = lambda: now[0]  # noqa: E731
    store = SessionStore(repository=WebSessionRepository(clock=clock))
    store["visited"] = True
    store.set_expiry(300)
    store.save()
    key = store.session_key

    assert SessionStore(key, repository=WebSessionRepository(clock=clock))["visited"] is True
    now[0] += timedelta(seconds=301)
    later = SessionStore(key, repository=WebSessionRepository(clock=clock))
    assert later.get("visited") is None
    assert later.session_key is None


def test_it_stores_expiry_as_epoch_seconds_from_the_session_expiry(
    dynamo: DynamoGateway,
) -> None:
    store = SessionStore()
    store.set_expiry(3600)
    before = int(datetime.now(UTC).timestamp())
    store.save()

    item = stored_item(dynamo, store.session_key or "")
    assert item is not None
    # The TTL attribute: a number, an hour from now.
    assert before + 3600 - 1 <= int(item["expiresAt"]) <= before + 3600 + 2  # type: ignore[call-overload]


def test_it_keeps_the_data_under_a_new_key_on_cycle_key_and_deletes_the_old(
    dynamo: DynamoGateway,
) -> None:
    store = saved_session(cart="tea")
    old_key = store.session_key
    assert old_key is not None

    store.cycle_key()
    store.save()

    assert store.session_key not in (None, old_key)
    assert stored_item(dynamo, old_key) is None
    assert SessionStore(store.session_key)["cart"] == "tea"


def test_it_records_the_logged_in_account_and_forgets_it_on_logout(
    dynamo: DynamoGateway,
) -> None:
    store = saved_session(**{SESSION_KEY: "client:01JABC"})
    key = store.session_key
    assert key is not None
    item = stored_item(dynamo, key)
    assert item is not None and item["accountKey"] == "client:01JABC"

    # What logout does to the data before the session is saved again.
    store.clear()
    store.save()

    item = stored_item(dynamo, key)
    assert item is not None and "accountKey" not in item


def test_it_leaves_an_anonymous_session_without_an_account(dynamo: DynamoGateway) -> None:
    store = saved_session(theme="dark")

    item = stored_item(dynamo, store.session_key or "")

    assert item is not None and "accountKey" not in item


def test_it_ends_other_sessions_of_the_account_and_keeps_the_current_one(
    dynamo: DynamoGateway,
) -> None:
    current = saved_session(**{SESSION_KEY: "client:A"})
    phone = saved_session(**{SESSION_KEY: "client:A"})
    laptop = saved_session(**{SESSION_KEY: "client:A"})
    someone_else = saved_session(**{SESSION_KEY: "client:B"})

    ended = end_other_sessions("client:A", current.session_key)

    assert ended == 2
    assert SessionStore(current.session_key).get(SESSION_KEY) == "client:A"
    assert SessionStore(phone.session_key).get(SESSION_KEY) is None
    assert SessionStore(laptop.session_key).get(SESSION_KEY) is None
    assert SessionStore(someone_else.session_key).get(SESSION_KEY) == "client:B"


def test_it_ends_every_session_when_none_is_kept(dynamo: DynamoGateway) -> None:
    first = saved_session(**{SESSION_KEY: "therapist:T"})
    second = saved_session(**{SESSION_KEY: "therapist:T"})

    assert end_other_sessions("therapist:T", None) == 2
    assert stored_item(dynamo, first.session_key or "") is None
    assert stored_item(dynamo, second.session_key or "") is None


def test_it_refuses_to_resurrect_a_session_ended_during_the_request(
    dynamo: DynamoGateway,
) -> None:
    store = saved_session(**{SESSION_KEY: "client:A"})
    in_flight = SessionStore(store.session_key)
    in_flight["seen"] = True  # loaded while the session still existed
    end_other_sessions("client:A", None)  # e.g. a password change elsewhere

    with pytest.raises(UpdateError):
        in_flight.save()

    assert stored_item(dynamo, store.session_key or "") is None


def test_it_drops_the_key_of_tampered_session_data(dynamo: DynamoGateway) -> None:
    store = saved_session(**{SESSION_KEY: "client:A"})
    key = store.session_key or ""
    dynamo.update(WEB_SESSIONS, {"sessionKey": key}, set_values={"sessionData": "forged:data"})

    reloaded = SessionStore(key)

    assert reloaded.load() == {}
    assert reloaded.session_key is None


def test_it_signs_as_django_does_and_reads_data_signed_with_a_fallback_key(dynamo: DynamoGateway) -> None:
    with override_settings(SECRET_KEY="old-key-" + "x" * 50, SECRET_KEY_FALLBACKS=[]):
        store = saved_session(colour="green")
        key = store.session_key or ""
        signed = str((stored_item(dynamo, key) or {})["sessionData"])
        assert signing.loads(signed, salt=store.key_salt, serializer=store.serializer) == {"colour": "green"}
    with override_settings(SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=[]):
        # Rotated without keeping the old key: the session is no longer trusted.
        assert SessionStore(key).load() == {}
    with override_settings(SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=["old-key-" + "x" * 50]):
        assert SessionStore(key)["colour"] == "green"


def test_it_keeps_an_empty_but_genuine_session(dynamo: DynamoGateway) -> None:
    store = SessionStore()
    store.create()

    reloaded = SessionStore(store.session_key)

    # An empty dict that decodes is a real session, unlike tampered data.
    assert reloaded.load() == {}
    assert reloaded.session_key == store.session_key


def test_it_ignores_a_forged_cookie_key_without_asking_the_database(
    dynamo: DynamoGateway,
) -> None:
    # Longer than DynamoDB's key limit: sent as is it would be a ValidationException.
    store = SessionStore("a" * 5000)
    assert store.session_key is None
    assert SessionStore("NOT-OURS-!!").session_key is None

    store["x"] = 1
    store.save()
    assert store.session_key is not None and len(store.session_key) == 32


def test_it_leaves_expiry_to_dynamodb_ttl_on_clear_expired(dynamo: DynamoGateway) -> None:
    store = SessionStore()
    store.set_expiry(datetime.now(UTC) - timedelta(minutes=1))
    store.save()

    SessionStore.clear_expired()

    # A no-op: the expired item waits for TTL (and load() already ignores it).
    assert stored_item(dynamo, store.session_key or "") is not None


def test_it_never_logs_session_data(
    dynamo: DynamoGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = saved_session(note="SECRET-JOURNAL-TEXT", **{SESSION_KEY: "client:A"})
    key = store.session_key or ""
    SessionStore(key).load()
    dynamo.update(WEB_SESSIONS, {"sessionKey": key}, set_values={"sessionData": "x:SECRET-FORGED"})
    SessionStore(key).load()
    end_other_sessions("client:A", None)

    ours = [r for r in caplog.records if r.name.startswith(("portal", "django"))]
    assert ours, "expected at least the account-level log line"
    text = "\n".join(r.getMessage() for r in ours)
    assert "SECRET" not in text
    assert key not in text


def test_it_works_as_the_configured_session_engine(
    dynamo: DynamoGateway, settings: object, rf: RequestFactory
) -> None:
    settings.SESSION_ENGINE = "portal.accounts.session_store"  # type: ignore[attr-defined]

    def view(request: HttpRequest) -> HttpResponse:
        request.session["visits"] = request.session.get("visits", 0) + 1
        return HttpResponse(str(request.session["visits"]))

    middleware = SessionMiddleware(view)
    assert middleware.SessionStore is import_module("portal.accounts.session_store").SessionStore

    first = middleware(rf.get("/"))
    cookie = first.cookies[settings.SESSION_COOKIE_NAME].value  # type: ignore[attr-defined]
    second_request = rf.get("/")
    second_request.COOKIES[settings.SESSION_COOKIE_NAME] = cookie  # type: ignore[attr-defined]
    second = middleware(second_request)

    assert first.content == b"1"
    assert second.content == b"2"
    assert stored_item(dynamo, cookie) is not None


def test_it_interrupts_a_request_whose_session_was_ended_meanwhile(
    dynamo: DynamoGateway, settings: object, rf: RequestFactory
) -> None:
    settings.SESSION_ENGINE = "portal.accounts.session_store"  # type: ignore[attr-defined]
    existing = saved_session(**{SESSION_KEY: "client:A"})

    def view(request: HttpRequest) -> HttpResponse:
        request.session["touched"] = True
        # Another device changes the password while this request runs.
        end_other_sessions("client:A", None)
        return HttpResponse("ok")

    request = rf.get("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = existing.session_key  # type: ignore[attr-defined]

    with pytest.raises(SessionInterrupted):
        SessionMiddleware(view)(request)
    assert stored_item(dynamo, existing.session_key or "") is None


def test_it_stores_a_login_with_one_write_and_no_read_of_the_new_key(dynamo: DynamoGateway) -> None:
    from portal.dynamo.call_counter import count_dynamodb_calls

    store = saved_session(cart="tea")
    old_key = store.session_key
    assert old_key is not None

    with count_dynamodb_calls() as calls:
        # What django.contrib.auth.login does, then the request's save.
        store.cycle_key()
        store[SESSION_KEY] = "client:01JABC"
        store.save()

    # Drawing the key reads nothing (the conditional create refuses a taken key)
    # and the item is written once, with the logged-in data, not first with the old.
    assert calls.by_operation() == {"DeleteItem": 1, "PutItem": 1}
    assert stored_item(dynamo, old_key) is None
    item = stored_item(dynamo, store.session_key or "")
    assert item is not None and item["accountKey"] == "client:01JABC"


def test_it_redraws_a_cycled_key_that_is_taken_when_saving(
    dynamo: DynamoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = saved_session(owner="first")
    store = saved_session(owner="second")
    draws = iter([taken.session_key, "b" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(draws))

    store.cycle_key()
    store.save()

    assert store.session_key == "b" * 32
    assert SessionStore(taken.session_key)["owner"] == "first"
    assert SessionStore("b" * 32)["owner"] == "second"
