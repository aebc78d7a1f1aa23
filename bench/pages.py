"""How far is each main page from its floor? (`make bench`)

For each page in PAGES: p50/p95 of the page, and of its floor (bench/floor.py: a
bare view under the same settings and middleware that replays the page's own
DynamoDB requests with the raw client and renders a plain template), measured
interleaved in one run under gunicorn (2 workers) on dynoxide (in memory,
127.0.0.1 only). Plus the journal of a 5,000-entry client against the 25-entry
one. The issue's targets: every page within 1.3x of its floor, the large journal
within 1.2x of the small one.

Run it with `make bench` or `python -m bench.pages [--requests 100] [--max-seconds 300]`.
Writes bench/results/pages.json; exits 1 if any request fails (with --strict,
also when a target is missed).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import random
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from bench.harness import (
    GUNICORN_LOG,
    GUNICORN_WORKERS,
    HOST,
    RESULTS_DIR,
    ROOT,
    BenchClient,
    BenchTherapist,
    Timing,
    bench_main,
    capture_calls,
    configure_environment,
    create_client,
    create_therapist,
    fmt,
    log_in,
    log_tail,
    set_up_django,
    start_gunicorn,
    stop_process,
    summarize,
    timed_get,
    wait_until_healthy,
)
from devtools import dynoxide

RESULTS_FILE = RESULTS_DIR / "pages.json"
FLOOR_CALLS_FILE = RESULTS_DIR / "floor_calls.pickle"
PAGE_TARGET = 1.30
SIZE_TARGET = 1.20
SMALL_JOURNAL = 25
LARGE_JOURNAL = 5_000


@dataclass(frozen=True)
class Page:
    name: str
    # Formatted with client_id (the 25-entry client) and therapist_id.
    path: str
    # "client", "large_client" or "therapist": whose session requests it.
    viewer: str


# One line per page.
PAGES: tuple[Page, ...] = (
    Page("client_home", "/client/", "client"),
    Page("journal", "/client/journal/", "client"),
    Page("journal_5000", "/client/journal/", "large_client"),
    Page("chart", "/client/journal/chart/", "client"),
    Page("therapist_home", "/therapist/", "therapist"),
    Page("therapist_client_journal", "/therapist/clients/{client_id}/journal/", "therapist"),
    Page("agenda", "/therapist/sessions/", "therapist"),
    Page("conversations", "/messages/", "client"),
    Page("thread", "/messages/{therapist_id}/", "client"),
)
# What the agenda and the thread show: a working pair's few weeks.
SEEDED_SESSIONS = 12
SEEDED_MESSAGES = 60


def seed_sessions_and_messages(client_id: str, therapist_id: str) -> None:
    """Approved sessions ahead (more than the agenda's page) and a conversation longer than the thread's page."""
    from datetime import timedelta

    from portal.ids import new_id
    from portal.services.auth import load_user
    from portal.services.messaging import message_send
    from portal.services.sessions import session_create
    from portal.timeutil import utcnow

    client = load_user(f"client:{client_id}")
    therapist = load_user(f"therapist:{therapist_id}")
    assert client is not None and therapist is not None
    first = utcnow().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    for day in range(SEEDED_SESSIONS):
        session_create(
            user=therapist,
            client_id=client_id,
            title=f"Weekly session {day + 1}",
            scheduled_for=first + timedelta(days=day),
            location="Room 2, 14 Harbour Street",
            idempotency_key=new_id(),
        )
    for i in range(SEEDED_MESSAGES):
        sender, other_id = (client, therapist_id) if i % 2 == 0 else (therapist, client_id)
        message_send(
            user=sender,
            other_id=other_id,
            content=f"Message {i + 1}: how the week went, and what to bring next time.",
            idempotency_key=new_id(),
        )


@dataclass
class PageResult:
    name: str
    path: str
    dynamodb_calls: int
    calls_by_operation: dict[str, int]
    page: Timing
    floor: Timing

    @property
    def ratio_p50(self) -> float | None:
        return _ratio(self.page.p50_ms, self.floor.p50_ms)

    @property
    def ratio_p95(self) -> float | None:
        return _ratio(self.page.p95_ms, self.floor.p95_ms)


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def measure(
    port: int,
    targets: list[tuple[str, str, str | None]],
    *,
    warmup: int,
    requests: int,
    max_seconds: float,
) -> dict[str, tuple[list[float], dict[str, int], int]]:
    """Sequential GETs, interleaved: each round visits every target once, alternating direction.

    ``targets`` are (label, path, cookie). Returns label -> (latencies of 200s,
    statuses, requests sent). Stops early, after whole rounds, at ``max_seconds``.
    """
    for _ in range(warmup):
        for _label, path, cookie in targets:
            timed_get(port, path, cookie)
    latencies: dict[str, list[float]] = {label: [] for label, _, _ in targets}
    statuses: dict[str, dict[str, int]] = {label: {} for label, _, _ in targets}
    sent = 0
    deadline = time.monotonic() + max_seconds
    for round_ in range(requests):
        if time.monotonic() > deadline:
            print(f"stopped after {round_} rounds: --max-seconds {max_seconds:.0f} reached")
            break
        for label, path, cookie in targets if round_ % 2 == 0 else reversed(targets):
            status, elapsed = timed_get(port, path, cookie)
            statuses[label][str(status)] = statuses[label].get(str(status), 0) + 1
            if status == 200:
                latencies[label].append(elapsed)
        sent += 1
    return {label: (latencies[label], statuses[label], sent) for label, _, _ in targets}


def print_table(results: list[PageResult], size_ratio: dict[str, float | None]) -> None:
    header = ("page", "calls", "page p50", "floor p50", "x", "page p95", "floor p95", "x", "ok")
    rows = [
        (
            r.name,
            str(r.dynamodb_calls),
            fmt(r.page.p50_ms),
            fmt(r.floor.p50_ms),
            fmt(r.ratio_p50, 2),
            fmt(r.page.p95_ms),
            fmt(r.floor.p95_ms),
            fmt(r.ratio_p95, 2),
            f"{r.page.ok}/{r.page.requests}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)))
    print(f"\n(milliseconds; x = page / floor; target <= {PAGE_TARGET:.2f})")
    print(
        f"journal {LARGE_JOURNAL:,} entries / {SMALL_JOURNAL} entries: p50 {fmt(size_ratio['p50'], 2)}, "
        f"p95 {fmt(size_ratio['p95'], 2)} (target <= {SIZE_TARGET:.2f})"
    )
    for r in results:
        print(f"  {r.name}: {r.calls_by_operation}")


def problems_of(results: list[PageResult], size_ratio: dict[str, float | None]) -> tuple[list[str], list[str]]:
    """(failures: requests that did not answer 200; missed targets)."""
    failures: list[str] = []
    missed: list[str] = []
    for r in results:
        for kind, timing in (("page", r.page), ("floor", r.floor)):
            if timing.failures:
                failures.append(f"{r.name} {kind}: {timing.failures} non-200 answers {timing.statuses}")
        if r.ratio_p50 is not None and r.ratio_p50 > PAGE_TARGET:
            missed.append(f"{r.name}: p50 {r.ratio_p50:.2f}x its floor (target {PAGE_TARGET:.2f}x)")
    value = size_ratio["p50"]
    if value is not None and value > SIZE_TARGET:
        missed.append(f"journal: {LARGE_JOURNAL:,} entries p50 {value:.2f}x the {SMALL_JOURNAL}-entry one")
    return failures, missed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=150, help="timed rounds (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed rounds first (default: %(default)s)")
    parser.add_argument("--max-seconds", type=float, default=300, help="stop timing after this (default: %(default)s)")
    parser.add_argument("--large-entries", type=int, default=LARGE_JOURNAL)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--results", default=str(RESULTS_FILE), help="JSON output (default: %(default)s)")
    return parser.parse_args(argv)


def run(options: argparse.Namespace) -> int:
    engine: dynoxide.Engine | None = None
    server: subprocess.Popen[bytes] | None = None
    try:
        begun = time.monotonic()
        engine = dynoxide.start()  # in memory: nothing of the bench outlives it
        configure_environment(engine.url, settings_module="bench.floor_settings")
        set_up_django()

        rng = random.Random(options.seed)
        client = create_client("client", SMALL_JOURNAL, rng)
        large = create_client("large_client", options.large_entries, rng)
        from portal.domain import AccountKind

        therapist = create_therapist(rng, [client.client_id, large.client_id])
        seed_sessions_and_messages(client.client_id, therapist.therapist_id)
        # Logged in again now that they have a therapist: the session carries who reads their journal.
        sessions = {
            "client": log_in(AccountKind.CLIENT, client.client_id),
            "large_client": log_in(AccountKind.CLIENT, large.client_id),
            "therapist": therapist.session_key,
        }
        print(f"seeded in {time.monotonic() - begun:.1f} s")

        results_calls = capture(client, therapist, sessions)

        port = dynoxide.free_port()
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        with FLOOR_CALLS_FILE.open("wb") as saved:
            pickle.dump({name: calls for name, (_, calls) in results_calls.items()}, saved)
        os.environ["BENCH_FLOOR_CALLS"] = str(FLOOR_CALLS_FILE)
        from django.conf import settings

        targets: list[tuple[str, str, str | None]] = []
        for page in PAGES:
            cookie = f"{settings.SESSION_COOKIE_NAME}={sessions[page.viewer]}"
            path = page.path.format(client_id=client.client_id, therapist_id=therapist.therapist_id)
            targets.append((f"{page.name}:page", path, cookie))
            targets.append((f"{page.name}:floor", f"/__bench/floor/{page.name}/", None))

        with GUNICORN_LOG.open("wb") as log:
            server = start_gunicorn(port, log)
            try:
                wait_until_healthy(server, port)
            except RuntimeError:
                print(log_tail(), file=sys.stderr)
                raise
            print(
                f"gunicorn ({GUNICORN_WORKERS} workers) at http://{HOST}:{port}; timing {len(PAGES)} pages "
                f"and their floors: {options.warmup} warm-up + {options.requests} rounds ..."
            )
            measured = measure(
                port, targets, warmup=options.warmup, requests=options.requests, max_seconds=options.max_seconds
            )

        results: list[PageResult] = []
        for page in PAGES:
            status, calls = results_calls[page.name]
            by_operation: dict[str, int] = {}
            for method, _ in calls:
                by_operation[method] = by_operation.get(method, 0) + 1
            timings = {}
            for kind in ("page", "floor"):
                latencies, statuses, sent = measured[f"{page.name}:{kind}"]
                timings[kind] = summarize(latencies, statuses, sent)
            results.append(
                PageResult(page.name, page.path, len(calls), by_operation, timings["page"], timings["floor"])
            )
        by_name = {r.name: r for r in results}
        size_ratio = {
            "p50": _ratio(by_name["journal_5000"].page.p50_ms, by_name["journal"].page.p50_ms),
            "p95": _ratio(by_name["journal_5000"].page.p95_ms, by_name["journal"].page.p95_ms),
        }
        print_table(results, size_ratio)
        failures, missed = problems_of(results, size_ratio)
        write_results(options.results, results, size_ratio, failures, missed, options, time.monotonic() - begun)
        for line in failures + missed:
            print(f"  - {line}")
        if failures or (options.strict and missed):
            return 1
        return 0
    finally:
        stop_process(server)
        if engine is not None:
            engine.stop()


def capture(
    client: BenchClient, therapist: BenchTherapist, sessions: dict[str, str]
) -> dict[str, tuple[int, list[tuple[str, dict[str, Any]]]]]:
    """Each page's DynamoDB requests, captured in-process after one uncaptured request."""
    captured: dict[str, tuple[int, list[tuple[str, dict[str, Any]]]]] = {}
    for page in PAGES:
        path = page.path.format(client_id=client.client_id, therapist_id=therapist.therapist_id)
        capture_calls(path, sessions[page.viewer])
        status, calls = capture_calls(path, sessions[page.viewer])
        if status != 200:
            raise RuntimeError(f"{page.name}: GET {path} answered {status} in-process")
        captured[page.name] = (status, calls)
    return captured


def write_results(
    path: str,
    results: list[PageResult],
    size_ratio: dict[str, float | None],
    failures: list[str],
    missed: list[str],
    options: argparse.Namespace,
    duration: float,
) -> None:
    payload = {
        "benchmark": "pages",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rounds": options.requests,
        "warmup_rounds": options.warmup,
        "gunicorn_workers": GUNICORN_WORKERS,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "page_target": PAGE_TARGET,
        "size_target": SIZE_TARGET,
        "pages": {
            r.name: {
                "path": r.path,
                "dynamodb_calls": r.dynamodb_calls,
                "calls_by_operation": r.calls_by_operation,
                "page": asdict(r.page),
                "floor": asdict(r.floor),
                "ratio_p50": r.ratio_p50,
                "ratio_p95": r.ratio_p95,
            }
            for r in results
        },
        "journal_large_over_small": size_ratio,
        "failures": failures,
        "missed_targets": missed,
        "duration_s": round(duration, 1),
    }
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as out:
        out.write(json.dumps(payload, indent=2) + "\n")
    print(f"results written to {os.path.relpath(path, ROOT)}")


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
