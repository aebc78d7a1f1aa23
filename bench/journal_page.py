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

Run it with `make bench` or `python -m bench.journal_page [--path /client/] [--requests 200]`.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

from devtools import dynoxide

if TYPE_CHECKING:
    # Only for annotations: portal modules are imported after django.setup().
    from portal.domain import Client, JournalEntry

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
RESULTS_FILE = RESULTS_DIR / "journal_page.json"
GUNICORN_LOG = RESULTS_DIR / "gunicorn.log"

# Defaults of --small-entries / --large-entries.
SMALL_JOURNAL = 10
LARGE_JOURNAL = 5_000
# The product's rule: the large journal may cost at most this much more than the small one.
MAX_RATIO = 1.20
GUNICORN_WORKERS = 2
HOST = "127.0.0.1"
# A fixed, bench-only key: sessions are signed with it in this process and
# verified with it in gunicorn, so both must see the same value. Never a real one.
BENCH_SECRET_KEY = "bench-only-not-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0-journal-page"
BENCH_PASSWORD = "a quiet harbour at dawn, benchmarked"
# DynamoDB's BatchWriteItem takes at most 25 puts per request.
BATCH_WRITE_LIMIT = 25
BATCH_WRITE_RETRIES = 8

NOTES: tuple[str, ...] = (
    "Slept badly, then a long walk helped.",
    "Argument at work; I noticed my shoulders tense before I noticed I was angry.",
    "Called my sister. We laughed about the old flat and the broken boiler.",
    "Nothing in particular happened, which was nice for a change.",
    "Tried the breathing exercise before the meeting. It took the edge off, "
    "though I still rushed my words when it was my turn to speak.",
    "Felt the familiar dread on Sunday evening. Wrote down the three things that "
    "worried me most; two of them looked smaller on paper.",
    "Good day. Cooked properly, went to bed on time.",
)


# --- environment and Django ---------------------------------------------------


def configure_environment(dynamodb_url: str) -> None:
    """Production-like settings for this process and, inherited, for gunicorn.

    Set before django.setup(): therapy_site.settings reads the environment once.
    """
    os.environ.update(
        {
            "DYNAMODB_ENDPOINT_URL": dynamodb_url,
            "DJANGO_SETTINGS_MODULE": "therapy_site.settings",
            "DJANGO_SECRET_KEY": BENCH_SECRET_KEY,
            # A fresh master key per run: the bench's engine starts empty each time.
            "DATA_ENCRYPTION_KEYS": "bench:" + base64.b64encode(os.urandom(32)).decode(),
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # No TLS in front of the bench server; a redirect would make every answer a 301.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            # The local engine ignores credentials, but botocore insists on having some,
            # and real ones from the caller's environment must never reach it.
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)


def set_up_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    from portal.dynamo.connection import get_gateway
    from portal.dynamo.tables import create_missing_tables

    create_missing_tables(get_gateway())
    # With DEBUG off the settings use whitenoise's manifest storage, and {% static %}
    # fails (a 500) without a manifest. collectstatic is the production deploy step
    # (README); it is incremental, so running it every time also picks up static
    # files added since the last run. It writes var/staticfiles (git-ignored).
    call_command("collectstatic", interactive=False, verbosity=0)


# --- seeding --------------------------------------------------------------------


@dataclass
class BenchClient:
    label: str
    entries: int
    client_id: str
    session_key: str


def _entry_id(moment: datetime, rng: random.Random) -> str:
    # Entry ids are ULIDs made when the entry was written; a ULID carrying the
    # entry's own creation time keeps "newest written first" meaningful for
    # entries back-dated over two years (ULID() would stamp them all "now").
    from ulid import ULID

    milliseconds = int(moment.timestamp() * 1000)
    return str(ULID.from_bytes(milliseconds.to_bytes(6, "big") + rng.randbytes(10)))


def make_entries(client_id: str, count: int, rng: random.Random) -> list[JournalEntry]:
    """``count`` JournalEntry values over the last ~2 years, in time order."""
    from portal.domain import FEELINGS, MAX_INTENSITY, MIN_INTENSITY, JournalEntry

    now = datetime.now(UTC)
    span = timedelta(days=730)
    moments = sorted(now - span * rng.random() for _ in range(count))
    entries: list[JournalEntry] = []
    for moment in moments:
        # Written a little after the feeling, never in the future.
        created_at = min(now, moment + timedelta(minutes=rng.uniform(0, 360)))
        shared_at = None
        if rng.random() < 0.2:
            shared_at = min(now, created_at + timedelta(hours=rng.uniform(0, 72)))
        entries.append(
            JournalEntry(
                client_id=client_id,
                entry_id=_entry_id(created_at, rng),
                time_of_emotion=moment,
                feeling=rng.choice(FEELINGS),
                intensity=rng.randint(MIN_INTENSITY, MAX_INTENSITY),
                note=rng.choice(NOTES) if rng.random() < 0.5 else "",
                shared_at=shared_at,
                created_at=created_at,
            )
        )
    return entries


def batch_write_entries(entries: list[JournalEntry]) -> None:
    """Write entries with BatchWriteItem, 25 at a time, retrying UnprocessedItems.

    5,000 PutItems through the repository would dominate the run; a batch write
    of exactly the items the repository writes is ~25x fewer round trips.
    """
    from portal.dynamo.connection import get_gateway
    from portal.dynamo.gateway import serialize_item

    # stored_item is the shape the journal repository writes (attributes, ISO
    # formats, the index attributes): the seeded items are what the page reads.
    from portal.dynamo.journal import stored_item
    from portal.dynamo.schema import JOURNAL

    gateway = get_gateway()
    table = gateway.table_name(JOURNAL)
    for start in range(0, len(entries), BATCH_WRITE_LIMIT):
        requests = [
            {"PutRequest": {"Item": serialize_item(stored_item(entry))}}
            for entry in entries[start : start + BATCH_WRITE_LIMIT]
        ]
        for attempt in range(BATCH_WRITE_RETRIES + 1):
            response = gateway.client.batch_write_item(RequestItems={table: requests})
            requests = response.get("UnprocessedItems", {}).get(table, [])
            if not requests:
                break
            time.sleep(min(1.0, 0.02 * 2**attempt))
        else:
            raise RuntimeError(f"BatchWriteItem left {len(requests)} items unprocessed")


def create_client(label: str, entries: int, rng: random.Random) -> BenchClient:
    from portal.domain import AccountKind
    from portal.dynamo.account_store import AccountStore
    from portal.services.accounts import client_sign_up

    client = client_sign_up(
        email=f"bench-{entries}-{rng.getrandbits(40):x}@example.com",
        name=f"Bench Client ({label})",
        password=BENCH_PASSWORD,
        time_zone="Europe/London",
    )
    AccountStore().mark_email_verified(AccountKind.CLIENT, client.client_id)
    batch_write_entries(make_entries(client.client_id, entries, rng))
    return BenchClient(label, entries, client.client_id, log_in(client))


def log_in(client: Client) -> str:
    """A logged-in session for ``client``, made as django.contrib.auth.login() would; its key.

    Skipping the login form keeps Argon2 and the login throttle out of the bench.
    """
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from portal.accounts.session_store import SessionStore
    from portal.accounts.user import User
    from portal.domain import AccountKind

    # Ignore: portal's Account protocol declares settable attributes, which a frozen
    # Client dataclass does not have; from_account only reads them.
    user = User.from_account(AccountKind.CLIENT, client)  # type: ignore[arg-type]
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)  # "client:<clientId>"
    session[BACKEND_SESSION_KEY] = "portal.accounts.backends.ClientBackend"
    # Without the hash, auth's get_user() treats the session as stale and logs it out.
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    assert session.session_key is not None
    return str(session.session_key)


# --- the server ---------------------------------------------------------------------


def start_gunicorn(port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    command = [
        # The interpreter running this script is the one with the project's
        # dependencies (the venv's, via `make bench`).
        sys.executable,
        "-m",
        "gunicorn",
        "therapy_site.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(GUNICORN_WORKERS),
        # Gunicorn 27 otherwise opens a control socket at a fixed path in $HOME,
        # which a second server (a concurrent run, a developer's own gunicorn)
        # would fight over; the bench never uses it.
        "--no-control-socket",
    ]
    # The environment configured above (endpoint, secret key, DEBUG off) is inherited.
    return subprocess.Popen(command, cwd=ROOT, env=dict(os.environ), stdout=log, stderr=log)


def wait_until_healthy(server: subprocess.Popen[bytes], port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start with code {server.returncode}")
        status, _ = timed_get(port, "/healthz", cookie=None)
        if status == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz with 200 within {timeout:.0f} s")


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()  # SIGTERM: gunicorn's graceful shutdown
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def log_tail(lines: int = 30) -> str:
    try:
        return "\n".join(GUNICORN_LOG.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no gunicorn log)"


# --- measuring ----------------------------------------------------------------------


def timed_get(port: int, path: str, cookie: str | None) -> tuple[int, float]:
    """One GET on a fresh connection: (status, milliseconds); status 0 if it failed.

    Gunicorn's sync workers close the connection after each response, so a fresh
    connection per request is what any client gets; its cost is in the timing.
    """
    headers = {"Cookie": cookie} if cookie else {}
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        connection.close()
    return status, (time.perf_counter() - started) * 1000


@dataclass
class Timing:
    requests: int
    ok: int
    statuses: dict[str, int]
    p50_ms: float | None
    p95_ms: float | None
    mean_ms: float | None
    min_ms: float | None
    max_ms: float | None

    @property
    def failures(self) -> int:
        return self.requests - self.ok


def percentile(values: list[float], fraction: float) -> float:
    # Linear interpolation between closest ranks (what numpy calls "linear").
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(latencies: list[float], statuses: dict[str, int], requests: int) -> Timing:
    # Only 200s are timed: a 404 or a redirect to the login page is fast and would
    # flatter the numbers; any non-200 fails the run anyway.
    have = bool(latencies)
    return Timing(
        requests=requests,
        ok=len(latencies),
        statuses=dict(sorted(statuses.items())),
        p50_ms=percentile(latencies, 0.50) if have else None,
        p95_ms=percentile(latencies, 0.95) if have else None,
        mean_ms=statistics.fmean(latencies) if have else None,
        min_ms=min(latencies) if have else None,
        max_ms=max(latencies) if have else None,
    )


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


@dataclass
class CallCount:
    status: int
    total: int
    by_operation: dict[str, int] = field(default_factory=dict)


def count_calls(path: str, session_key: str) -> CallCount:
    """The DynamoDB calls one request of ``path`` makes, counted in this process."""
    from django.conf import settings
    from django.test import Client as HttpClient

    from portal.dynamo.call_counter import count_dynamodb_calls

    # A Host in ALLOWED_HOSTS, or every request is a 400.
    http = HttpClient(HTTP_HOST=HOST, SERVER_NAME=HOST)
    http.cookies[settings.SESSION_COOKIE_NAME] = session_key
    with count_dynamodb_calls() as log:
        response = http.get(path)
    return CallCount(response.status_code, log.total, log.by_operation())


# --- reporting ----------------------------------------------------------------------


def ratio(large: float | None, small: float | None) -> float | None:
    if large is None or small is None or small <= 0:
        return None
    return large / small


def _fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


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


def _raise_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # Python's default SIGTERM ends the process without running `finally`,
    # which would leave gunicorn and dynoxide running.
    print("\nterminated", file=sys.stderr)
    raise SystemExit(128 + signum)


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
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        stop_process(server)
        if engine is not None:
            engine.stop()


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    return run(options)


if __name__ == "__main__":
    raise SystemExit(main())
