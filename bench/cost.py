"""`make cost`: what one active client and their therapist cost in DynamoDB for a month.

A scripted month of typical use runs in process on moto, through the product's
services (the writes) and its pages (Django's test client, as a browser would
ask): two journal entries a day (one in three shared), eight messages a week
each way with each side opening the conversation to read them, four weekly
sessions the therapist books, opens, writes notes for and closes, the due
notices and reminders sent, and the pages each side opens (homes, journal,
chart, the therapist's view of the client, agendas, session pages, threads).

Every DynamoDB request is metered as AWS bills it in on-demand mode, from the
items' sizes (DynamoDB's item size: attribute names plus values):

* reads: one read request unit (RRU) per 4 KB of item read, strongly
  consistent; half that eventually consistent; twice that in a transaction.
  A Query or Scan pays for every item it evaluates, before any filter and
  whatever the projection expression keeps, summed and rounded up once; a
  GetItem or each key of a BatchGetItem is rounded up on its own, and a
  missing item still costs the minimum.
* writes: one write request unit (WRU) per 1 KB of the larger of the item
  before and after the write, twice that in a transaction, and for every
  index the item enters, leaves or changes in: the size of its projected
  copy (a changed index key is a delete and a put). A write whose condition
  fails pays for the item as it is, without index writes.

Units are counted per table and index; the month is priced at the rates
below, as cost per active client-month and per 1,000 page views (the page
views' own units priced alone). The scheduler's idle runs (every minute,
whoever is active) are priced apart: they are per deployment, not per client;
what a due notice then costs (the accounts read, the marks written) is the
client's.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import math
import os
import re
import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portal.accounts.user import User
    from portal.dynamo.schema import Index, Table

# DynamoDB on-demand, us-east-1, Standard table class, as listed on
# https://aws.amazon.com/dynamodb/pricing/on-demand/ (rates since the price cut of 1 November 2024).
USD_PER_MILLION_WRU = 0.625
USD_PER_MILLION_RRU = 0.125
PRICE_SOURCE = "https://aws.amazon.com/dynamodb/pricing/on-demand/ (us-east-1, Standard table class)"

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
SCHEDULER_RUNS_PER_MONTH = 30 * 24 * 60  # send_due_notices once a minute

_PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")


# --- item sizes --------------------------------------------------------------------


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0").split("e")[0].split("E")[0]
    return (len(digits) + 1) // 2 + 1


def value_size(value: Mapping[str, Any]) -> int:
    """DynamoDB's size of one AttributeValue (low-level form)."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(_number_size(n) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def projected(table: Table, index: Index, item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The copy of ``item`` the index holds, or None when the item is not in it (sparse)."""
    if not item or any(part.attribute not in item for part in index.keys):
        return None
    if index.projection == "ALL":
        return dict(item)
    keep = {p.attribute for p in table.keys + index.keys}
    if index.projection == "INCLUDE":
        keep |= set(index.include)
    return {name: value for name, value in item.items() if name in keep}


def _units(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


# --- the meter ---------------------------------------------------------------------


@dataclass
class Usage:
    rru_strong: float = 0.0
    rru_eventual: float = 0.0
    wru: float = 0.0

    def add(self, other: Usage) -> None:
        self.rru_strong += other.rru_strong
        self.rru_eventual += other.rru_eventual
        self.wru += other.wru

    @property
    def rru(self) -> float:
        return self.rru_strong + self.rru_eventual

    @property
    def usd(self) -> float:
        return (self.rru * USD_PER_MILLION_RRU + self.wru * USD_PER_MILLION_WRU) / 1_000_000


@dataclass
class Meter:
    """Billed request units per "<table>" or "<table>/<index>", from botocore's events."""

    raw: Any  # a client without the meter's hooks, to look at items before and after a write
    tables: dict[str, Table]
    usage: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    pages: Usage = field(default_factory=Usage)
    page_views: int = 0
    in_page: bool = False
    # The scheduler's Queries of the due-notice indexes run every minute whoever is active:
    # they are the deployment's cost (priced apart), not this client's.
    in_scheduler: bool = False
    scheduler_queries: Usage = field(default_factory=Usage)
    _pending: list[tuple[str, dict[str, Any], Any]] = field(default_factory=list)

    def _charge(self, resource: str, *, strong: float = 0.0, eventual: float = 0.0, write: float = 0.0) -> None:
        delta = Usage(strong, eventual, write)
        self.usage[resource].add(delta)
        if self.in_page:
            self.pages.add(delta)

    def _read(self, resource: str, units: float, consistent: bool, factor: float = 1.0) -> None:
        if consistent:
            self._charge(resource, strong=units * factor)
        else:
            self._charge(resource, eventual=units * factor / 2)

    def _table(self, name: str) -> Table:
        return self.tables[name]

    def _key(self, table: Table, item: Mapping[str, Any]) -> dict[str, Any]:
        return {p.attribute: item[p.attribute] for p in table.keys}

    def _get(self, name: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.raw.get_item(TableName=name, Key=key, ConsistentRead=True).get("Item")
        return found

    # before the call: remember each written item as it was
    def before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        operation = model.name
        writes: list[tuple[str, dict[str, Any], str]] = []
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            table = self._table(params["TableName"])
            key = self._key(table, params["Item"]) if operation == "PutItem" else params["Key"]
            writes.append((params["TableName"], key, operation))
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                (kind, body), *_ = entry.items()
                table = self._table(body["TableName"])
                key = self._key(table, body["Item"]) if kind == "Put" else body["Key"]
                writes.append((body["TableName"], key, kind))
        elif operation == "BatchWriteItem":
            for name, requests in params["RequestItems"].items():
                table = self._table(name)
                for request in requests:
                    if "PutRequest" in request:
                        writes.append((name, self._key(table, request["PutRequest"]["Item"]), "Put"))
                    else:
                        writes.append((name, request["DeleteRequest"]["Key"], "Delete"))
        self._pending = [(name, key, self._get(name, key)) for name, key, _kind in writes]

    # after the call: bill what it read, or what it wrote (before and after)
    def after(self, parsed: dict[str, Any], model: Any, params: dict[str, Any] | None = None, **_: Any) -> None:
        operation = model.name
        failed = "Error" in parsed
        pending, self._pending = self._pending, []
        if operation in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"):
            factor = 2.0 if operation == "TransactWriteItems" else 1.0
            for name, key, old in pending:
                new = old if failed else self._get(name, key)
                self._bill_write(name, old, new, factor, index_writes=not failed)
            return
        if params is None:
            return
        if operation == "GetItem":
            item = self._get(params["TableName"], params["Key"])
            units = _units(item_size(item), READ_UNIT_BYTES)
            self._read(params["TableName"], units, bool(params.get("ConsistentRead")))
        elif operation == "BatchGetItem":
            for name, request in params["RequestItems"].items():
                for key in request["Keys"]:
                    units = _units(item_size(self._get(name, key)), READ_UNIT_BYTES)
                    self._read(name, units, bool(request.get("ConsistentRead")))
        elif operation == "TransactGetItems":
            for entry in params["TransactItems"]:
                body = entry["Get"]
                units = _units(item_size(self._get(body["TableName"], body["Key"])), READ_UNIT_BYTES)
                self._read(body["TableName"], units, True, factor=2.0)
        elif operation in ("Query", "Scan") and not failed:
            if self.in_scheduler:
                usage, self.usage = self.usage, defaultdict(Usage)
                try:
                    self._bill_query(operation, params)
                finally:
                    for part in self.usage.values():
                        self.scheduler_queries.add(part)
                    self.usage = usage
            else:
                self._bill_query(operation, params)

    def _bill_write(
        self, name: str, old: dict[str, Any] | None, new: dict[str, Any] | None, factor: float, *, index_writes: bool
    ) -> None:
        table = self._table(name)
        size = max(item_size(old), item_size(new))
        self._charge(name, write=_units(size, WRITE_UNIT_BYTES) * factor)
        if not index_writes:
            return
        for index in table.global_indexes + table.local_indexes:
            before, after = projected(table, index, old), projected(table, index, new)
            resource = f"{name}/{index.name}"
            if before is None and after is None:
                continue
            if before is None or after is None:
                self._charge(resource, write=_units(item_size(before or after), WRITE_UNIT_BYTES))
                continue
            same_key = all(before[p.attribute] == after[p.attribute] for p in index.keys)
            if not same_key:
                units = _units(item_size(before), WRITE_UNIT_BYTES) + _units(item_size(after), WRITE_UNIT_BYTES)
                self._charge(resource, write=units)
            elif before != after:
                self._charge(resource, write=_units(max(item_size(before), item_size(after)), WRITE_UNIT_BYTES))

    def _bill_query(self, operation: str, params: dict[str, Any]) -> None:
        """A Query or Scan pays for what it evaluated: ask again without the filter and projection."""
        name = params["TableName"]
        table = self._table(name)
        index_name = params.get("IndexName")
        request = {
            k: v
            for k, v in params.items()
            if k
            not in (
                "FilterExpression",
                "ProjectionExpression",
                "Select",
                "ExpressionAttributeNames",
                "ExpressionAttributeValues",
                "ReturnConsumedCapacity",
            )
        }
        used = set(_PLACEHOLDER.findall(params.get("KeyConditionExpression", "")))
        names = {k: v for k, v in params.get("ExpressionAttributeNames", {}).items() if k in used}
        values = {k: v for k, v in params.get("ExpressionAttributeValues", {}).items() if k in used}
        if names:
            request["ExpressionAttributeNames"] = names
        if values:
            request["ExpressionAttributeValues"] = values
        items = getattr(self.raw, operation.lower())(**request).get("Items", [])
        index = table.index(index_name) if index_name else None
        size = sum(item_size(projected(table, index, item) if index else item) for item in items)
        resource = f"{name}/{index_name}" if index_name else name
        self._read(resource, _units(size, READ_UNIT_BYTES), bool(params.get("ConsistentRead")))


# --- the month ---------------------------------------------------------------------

PRIVATE_NOTES = (
    "Presenting: sleep onset delayed by rumination about work; reports two panic episodes this week, both on "
    "the commute. Explored the thought chain before the second one (catastrophic prediction about a meeting). "
    "Practised paced breathing in session; client rated distress 7 -> 4. Discussed graded exposure to the busy "
    "train: starting with one stop off-peak. Mood steadier than last month per the journal; appetite normal. "
) * 4
SHARED_NOTES = (
    "This week: one stop on the train off-peak, twice, with the breathing we practised. Write down the thought "
    "that comes just before the worry, and how strong it was (0-10). Keep the journal going; it helps us see the "
    "pattern. Next time we will look at the work meeting together."
)
JOURNAL_NOTES = (
    "Slept badly, then a long walk helped.",
    "Argument at work; I noticed my shoulders tense before I noticed I was angry.",
    "Called my sister. We laughed about the old flat and the broken boiler.",
    "Tried the breathing exercise before the meeting. It took the edge off, though I still rushed my words.",
)
FEELINGS = ("calm", "anxious", "happy", "sad", "angry", "tired")
MESSAGE = "Thanks for today. I tried the breathing on the train this morning and it helped a bit - see you Thursday."


@dataclass
class Month:
    meter: Meter
    client: User
    therapist: User
    http_client: Any
    http_therapist: Any

    def page(self, http: Any, url: str) -> None:
        self.meter.in_page = True
        try:
            response = http.get(url)
        finally:
            self.meter.in_page = False
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        self.meter.page_views += 1


def run_month(meter: Meter, start: datetime, traveller: Any) -> None:
    from django.test import Client as HttpClient

    from portal.domain import AccountKind
    from portal.ids import new_id
    from portal.services import sessions as session_service
    from portal.services.journal import journal_entry_create, journal_entry_set_shared
    from portal.services.messaging import message_send
    from portal.services.notices import DUE_NOTICE_SENDERS
    # The test suite's helpers make and connect accounts as the product does; imported by name so
    # the type check of bench/ stays within the product's own packages.
    accounts: Any = importlib.import_module("tests.accounts")
    relationships: Any = importlib.import_module("tests.relationships")
    log_in, make_account, connect = accounts.log_in, accounts.make_account, relationships.connect

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        moment = start + timedelta(days=day, hours=hour, minutes=minute)
        traveller.move_to(moment)
        return moment

    def notices(day: int, hour: int, minute: int = 0) -> None:
        now = at(day, hour, minute)
        meter.in_scheduler = True
        try:
            for _name, sender in DUE_NOTICE_SENDERS:
                sender(now)
        finally:
            meter.in_scheduler = False

    # Signing up, verifying and connecting are part of the month a new client starts with.
    client = make_account(AccountKind.CLIENT, name="Casey Client")
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara Chen")
    connect(client, therapist)
    month = Month(meter, client, therapist, HttpClient(), HttpClient())
    c, t = month.http_client, month.http_therapist
    cid, tid = client.account_id, therapist.account_id

    # The therapist books four weekly sessions on the first day.
    sessions = [
        session_service.session_create(
            user=therapist,
            client_id=cid,
            title="Weekly session",
            scheduled_for=start + timedelta(days=3 + 7 * week, hours=6),
            duration_minutes=50,
            location="https://video.example/room/4",
            idempotency_key=new_id(),
            confirm_overlap=True,
        )
        for week in range(4)
    ]
    session_days = {3 + 7 * week: s for week, s in enumerate(sessions)}
    entry_number = 0

    def journal(day: int, hour: int, *, chart: bool) -> None:
        nonlocal entry_number
        moment = at(day, hour, 5)
        log_in(c, client)
        if hour == 0:
            month.page(c, "/client/")
        entry = journal_entry_create(
            client_id=cid,
            time_of_emotion=moment - timedelta(hours=1),
            feeling=FEELINGS[entry_number % len(FEELINGS)],
            intensity=1 + entry_number % 5,
            note=JOURNAL_NOTES[entry_number % len(JOURNAL_NOTES)],
            idempotency_key=new_id(),
        )
        if entry_number % 3 == 0:
            journal_entry_set_shared(user=client, entry_id=entry.entry_id, shared=True)
        entry_number += 1
        month.page(c, "/client/journal/")
        if chart:
            month.page(c, "/client/journal/chart/")

    def client_writes(day: int, hour: int) -> None:
        at(day, hour)
        log_in(c, client)
        month.page(c, "/messages/")
        month.page(c, f"/messages/{tid}/")
        message_send(user=client, other_id=tid, content=MESSAGE, idempotency_key=new_id())

    def therapist_replies(day: int, hour: int) -> None:
        at(day, hour)
        log_in(t, therapist)
        month.page(t, "/messages/")
        month.page(t, f"/messages/{cid}/")
        message_send(user=therapist, other_id=cid, content=MESSAGE, idempotency_key=new_id())

    for day in range(30):
        weekday = (start + timedelta(days=day)).weekday()
        messaging = weekday < 4  # eight messages a week each way: two a day, Monday to Thursday
        session = session_days.get(day)
        journal(day, 0, chart=day % 3 == 0)
        if messaging:
            client_writes(day, 1)
        if weekday < 5:  # the therapist's working day
            at(day, 2)
            log_in(t, therapist)
            month.page(t, "/therapist/")
            if weekday in (0, 2):
                month.page(t, f"/therapist/clients/{cid}/journal/")
            if weekday == 0:
                month.page(t, "/therapist/sessions/")
        if messaging:
            therapist_replies(day, 3)
        notices(day, 4)
        if session is not None:
            at(day, 5)
            log_in(c, client)
            month.page(c, "/client/sessions/")
            month.page(c, f"/client/sessions/{session.session_id}/")
            at(day, 5, 50)
            log_in(t, therapist)
            month.page(t, f"/therapist/sessions/{session.session_id}/")
            opened = session_service.session_open(user=therapist, session_id=session.session_id)
            at(day, 6, 45)
            log_in(t, therapist)
            saved = session_service.session_notes_save(
                user=therapist,
                session_id=session.session_id,
                version=opened.version,
                private_notes=PRIVATE_NOTES,
                shared_notes=SHARED_NOTES,
            )
            session_service.session_close(user=therapist, session_id=saved.session_id)
            month.page(t, f"/therapist/sessions/{session.session_id}/")
        if messaging:
            client_writes(day, 7)
        if session is not None:
            at(day, 8, 30)
            log_in(c, client)
            month.page(c, f"/client/sessions/{session.session_id}/")
        if messaging:
            therapist_replies(day, 9)
        notices(day, 10)
        journal(day, 12, chart=False)
        notices(day, 16)
        notices(day, 22)


def scheduler_run_units(meter: Meter, moment: datetime, traveller: Any) -> Usage:
    """One idle run of send_due_notices (nothing due): what every minute costs a deployment."""
    from portal.services.notices import DUE_NOTICE_SENDERS

    traveller.move_to(moment)
    meter.scheduler_queries = Usage()
    meter.in_scheduler = True
    try:
        for _name, sender in DUE_NOTICE_SENDERS:
            sender(moment)
    finally:
        meter.in_scheduler = False
    return meter.scheduler_queries


def report(meter: Meter, idle: Usage) -> str:
    lines = [
        f"{'table / index':<58} {'RRU strong':>11} {'RRU eventual':>13} {'WRU':>9} {'USD':>10}",
        "-" * 105,
    ]
    total = Usage()
    for resource in sorted(meter.usage):
        usage = meter.usage[resource]
        total.add(usage)
        lines.append(
            f"{resource:<58} {usage.rru_strong:>11.1f} {usage.rru_eventual:>13.1f} {usage.wru:>9.0f} {usage.usd:>10.6f}"
        )
    lines.append("-" * 105)
    lines.append(
        f"{'total':<58} {total.rru_strong:>11.1f} {total.rru_eventual:>13.1f} {total.wru:>9.0f} {total.usd:>10.6f}"
    )
    lines.append("")
    lines.append(
        f"rates: ${USD_PER_MILLION_RRU} per million RRU, ${USD_PER_MILLION_WRU} per million WRU; {PRICE_SOURCE}"
    )
    lines.append(f"page views in the month: {meter.page_views}")
    lines.append(f"cost per active client-month (client and their therapist): ${total.usd:.6f}")
    per_thousand = meter.pages.usd / meter.page_views * 1000 if meter.page_views else 0.0
    lines.append(f"cost per 1,000 page views (the pages' own requests): ${per_thousand:.6f}")
    lines.append(
        f"scheduler, per deployment: {idle.rru:.1f} RRU a run, "
        f"${idle.usd * SCHEDULER_RUNS_PER_MONTH:.4f} a month at one run a minute"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("PORTAL_BASE_URL", "https://portal.example")
    # The month's own log lines (one per write) would bury the table printed at the end.
    logging.disable(logging.INFO)
    import boto3
    import django
    import time_machine
    from moto import mock_aws

    start = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # a Monday
    with mock_aws(), time_machine.travel(start, tick=False) as traveller:
        django.setup()
        from django.conf import settings
        from django.test.utils import setup_test_environment

        setup_test_environment()
        settings.PORTAL_BASE_URL = os.environ["PORTAL_BASE_URL"]
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        from portal.dynamo.connection import get_gateway
        from portal.dynamo.schema import ALL_TABLES
        from portal.dynamo.tables import create_missing_tables

        gateway = get_gateway()
        create_missing_tables(gateway)
        raw = boto3.client("dynamodb", region_name=settings.AWS_REGION)
        meter = Meter(raw, {gateway.table_name(t): t for t in ALL_TABLES})
        _install(meter, gateway)
        run_month(meter, start, traveller)
        idle = scheduler_run_units(meter, start + timedelta(days=31), traveller)
    print(report(meter, idle))
    return 0


def _install(meter: Meter, gateway: Any) -> None:
    events = gateway.client.meta.events
    last: dict[str, Any] = {}

    def before(params: dict[str, Any], model: Any, **kw: Any) -> None:
        last["params"] = params
        meter.before(params, model)

    def after(parsed: dict[str, Any], model: Any, **kw: Any) -> None:
        meter.after(parsed, model, params=last.get("params"))

    events.register("before-parameter-build.dynamodb", before, unique_id="cost-meter-before")
    events.register("after-call.dynamodb", after, unique_id="cost-meter-after")


if __name__ == "__main__":
    sys.exit(main())
