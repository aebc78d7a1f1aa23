"""What every benchmark, load and fault run shares: the engine, Django, seeding, gunicorn, timing.

Each harness (bench/journal_page.py, bench/pages.py, bench/load.py, bench/faults.py)
runs the production configuration (DEBUG off, gunicorn with gunicorn.conf.py,
whitenoise, DynamoDB sessions) against dynoxide on 127.0.0.1 only, with a fixed
bench-only secret key and dummy AWS credentials that never reach AWS.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only for annotations: portal modules are imported after django.setup().
    from portal.domain import AccountKind, JournalEntry

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
GUNICORN_LOG = RESULTS_DIR / "gunicorn.log"
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


def configure_environment(dynamodb_url: str, settings_module: str = "therapy_site.settings") -> None:
    """Production-like settings for this process and, inherited, for gunicorn.

    Set before django.setup(): therapy_site.settings reads the environment once.
    """
    os.environ.update(
        {
            "DYNAMODB_ENDPOINT_URL": dynamodb_url,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DJANGO_SECRET_KEY": BENCH_SECRET_KEY,
            # A fresh master key per run: each harness's engine starts empty (the fault
            # run's restarted engine is read by this same process and its gunicorn).
            "DATA_ENCRYPTION_KEYS": "bench:" + base64.b64encode(os.urandom(32)).decode(),
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # No TLS in front of the bench server; a redirect would make every answer a 301.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            # The notices seeding sends (relationship answers, verifications) stay in memory.
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
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
    # Each harness runs its own prefix-less tables on its own engine.
    os.environ.pop("DYNAMODB_TABLE_PREFIX", None)


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
    # formats, the index attributes): the seeded items are what the pages read.
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
    return BenchClient(label, entries, client.client_id, log_in(AccountKind.CLIENT, client.client_id))


@dataclass
class BenchTherapist:
    therapist_id: str
    session_key: str


def create_therapist(rng: random.Random, client_ids: list[str]) -> BenchTherapist:
    """A verified therapist with two-factor on (as required) and active mappings to ``client_ids``."""
    from portal.domain import AccountKind
    from portal.dynamo.account_store import AccountStore
    from portal.services.accounts import therapist_sign_up

    therapist = therapist_sign_up(
        email=f"bench-therapist-{rng.getrandbits(40):x}@example.com",
        name="Dr. Bench Mark",
        password=BENCH_PASSWORD,
        specialization="anxiety",
        time_zone="Europe/London",
    )
    store = AccountStore()
    store.mark_email_verified(AccountKind.THERAPIST, therapist.therapist_id)
    # A fixed base32 secret: the bench never types a code, the session is made directly.
    store.enable_mfa(
        AccountKind.THERAPIST,
        therapist.therapist_id,
        secret="JBSWY3DPEHPK3PXP",
        recovery_hashes=set(),
        last_step=0,
    )
    for client_id in client_ids:
        connect(client_id, therapist.therapist_id)
    return BenchTherapist(
        therapist.therapist_id, log_in(AccountKind.THERAPIST, therapist.therapist_id)
    )


def connect(client_id: str, therapist_id: str) -> None:
    """An active care relationship made as the product makes it: the client asks, the therapist accepts.

    So the mapping, the relationship record and the names on both are what the
    pages read in production. A client's session made before this still says
    nobody reads their journal: log them in again afterwards.
    """
    from portal.services.auth import load_user
    from portal.services.relationships import relationship_accept, relationship_request

    client = load_user(f"client:{client_id}")
    therapist = load_user(f"therapist:{therapist_id}")
    if client is None or therapist is None:
        raise RuntimeError(f"no accounts client {client_id} / therapist {therapist_id}")
    portal_url = f"http://{HOST}/"
    relationship_request(user=client, therapist_id=therapist_id, portal_url=portal_url)
    relationship_accept(user=therapist, other_id=client_id, portal_url=portal_url)


def log_in(kind: AccountKind, account_id: str) -> str:
    """A logged-in session for the account, made by django.contrib.auth.login(); its key.

    Django's test client's force_login runs the real login() (signals, whatever
    the session carries), while skipping the login form keeps Argon2, two-factor
    and the login throttle out of the measurements.
    """
    from django.conf import settings
    from django.test import Client as HttpClient

    from portal.accounts.backends import BACKEND_FOR_KIND
    from portal.services.auth import load_user

    user = load_user(f"{kind}:{account_id}")
    if user is None:
        raise RuntimeError(f"no {kind} account {account_id}")
    http = HttpClient(HTTP_HOST=HOST, SERVER_NAME=HOST)
    http.force_login(user, backend=BACKEND_FOR_KIND[user.kind])
    return str(http.cookies[settings.SESSION_COOKIE_NAME].value)


# --- the server ---------------------------------------------------------------------


def start_gunicorn(
    port: int,
    log: IO[bytes],
    *,
    workers: int = GUNICORN_WORKERS,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """gunicorn with the project's gunicorn.conf.py (read from ROOT), bound to 127.0.0.1 only."""
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
        str(workers),
    ]
    # By default the environment configured above (endpoint, secret key, DEBUG off) is inherited.
    return subprocess.Popen(
        command, cwd=ROOT, env=dict(os.environ if env is None else env), stdout=log, stderr=log
    )


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


def log_tail(lines: int = 30, path: Path = GUNICORN_LOG) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
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


def fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def raise_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # Python's default SIGTERM ends the process without running `finally`,
    # which would leave gunicorn and dynoxide running.
    print("\nterminated", file=sys.stderr)
    raise SystemExit(128 + signum)


def bench_main(run: Callable[[argparse.Namespace], int], options: argparse.Namespace) -> int:
    """Every bench's entry point: ``run`` stops what it started in its own ``finally``; a SIGTERM
    or a Ctrl-C reaches that ``finally`` and ends the bench with the usual exit status."""
    signal.signal(signal.SIGTERM, raise_on_sigterm)
    try:
        return run(options)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130




def capture_calls(path: str, session_key: str) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
    """One in-process request of ``path``: its status and its DynamoDB requests, in order.

    The same hook point as portal.dynamo.call_counter, keeping each request's
    parameters (client method name, request) so a floor view can replay them.
    """
    import copy

    from botocore import xform_name
    from django.conf import settings
    from django.test import Client as HttpClient

    from portal.dynamo.connection import get_gateway

    calls: list[tuple[str, dict[str, Any]]] = []

    def hook(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((xform_name(model.name), copy.deepcopy(params)))

    events = get_gateway().client.meta.events
    events.register("before-parameter-build.dynamodb", hook, unique_id="bench-capture-calls")
    try:
        http = HttpClient(HTTP_HOST=HOST, SERVER_NAME=HOST)
        http.cookies[settings.SESSION_COOKIE_NAME] = session_key
        response = http.get(path)
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id="bench-capture-calls")
    return response.status_code, calls
