"""The gateway reads DynamoDB's typed values exactly as boto3's TypeDeserializer does, only faster."""

from __future__ import annotations

from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from portal.dynamo.gateway import deserialize_item

ITEM = {
    "text": "héllo <&>",
    "empty": "",
    "whole": 42,
    "fraction": Decimal("-3.14159265358979323846264338327950288"),
    "huge": Decimal("1E+125"),
    "yes": True,
    "no": False,
    "nothing": None,
    "words": {"a", "b"},
    "numbers": {Decimal("1"), Decimal("2.5")},
    "blob": Binary(b"\x00\x01"),
    "blobs": {Binary(b"x"), Binary(b"y")},
    "list": [1, "two", [3, {"four": None}], {"five"}],
    "map": {"nested": {"deeper": [True, Decimal("0.1")]}, "empty": {}},
}


def test_it_reads_every_type_as_boto3_does() -> None:
    raw = {k: TypeSerializer().serialize(v) for k, v in ITEM.items()}
    ours, theirs = deserialize_item(raw), {k: TypeDeserializer().deserialize(v) for k, v in raw.items()}
    assert ours == theirs
    for name in ITEM:
        assert type(ours[name]) is type(theirs[name]), name


@pytest.mark.parametrize("raw", [{}, {"X": "unknown"}])
def test_it_refuses_what_boto3_refuses(raw: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        deserialize_item({"value": raw})
