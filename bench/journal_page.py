"""Does the client journal page cost the same for 10 entries as for 5,000?

The product's rule: a client's journal page must not get slower, nor make more
DynamoDB calls, as the journal grows. This script checks it end to end on the
production configuration (DEBUG off, gunicorn, whitenoise, DynamoDB sessions):

1. starts dynoxide in memory on a free port and creates the tables;
2. seeds one client with 10 journal entries and one with 5,000;
3. logs both in by writing a Django session directly (no login form);
4. serves the app with gunicorn (2 workers) and times sequential GETs of the page
   for each client, and counts the page's DynamoDB calls in-process;
5. prints a table, writes bench/results/journal_page.json, and exits 1 if the rule
   is broken (any non-200, unequal DynamoDB call counts, or the 5,000-entry p50
   or p95 more than 20% above the 10-entry one).

Run it with `make bench-journal` or `python -m bench.journal_page [--path /client/] [--requests 200]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from bench.harness import (
    GUNICORN_LOG,
    GUNICORN_WORKERS,
    HOST,
    RESULTS_DIR,
    ROOT,
    BenchClient,
    CallCount,
    Timing,
    bench_main,
    configure_environment,
    count_calls,
    create_client,
    log_tail,
    set_up_django,
    start_gunicorn,
    stop_process,
    summarize,
    timed_get,
    wait_until_healthy,
)
from bench.harness import fmt as _fmt
from devtools import dynoxide

RESULTS_FILE = RESULTS_DIR / "journal_page.json"

# Defaults of --small-entries / --large-entries.
SMALL_JOURNAL = 10
LARGE_JOURNAL = 5_000
# The product's rule: the large journal may cost at most this much more than the small one.
MAX_RATIO = 1.20


# --- measuring ----------------------------------------------------------------------


def measure_http(
    port: int,
    path: str,
    clients: list[BenchClient],
    *,
    warmup: int,
    requests: int,
    interleave: bool,
    progress: bool = True,
) -> dict[str, Timing]:
    """Time ``requests`` sequential GETs of ``path`` per client (one request in flight at a time)."""
    from django.conf import settings

    cookies = {c.label: f"{settings.SESSION_COOKIE_NAME}={c.session_key}" for c in clients}
    latencies: dict[str, list[float]] = {c.label: [] for c in clients}
    statuses: dict[str, dict[str, int]] = {c.label: {} for c in clients}

    def timed(client: BenchClient) -> None:
        status, elapsed = timed_get(port, path, cookies[client.label])
        counts = statuses[client.label]
        counts[str(status)] = counts.get(str(status), 0) + 1
        if status == 200:
            latencies[client.label].append(elapsed)

    def warm(client: BenchClient) -> None:
        # Untimed: both workers import lazily-loaded code, open their DynamoDB
        # connection pool and fill template caches before anything is timed.
        for _ in range(warmup):
            timed_get(port, path, cookies[client.label])

    if interleave:
        # Alternating A B B A A B ... puts the clients' requests side by side in
        # time, so a burst of load from anything else on the machine lands on both
        # samples alike instead of on whichever client it happened to coincide with;
        # swapping the order each round cancels any "second of a pair" effect.
        if progress:
            print(f"timing GET {path}: {warmup} warm-up + {requests} requests per client, interleaved ...")
        for client in clients:
            warm(client)
        for round_ in range(requests):
            for client in clients if round_ % 2 == 0 else reversed(clients):
                timed(client)
    else:
        for client in clients:
            if progress:
                print(
                    f"timing GET {path} for {client.entries:,} entries: "
                    f"{warmup} warm-up + {requests} requests ..."
                )
            warm(client)
            for _ in range(requests):
                timed(client)
    return {
        c.label: summarize(latencies[c.label], statuses[c.label], requests) for c in clients
    }


# --- reporting ----------------------------------------------------------------------


def ratio(large: float | None, small: float | None) -> float | None:
    if large is None or small is None or small <= 0:
        return None
    return large / small


def print_table(
    path: str,
    sizes: tuple[int, int],
    small: Timing,
    large: Timing,
    small_calls: CallCount,
    large_calls: CallCount,
    ratios: dict[str, float | None],
) -> None:
    rows = [
        ("requests ok / sent", f"{small.ok}/{small.requests}", f"{large.ok}/{large.requests}", ""),
        ("p50 ms", _fmt(small.p50_ms), _fmt(large.p50_ms), _fmt(ratios["p50"], 2)),
        ("p95 ms", _fmt(small.p95_ms), _fmt(large.p95_ms), _fmt(ratios["p95"], 2)),
        ("mean ms", _fmt(small.mean_ms), _fmt(large.mean_ms), _fmt(ratios["mean"], 2)),
        ("min / max ms", f"{_fmt(small.min_ms)} / {_fmt(small.max_ms)}",
         f"{_fmt(large.min_ms)} / {_fmt(large.max_ms)}", ""),
        ("DynamoDB calls/page", _fmt(small_calls.total), _fmt(large_calls.total), ""),
    ]
    small_n, large_n = sizes
    header = ("GET " + path, f"{small_n:,} entries", f"{large_n:,} entries", "ratio")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)
        )

    print()
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()
    print(f"DynamoDB calls by operation, {small_n:,} entries: {small_calls.by_operation}")
    print(f"DynamoDB calls by operation, {large_n:,} entries: {large_calls.by_operation}")
    for label, timing in ((f"{small_n:,}", small), (f"{large_n:,}", large)):
        if timing.failures:
            print(f"{label} entries: {timing.failures} non-200 answers, by status: {timing.statuses}")


def verdict(
    sizes: tuple[int, int],
    small: Timing,
    large: Timing,
    small_calls: CallCount,
    large_calls: CallCount,
    ratios: dict[str, float | None],
) -> list[str]:
    """The reasons the run fails; empty when the page meets the rule."""
    small_n, large_n = sizes
    problems: list[str] = []
    for label, timing, calls in (
        (f"{small_n:,} entries", small, small_calls),
        (f"{large_n:,} entries", large, large_calls),
    ):
        if timing.failures:
            problems.append(f"{label}: {timing.failures}/{timing.requests} requests were not 200 ({timing.statuses})")
        if calls.status != 200:
            problems.append(f"{label}: the in-process request answered {calls.status}")
    if small_calls.total != large_calls.total:
        problems.append(
            f"DynamoDB calls differ: {small_calls.total} for {small_n:,} entries, "
            f"{large_calls.total} for {large_n:,}"
        )
    for name in ("p50", "p95"):
        value = ratios[name]
        if value is None:
            problems.append(f"no {name} ratio (no successful requests to time)")
        elif value > MAX_RATIO:
            problems.append(
                f"{name} of {large_n:,} entries is {value:.2f}x that of {small_n:,} "
                f"(at most {MAX_RATIO:.2f}x allowed)"
            )
    return problems


def write_results(payload: dict[str, Any]) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(payload, indent=2) + "\n")


# --- main -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.journal_page",
        description="Time the client journal page for a 10-entry and a 5,000-entry journal.",
    )
    parser.add_argument("--path", default="/client/journal/", help="page to time (default: %(default)s)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per client (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per client first (default: %(default)s)")
    parser.add_argument(
        "--small-entries",
        type=int,
        default=SMALL_JOURNAL,
        help="journal entries of the small client (default: %(default)s)",
    )
    parser.add_argument(
        "--large-entries",
        type=int,
        default=LARGE_JOURNAL,
        help="journal entries of the large client (default: %(default)s)",
    )
    parser.add_argument(
        "--order",
        choices=("interleaved", "blocks"),
        default="interleaved",
        help="interleaved: alternate the two clients' requests (default, robust to other load "
        "on the machine); blocks: all of one client's requests, then all of the other's",
    )
    parser.add_argument("--seed", type=int, default=20260101, help="random seed for the journal data (default: %(default)s)")
    options = parser.parse_args(argv)
    if not 0 <= options.small_entries < options.large_entries:
        parser.error("--small-entries must be at least 0 and below --large-entries")
    if options.requests < 1 or options.warmup < 0:
        parser.error("--requests must be at least 1 and --warmup at least 0")
    if not options.path.startswith("/"):
        parser.error("--path must start with /")
    return options


def run(options: argparse.Namespace) -> int:
    engine: dynoxide.Engine | None = None
    server: subprocess.Popen[bytes] | None = None
    try:
        begun = time.monotonic()
        engine = dynoxide.start()  # in memory: nothing of the bench outlives it
        print(f"dynoxide (in memory) at {engine.url}")
        configure_environment(engine.url)
        set_up_django()

        rng = random.Random(options.seed)
        seeding = time.monotonic()
        sizes = (options.small_entries, options.large_entries)
        small_n, large_n = sizes
        small_client = create_client("small", small_n, rng)
        large_client = create_client("large", large_n, rng)
        print(
            f"seeded clients with {small_n:,} and {large_n:,} journal entries "
            f"in {time.monotonic() - seeding:.1f} s"
        )

        port = dynoxide.free_port()
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        with GUNICORN_LOG.open("wb") as log:
            server = start_gunicorn(port, log)
            try:
                wait_until_healthy(server, port)
            except RuntimeError:
                print(log_tail(), file=sys.stderr)
                raise
            print(f"gunicorn ({GUNICORN_WORKERS} workers) at http://{HOST}:{port}, log in {GUNICORN_LOG.relative_to(ROOT)}")

            # Counted in-process, after one uncounted request per client, so that
            # one-time work (first template load, anything cached per process)
            # cannot make whichever client goes first look more expensive.
            calls: dict[str, CallCount] = {}
            for client in (small_client, large_client):
                count_calls(options.path, client.session_key)
            for client in (small_client, large_client):
                calls[client.label] = count_calls(options.path, client.session_key)

            timings = measure_http(
                port,
                options.path,
                [small_client, large_client],
                warmup=options.warmup,
                requests=options.requests,
                interleave=options.order == "interleaved",
            )

        small, large = timings["small"], timings["large"]
        ratios = {
            "p50": ratio(large.p50_ms, small.p50_ms),
            "p95": ratio(large.p95_ms, small.p95_ms),
            "mean": ratio(large.mean_ms, small.mean_ms),
        }
        print_table(options.path, sizes, small, large, calls["small"], calls["large"], ratios)
        problems = verdict(sizes, small, large, calls["small"], calls["large"], ratios)

        write_results(
            {
                "benchmark": "journal_page",
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "path": options.path,
                "requests_per_client": options.requests,
                "warmup_per_client": options.warmup,
                "order": options.order,
                "seed": options.seed,
                "gunicorn_workers": GUNICORN_WORKERS,
                "max_ratio": MAX_RATIO,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "clients": {
                    client.label: {
                        "journal_entries": client.entries,
                        "http": asdict(timings[client.label]),
                        "dynamodb_calls": asdict(calls[client.label]),
                    }
                    for client in (small_client, large_client)
                },
                "ratios_large_over_small": ratios,
                "passed": not problems,
                "problems": problems,
                "duration_s": round(time.monotonic() - begun, 1),
            }
        )
        print(f"results written to {RESULTS_FILE.relative_to(ROOT)}")
        if problems:
            print(f"\nFAIL: GET {options.path} does not meet the rule (see bench/README.md):")
            for problem in problems:
                print(f"  - {problem}")
            return 1
        print(f"\nPASS: {large_n:,} entries cost the same as {small_n:,} (within {MAX_RATIO:.2f}x).")
        return 0
    finally:
        stop_process(server)
        if engine is not None:
            engine.stop()


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
