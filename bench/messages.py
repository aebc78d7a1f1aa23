"""Concurrent message sends (`make bench-messages`): nothing lost, nothing doubled, in order.

Fifty senders at once post the thread page's real form over HTTP (CSRF token,
a fresh idempotency key from each form, htmx's request header, as the browser
does) to gunicorn (2 sync workers) on dynoxide, all on 127.0.0.1: 1,000
messages in total into a few conversations, each conversation written by
several sessions of its client and of its therapist at once. A send that times
out or gets a 503 is posted again with the same key, like a browser retry.

Then the Messages table itself is read (consistent Queries, every page) and
the run fails (exit 1) unless every message is stored exactly once, each
sender's messages are in the order they were sent, the relationship record's
unread counters equal what each side received, and each conversation's email
notice is due once per side. Reports sends per second and p50/p95 latency.

    python -m bench.messages [--senders 50] [--messages 1000] [--pairs 5] [--max-seconds 600]

Writes bench/results/messages.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import urlencode

from bench.harness import (
    GUNICORN_LOG,
    GUNICORN_WORKERS,
    HOST,
    RESULTS_DIR,
    ROOT,
    bench_main,
    configure_environment,
    connect,
    create_client,
    create_therapist,
    fmt,
    log_in,
    log_tail,
    percentile,
    set_up_django,
    start_gunicorn,
    stop_process,
    wait_until_healthy,
)
from devtools import dynoxide

RESULTS_FILE = RESULTS_DIR / "messages.json"
REQUEST_TIMEOUT = 30.0
# A send that failed in transit is posted again with the same key at most this often.
MAX_ATTEMPTS = 4
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Pair:
    client_id: str
    therapist_id: str


@dataclass
class Sender:
    """One browser tab of one person in one conversation."""

    number: int
    pair: Pair
    side: str  # "client" or "therapist"
    session_key: str
    messages: int
    cookies: dict[str, str] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    sent: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def path(self) -> str:
        other = self.pair.therapist_id if self.side == "client" else self.pair.client_id
        return f"/messages/{other}/"

    def text(self, sequence: int) -> str:
        # Fixed width, so the checker reads the sender and the sequence back from the text.
        return f"bench sender {self.number:03d} message {sequence:04d}"


def _request(port: int, method: str, path: str, headers: dict[str, str], body: str | None = None) -> tuple[int, dict[str, list[str]], str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        received: dict[str, list[str]] = defaultdict(list)
        for name, value in response.getheaders():
            received[name.lower()].append(value)
        return response.status, received, text
    finally:
        connection.close()


def _take_cookies(sender: Sender, headers: dict[str, list[str]]) -> None:
    for line in headers.get("set-cookie", []):
        name, _, rest = line.partition("=")
        sender.cookies[name.strip()] = rest.split(";", 1)[0]


def _cookie_header(sender: Sender) -> str:
    return "; ".join(f"{k}={v}" for k, v in sender.cookies.items())


def _form_fields(html: str) -> tuple[str, str]:
    key, csrf = _KEY.search(html), _CSRF.search(html)
    if key is None or csrf is None:
        raise RuntimeError("no message form in the answer")
    return unescape(key.group(1)), unescape(csrf.group(1))


def open_thread(sender: Sender, port: int) -> tuple[str, str]:
    """The thread page as the browser first gets it: the form's key and CSRF token, and the CSRF cookie."""
    status, headers, html = _request(port, "GET", sender.path, {"Cookie": _cookie_header(sender)})
    if status != 200:
        raise RuntimeError(f"thread page answered {status}")
    _take_cookies(sender, headers)
    return _form_fields(html)


def send_all(sender: Sender, port: int, key: str, csrf: str, start: threading.Barrier, deadline: float) -> None:
    try:
        start.wait(timeout=120)
    except threading.BrokenBarrierError:
        sender.error = "start barrier broken"
        return
    for sequence in range(sender.messages):
        if time.monotonic() > deadline:
            sender.error = f"out of time after {len(sender.sent)} sends"
            return
        text = sender.text(sequence)
        body = urlencode({"content": text, "idempotency_key": key, "csrfmiddlewaretoken": csrf})
        for attempt in range(MAX_ATTEMPTS):
            headers = {
                "Cookie": _cookie_header(sender),
                "Content-Type": "application/x-www-form-urlencoded",
                # What htmx sends: the answer is the thread fragment with a fresh form.
                "HX-Request": "true",
                "HX-Target": "thread",
                "X-CSRFToken": csrf,
            }
            started = time.perf_counter()
            try:
                status, received, html = _request(port, "POST", sender.path, headers, body)
            except (OSError, http.client.HTTPException) as exc:
                sender.statuses[type(exc).__name__] += 1
                sender.retries += 1
                continue  # the same key again: stored at most once
            elapsed = (time.perf_counter() - started) * 1000
            sender.statuses[str(status)] += 1
            if status == 200:
                sender.latencies_ms.append(elapsed)
                _take_cookies(sender, received)
                key, csrf = _form_fields(html)
                sender.sent.append(text)
                break
            if status in (502, 503, 504):
                sender.retries += 1
                time.sleep(0.2 * (attempt + 1))
                continue
            sender.error = f"send {sequence} answered {status}"
            return
        else:
            sender.error = f"send {sequence} failed {MAX_ATTEMPTS} times"
            return


# --- seeding ----------------------------------------------------------------------


def seed(options: argparse.Namespace, rng: random.Random) -> list[Sender]:
    """Pairs made active as the product makes them (request, acceptance, relationship record)."""
    from portal.domain import AccountKind

    therapists = [create_therapist(rng, []) for _ in range(options.therapists)]
    pairs: list[Pair] = []
    for i in range(options.pairs):
        client = create_client(f"messages-{i}", 0, rng)
        therapist = therapists[i % len(therapists)]
        connect(client.client_id, therapist.therapist_id)
        pairs.append(Pair(client.client_id, therapist.therapist_id))
    share, extra = divmod(options.messages, options.senders)
    senders: list[Sender] = []
    for number in range(options.senders):
        pair = pairs[number % len(pairs)]
        # Alternate sides within each conversation: both people write at once.
        side = "client" if (number // len(pairs)) % 2 == 0 else "therapist"
        kind = AccountKind.CLIENT if side == "client" else AccountKind.THERAPIST
        account = pair.client_id if side == "client" else pair.therapist_id
        # Each tab logs in on its own (its own session), as separate devices do.
        session_key = log_in(kind, account)
        senders.append(Sender(number, pair, side, session_key, share + (1 if number < extra else 0)))
    return senders


# --- checking what was stored -----------------------------------------------------------


def check_stored(senders: list[Sender], started_at: datetime) -> dict[str, Any]:
    """Read the Messages table directly and compare with what each sender got a 200 for."""
    from portal.domain import Side
    from portal.dynamo.connection import get_gateway
    from portal.dynamo.messages import MessageRepository, conversation_id
    from portal.dynamo.relationships import RelationshipRepository, notice_day
    from portal.dynamo.schema import MESSAGES

    gateway = get_gateway()
    table = gateway.table_name(MESSAGES)
    problems: list[str] = []
    pairs = sorted({s.pair for s in senders}, key=lambda p: (p.client_id, p.therapist_id))
    stored_items = 0
    by_text: dict[str, list[str]] = defaultdict(list)  # text -> sort keys
    for pair in pairs:
        conversation = conversation_id(pair.client_id, pair.therapist_id)
        # The raw items, every page, consistent: what is really in the table.
        raw: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "conversationId = :c",
            "ExpressionAttributeValues": {":c": {"S": conversation}},
            "ConsistentRead": True,
        }
        while True:
            page = gateway.client.query(**request)
            raw.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        stored_items += len(raw)
        ids = [item["messageId"]["S"] for item in raw]
        if len(set(ids)) != len(ids):
            problems.append(f"{conversation}: a message id is stored twice")
        # The texts are encrypted: read them back through the repository, page by page.
        repository = MessageRepository()
        cursor: str | None = None
        decrypted = 0
        while True:
            messages = repository.list_conversation(pair.client_id, pair.therapist_id, limit=100, cursor=cursor)
            for message in messages.items:
                by_text[message.content].append(message.sort_key)
                decrypted += 1
            cursor = messages.next_cursor
            if not cursor:
                break
        if decrypted != len(raw):
            problems.append(f"{conversation}: {len(raw)} items but {decrypted} listed")

    expected = {text for s in senders for text in s.sent}
    missing = sorted(expected - by_text.keys())
    doubled = sorted(text for text, keys in by_text.items() if len(keys) > 1)
    unexpected = sorted(by_text.keys() - expected - {s.text(len(s.sent)) for s in senders})
    if missing:
        problems.append(f"{len(missing)} acknowledged messages are missing, e.g. {missing[:3]}")
    if doubled:
        problems.append(f"{len(doubled)} messages are stored more than once, e.g. {doubled[:3]}")
    if unexpected:
        problems.append(f"{len(unexpected)} stored messages were never sent, e.g. {unexpected[:3]}")
    out_of_order = 0
    for sender in senders:
        keys = [by_text[text][0] for text in sender.sent if by_text.get(text)]
        if keys != sorted(keys):
            out_of_order += 1
    if out_of_order:
        problems.append(f"{out_of_order} senders' messages are not stored in the order they were sent")

    # The send's transaction keeps the counters; nobody opened a thread once the sends began.
    records = RelationshipRepository()
    notice_at = datetime.now(UTC) + timedelta(minutes=10)
    due = {
        side: {(r.client_id, r.therapist_id) for r in records.notices_due(side, notice_day(notice_at), now=notice_at, limit=100)}
        for side in (Side.CLIENT, Side.THERAPIST)
    }
    for pair in pairs:
        record = records.get(pair.client_id, pair.therapist_id)
        to_client = sum(len(s.sent) for s in senders if s.pair == pair and s.side == "therapist")
        to_therapist = sum(len(s.sent) for s in senders if s.pair == pair and s.side == "client")
        if record is None or (record.client_unread, record.therapist_unread) != (to_client, to_therapist):
            got = None if record is None else (record.client_unread, record.therapist_unread)
            problems.append(f"unread counters {got} for {pair}, expected {(to_client, to_therapist)}")
        for side, received in ((Side.CLIENT, to_client), (Side.THERAPIST, to_therapist)):
            if received and (pair.client_id, pair.therapist_id) not in due[side]:
                problems.append(f"no email notice due for the {side} of {pair}")
    return {
        "conversations": len(pairs),
        "stored": stored_items,
        "acknowledged": len(expected),
        "missing": len(missing),
        "doubled": len(doubled),
        "unexpected": len(unexpected),
        "senders_out_of_order": out_of_order,
        "problems": problems,
        "started_at": started_at.isoformat(timespec="seconds"),
    }


# --- the run -------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.messages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--senders", type=int, default=50, help="concurrent senders (default: %(default)s)")
    parser.add_argument("--messages", type=int, default=1000, help="messages in total (default: %(default)s)")
    parser.add_argument("--pairs", type=int, default=5, help="conversations (default: %(default)s)")
    parser.add_argument("--therapists", type=int, default=2, help="therapists among the pairs (default: %(default)s)")
    parser.add_argument("--max-seconds", type=float, default=600, help="stop sending after this long (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=20261126)
    options = parser.parse_args(argv)
    if options.senders < 1 or options.messages < options.senders or options.pairs < 1 or options.therapists < 1:
        parser.error("need at least one sender, pair and therapist, and at least one message per sender")
    return options


def report(senders: list[Sender], seconds: float, check: dict[str, Any], options: argparse.Namespace) -> dict[str, Any]:
    latencies = [value for s in senders for value in s.latencies_ms]
    statuses: Counter[str] = Counter()
    for sender in senders:
        statuses.update(sender.statuses)
    sent = sum(len(s.sent) for s in senders)
    summary = {
        "sends": sent,
        "target": options.messages,
        "seconds": round(seconds, 2),
        "sends_per_second": round(sent / seconds, 1) if seconds else None,
        "p50_ms": round(percentile(latencies, 0.50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "retries": sum(s.retries for s in senders),
        "statuses": dict(sorted(statuses.items())),
        "errors": [f"sender {s.number}: {s.error}" for s in senders if s.error],
    }
    print()
    print(f"{sent:,} of {options.messages:,} sends acknowledged in {seconds:.1f} s by {options.senders} senders")
    print(f"  {fmt(summary['sends_per_second'])} sends/s, p50 {fmt(summary['p50_ms'])} ms, p95 {fmt(summary['p95_ms'])} ms, max {fmt(summary['max_ms'])} ms")
    print(f"  answers: {summary['statuses']}, retried with the same key: {summary['retries']}")
    print(
        f"stored: {check['stored']:,} items in {check['conversations']} conversations; missing {check['missing']}, "
        f"doubled {check['doubled']}, never sent {check['unexpected']}, senders out of order {check['senders_out_of_order']}"
    )
    for problem in [*summary["errors"], *check["problems"]]:
        print(f"  PROBLEM: {problem}")
    print(
        f"\ngunicorn: {GUNICORN_WORKERS} sync workers. This machine has {os.cpu_count()} cores, shared by gunicorn, "
        "the local engine (dynoxide) and the senders themselves: a floor for one host, not a capacity plan for AWS."
    )
    return summary


def run(options: argparse.Namespace) -> int:
    engine: dynoxide.Engine | None = None
    server: subprocess.Popen[bytes] | None = None
    try:
        begun = time.monotonic()
        engine = dynoxide.start()
        configure_environment(engine.url)
        set_up_django()
        from django.conf import settings

        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        senders = seed(options, random.Random(options.seed))
        for sender in senders:
            sender.cookies[settings.SESSION_COOKIE_NAME] = sender.session_key
        port = dynoxide.free_port()
        with GUNICORN_LOG.open("wb") as log:
            server = start_gunicorn(port, log)
            try:
                wait_until_healthy(server, port)
            except RuntimeError:
                print(log_tail(), file=sys.stderr)
                raise
            print(f"gunicorn ({GUNICORN_WORKERS} workers) at http://{HOST}:{port}; {options.senders} senders ...")
            # Every tab opens its thread first (an opening marks it read), then all send at once.
            forms = [open_thread(sender, port) for sender in senders]
            start = threading.Barrier(len(senders))
            started_at = datetime.now(UTC)
            deadline = time.monotonic() + options.max_seconds
            sending = time.perf_counter()
            with ThreadPoolExecutor(max_workers=len(senders)) as pool:
                futures = [
                    pool.submit(send_all, sender, port, key, csrf, start, deadline)
                    for sender, (key, csrf) in zip(senders, forms, strict=True)
                ]
                for future in futures:
                    future.result(timeout=options.max_seconds + REQUEST_TIMEOUT * MAX_ATTEMPTS + 150)
            seconds = time.perf_counter() - sending
        check = check_stored(senders, started_at)
        summary = report(senders, seconds, check, options)
        failed = bool(summary["errors"] or check["problems"]) or summary["sends"] != options.messages
        RESULTS_FILE.write_text(
            json.dumps(
                {
                    "benchmark": "messages",
                    "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "senders": options.senders,
                    "pairs": options.pairs,
                    "therapists": options.therapists,
                    "gunicorn_workers": GUNICORN_WORKERS,
                    "cores": os.cpu_count(),
                    "load_average": os.getloadavg(),
                    "python": platform.python_version(),
                    **summary,
                    "check": check,
                    "passed": not failed,
                    "duration_s": round(time.monotonic() - begun, 1),
                },
                indent=2,
            )
            + "\n"
        )
        print(f"results written to {RESULTS_FILE.relative_to(ROOT)}")
        if failed:
            print("FAIL", file=sys.stderr)
            return 1
        return 0
    finally:
        stop_process(server)
        if engine is not None:
            engine.stop()


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
