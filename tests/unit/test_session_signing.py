"""Session data signed with the key made once: Django's format and checks, both ways, for every key."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.serializers import JSONSerializer
from django.core import signing
from django.test import override_settings

from portal.accounts import session_signing
from portal.accounts.session_store import SessionStore

SALT = SessionStore().key_salt
SMALL = {"_auth_user_id": "client:01KQ", "n": 1}
# Long and repetitive: signing.dumps compresses it (the "." form).
LARGE = {"_account": {"readers": [["01KQ", "A therapist with a long name"]] * 40}}


def _django_dumps(obj: object) -> str:
    return signing.dumps(obj, salt=SALT, serializer=JSONSerializer, compress=True)


@pytest.mark.parametrize("obj", [SMALL, LARGE, {}])
def test_it_reads_what_django_signs_and_django_reads_what_it_signs(obj: dict[str, object]) -> None:
    ours = session_signing.dumps(obj, salt=SALT, serializer=JSONSerializer)
    assert signing.loads(ours, salt=SALT, serializer=JSONSerializer) == obj
    assert session_signing.loads(_django_dumps(obj), salt=SALT, serializer=JSONSerializer) == obj
    # Same payload and signature as Django's (the timestamp may differ by a second).
    assert ours.split(":")[0] == _django_dumps(obj).split(":")[0]
    assert LARGE is not obj or ours.startswith(".")


def test_its_signatures_are_djangos_for_any_value_and_salt() -> None:
    for salt in (SALT, "another.salt"):
        django_signer = signing.TimestampSigner(salt=salt)
        ours = session_signing._current_signer(salt)
        for value in ("", "a", "é:x", "x" * 500):
            assert ours.signature(value) == django_signer.signature(value)


@pytest.mark.parametrize(
    "change",
    [
        lambda signed: signed[:-1] + ("A" if signed[-1] != "A" else "B"),  # the signature
        lambda signed: ("f" if signed[0] != "f" else "g") + signed[1:],  # the payload
        lambda signed: signed.rpartition(":")[0],  # no signature
        lambda signed: "",
    ],
)
def test_it_refuses_what_was_changed(change) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(signing.BadSignature):
        session_signing.loads(change(_django_dumps(SMALL)), salt=SALT, serializer=JSONSerializer)


def test_it_refuses_another_salts_data() -> None:
    signed = signing.dumps(SMALL, salt="another.salt", serializer=JSONSerializer, compress=True)
    with pytest.raises(signing.BadSignature):
        session_signing.loads(signed, salt=SALT, serializer=JSONSerializer)


def test_a_new_key_is_used_at_once_and_the_old_one_only_as_a_fallback() -> None:
    with override_settings(SECRET_KEY="old-key-" + "x" * 50, SECRET_KEY_FALLBACKS=[]):
        old = session_signing.dumps(SMALL, salt=SALT, serializer=JSONSerializer)
        assert session_signing.loads(old, salt=SALT, serializer=JSONSerializer) == SMALL
    with override_settings(SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=[]):
        with pytest.raises(signing.BadSignature):
            session_signing.loads(old, salt=SALT, serializer=JSONSerializer)
        new = session_signing.dumps(SMALL, salt=SALT, serializer=JSONSerializer)
        assert signing.loads(new, salt=SALT, serializer=JSONSerializer) == SMALL
    with override_settings(SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=["old-key-" + "x" * 50]):
        assert session_signing.loads(old, salt=SALT, serializer=JSONSerializer) == SMALL


def test_the_key_is_made_once_not_for_every_session_read(monkeypatch: pytest.MonkeyPatch) -> None:
    signed = _django_dumps(SMALL)
    session_signing.loads(signed, salt=SALT, serializer=JSONSerializer)
    made: list[object] = []
    real = session_signing.salted_hmac

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(session_signing, "salted_hmac", counted)
    for _ in range(20):
        assert session_signing.loads(signed, salt=SALT, serializer=JSONSerializer) == SMALL
    assert made == []


def test_data_already_checked_is_not_checked_again_and_each_read_is_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = {"_account": {"readers": [["01KQ", "Ash"]]}, "n": 7}
    signed = session_signing.dumps(data, salt=SALT, serializer=JSONSerializer)
    checks: list[str] = []
    real = session_signing._KeyedSigner.signature

    def counted(self: Any, value: Any, key: Any = None) -> str:
        checks.append(value)
        return str(real(self, value, key))

    monkeypatch.setattr(session_signing._KeyedSigner, "signature", counted)
    first = session_signing.loads(signed, salt=SALT, serializer=JSONSerializer)
    assert len(checks) == 1
    # A request changing its session (even deep inside it) changes nothing the next one reads.
    first["n"] = 8
    first["_account"]["readers"].append(["01KR", "Rowan"])
    second = session_signing.loads(signed, salt=SALT, serializer=JSONSerializer)
    assert second == {"_account": {"readers": [["01KQ", "Ash"]]}, "n": 7} == data
    assert len(checks) == 1
    # Anything else is checked as before.
    with pytest.raises(signing.BadSignature):
        session_signing.loads(signed[:-2] + "AA", salt=SALT, serializer=JSONSerializer)
    assert len(checks) == 2


def test_data_checked_under_a_key_since_withdrawn_is_refused() -> None:
    old_key, new_key = "old-key-" + "x" * 50, "new-key-" + "y" * 50
    with override_settings(SECRET_KEY=old_key, SECRET_KEY_FALLBACKS=[]):
        signed = session_signing.dumps(SMALL, salt=SALT, serializer=JSONSerializer)
        assert session_signing.loads(signed, salt=SALT, serializer=JSONSerializer) == SMALL
    with override_settings(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[old_key]):
        assert session_signing.loads(signed, salt=SALT, serializer=JSONSerializer) == SMALL
    with override_settings(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[]), pytest.raises(signing.BadSignature):
        session_signing.loads(signed, salt=SALT, serializer=JSONSerializer)
