"""is_valid_id accepts exactly what python-ulid would parse, and refuses the rest without decoding it."""

from __future__ import annotations

import random

import pytest
from ulid import ULID

from portal.ids import is_valid_id, new_id


def _ulid_parses(value: str) -> bool:
    try:
        ULID.from_str(value)
    except ValueError:
        return False
    return len(value) == 26


def test_new_ids_are_valid_in_either_case() -> None:
    value = new_id()
    assert is_valid_id(value)
    assert is_valid_id(value.lower())


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0" * 25,
        "0" * 27,
        "8" + "0" * 25,  # would overflow 128 bits
        "Z" * 26,
        "0" * 25 + "I",  # not in Crockford's alphabet
        "0" * 25 + "L",
        "0" * 25 + "O",
        "0" * 25 + "U",
        "0" * 25 + "\n",
        "0" * 24 + "٣" + "0",  # a digit, but not an ASCII one
        " " + "0" * 25,
    ],
)
def test_refuses_what_is_not_a_ulid(value: str) -> None:
    assert not is_valid_id(value)


def test_agrees_with_python_ulid_on_random_text() -> None:
    rng = random.Random(7)
    # Crockford's base32 in both cases, and the letters and signs it leaves out.
    crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    alphabet = crockford + crockford.lower() + "ILOUilou-:"
    accepted = 0
    for _ in range(20_000):
        # Mostly 26 characters, as an id from a URL would be.
        length = 26 if rng.random() < 0.9 else rng.randint(0, 30)
        first = rng.choice("0123456789")
        value = (first + "".join(rng.choice(alphabet) for _ in range(length - 1)))[:length]
        assert is_valid_id(value) is _ulid_parses(value), value
        accepted += is_valid_id(value)
    assert accepted > 100  # both answers were put to the test
    for _ in range(2_000):
        value = str(ULID())
        assert is_valid_id(value) and _ulid_parses(value)
