"""Key conditions written directly say what boto3's builder says; anything else is left to the builder."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, ConditionBase, DynamoDBNeedsKeyConditionError, Key

from portal.dynamo.gateway import _Expression


def _spelled_out(expression: str, names: dict[str, str], values: dict[str, Any]) -> str:
    """The expression with every placeholder replaced by what it stands for."""
    return re.sub(
        r"[#:][a-z]+\d+",
        lambda m: names[m[0]] if m[0].startswith("#") else json.dumps(values[m[0]], sort_keys=True),
        expression,
    )


def _by_builder(condition: ConditionBase) -> str:
    expr = _Expression()
    written = expr.condition(condition, is_key_condition=True)
    return _spelled_out(written, expr.names, expr.values)


CONDITIONS = [
    Key("clientId").eq("01ABC"),
    Key("clientId").eq("01ABC") & Key("timeOfEmotion").between("2026-10-27T00:00:00Z", "2026-11-26T23:59:59Z"),
    Key("pk").eq("therapist#1") & Key("sk").begins_with("session#2026"),
    Key("pk").eq("x") & Key("sk").lt("m"),
    Key("pk").eq("x") & Key("sk").lte("m"),
    Key("pk").eq("x") & Key("sk").gt("m"),
    Key("pk").eq("x") & Key("sk").gte("m"),
    Key("day").eq("2026-11-26") & Key("at").between(3, 7),
    Key("pk").eq(""),
]


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: str(c.get_expression()["format"]))
def test_it_writes_what_the_builder_writes(condition: ConditionBase) -> None:
    expr = _Expression()
    written = expr.key_condition(condition)
    assert all(name.startswith("#k") for name in expr.names) and all(v.startswith(":k") for v in expr.values)
    assert _spelled_out(written, expr.names, expr.values) == _by_builder(condition)
    # Every placeholder is used, as DynamoDB requires.
    assert set(re.findall(r"[#:]k\d+", written)) == set(expr.names) | set(expr.values)


def test_its_placeholders_never_meet_the_others_of_the_same_request() -> None:
    expr = _Expression()
    key = expr.key_condition(Key("pk").eq("a") & Key("sk").between("b", "c"))
    projection = [expr.name(a) for a in ("pk", "sk", "note")]
    filtered = expr.condition(Attr("deleted").not_exists() & Attr("feeling").eq("calm"))
    used = re.findall(r"[#:][a-z]+\d+", " ".join([key, *projection, filtered]))
    assert sorted(set(used)) == sorted(set(expr.names) | set(expr.values))
    assert len(expr.names) == 2 + 3 + 2 and len(expr.values) == 3 + 1


def test_a_document_path_is_left_to_the_builder() -> None:
    expr = _Expression()
    written = expr.key_condition(Key("a.b").eq("x"))
    assert not any(name.startswith("#k") for name in expr.names)
    assert _spelled_out(written, expr.names, expr.values) == 'a.b = {"S": "x"}'


def test_an_attribute_in_a_key_condition_is_refused_as_the_builder_refuses_it() -> None:
    with pytest.raises(DynamoDBNeedsKeyConditionError):
        _Expression().key_condition(Key("pk").eq("x") & Attr("sk").eq("y"))
