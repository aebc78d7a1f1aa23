"""The floor of a page: what any view must spend to serve it, whatever the code around it.

A bare view, served by the same gunicorn under the same settings and
middleware, that replays the page's own DynamoDB requests (captured in-process
by bench/pages.py with the call-counting hook, saved to the file named by
BENCH_FLOOR_CALLS) with the raw boto3 client, and renders a plain template
with one row per item read. A page's time over its floor's is the cost of the
product's own Python: session and user handling, services, forms, templates.
"""

from __future__ import annotations

import os
import pickle
from functools import cache
from typing import Any

from botocore.exceptions import ClientError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from portal.dynamo.connection import get_gateway

CALLS_ENV = "BENCH_FLOOR_CALLS"
# (client method name, request parameters) in the order the page made them.
Calls = list[tuple[str, dict[str, Any]]]


@cache
def floor_calls() -> dict[str, Calls]:
    # A file this bench wrote itself moments before starting gunicorn.
    with open(os.environ[CALLS_ENV], "rb") as saved:
        calls: dict[str, Calls] = pickle.load(saved)  # noqa: S301
    return calls


def _scalar(value: dict[str, Any]) -> Any:
    return next(iter(value.values()), "")


def _rows(response: dict[str, Any]) -> list[list[Any]]:
    items: list[dict[str, Any]] = []
    if "Item" in response:
        items.append(response["Item"])
    items.extend(response.get("Items", []))
    for table_items in response.get("Responses", {}).values():
        items.extend(table_items)
    return [[_scalar(v) for v in item.values()][:6] for item in items]


def floor(request: HttpRequest, name: str) -> HttpResponse:
    calls = floor_calls().get(name)
    if calls is None:
        raise Http404(name)
    client = get_gateway().client
    rows: list[list[Any]] = []
    for method, params in calls:
        try:
            rows.extend(_rows(getattr(client, method)(**params)))
        except ClientError:
            # A replayed conditional write may be refused; its round trip still counts.
            continue
    return render(request, "bench/floor.html", {"name": name, "rows": rows})
