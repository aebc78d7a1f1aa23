"""Concurrent bookings of one time (`make bench-booking`): however many ask at once, one session per time.

Twenty clients of one therapist open the request page of the same open time
over HTTP (gunicorn, 2 sync workers, on dynoxide, all on 127.0.0.1), then post
it at the same moment, round after round, each round a new time. Each round
must answer exactly one redirect (the booked session) and a 409 "time just
taken" to everyone else, and the Session table must then hold exactly one
session per time, each with its claim. Reports requests per second and
p50/p95 latency; exits 1 on any double booking.

    python -m bench.booking [--clients 20] [--rounds 10]

Writes bench/results/booking.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
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

RESULTS_FILE = RESULTS_DIR / "booking.json"
REQUEST_TIMEOUT = 30.0
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _request(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, list[tuple[str, str]], str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


def _cookies(jar: dict[str, str], headers: list[tuple[str, str]]) -> None:
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]


def run(options: argparse.Namespace) -> int:
    engine: dynoxide.Engine | None = None
    server: subprocess.Popen[bytes] | None = None
    try:
        engine = dynoxide.start()
        configure_environment(engine.url)
        set_up_django()
        from datetime import time as clock

        from django.conf import settings

        from portal.availability import Availability, HoursRange
        from portal.domain import AccountKind
        from portal.dynamo.booking import BookingRepository
        from portal.dynamo.sessions import SessionRepository

        rng = random.Random(options.seed)
        therapist = create_therapist(rng, [])
        BookingRepository().save_availability(
            Availability(
                therapist_id=therapist.therapist_id,
                zone="UTC",
                weekly_hours={d: (HoursRange(clock(0), clock(23, 59)),) for d in range(7)},
                notice_hours=0,
            ),
            expected_version=0,
        )
        jars: list[dict[str, str]] = []
        for n in range(options.clients):
            client = create_client(f"booking-{n}", 0, rng)
            connect(client.client_id, therapist.therapist_id)
            jars.append({settings.SESSION_COOKIE_NAME: log_in(AccountKind.CLIENT, client.client_id)})
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        port = dynoxide.free_port()
        first = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
        latencies: list[float] = []
        statuses: Counter[str] = Counter()
        problems: list[str] = []
        started = time.perf_counter()
        with GUNICORN_LOG.open("wb") as log:
            server = start_gunicorn(port, log)
            try:
                wait_until_healthy(server, port)
            except RuntimeError:
                print(log_tail(), file=sys.stderr)
                raise
            path = f"/booking/{therapist.therapist_id}/request/"
            for round_number in range(options.rounds):
                start = first + timedelta(hours=round_number)
                key = start.strftime("%Y-%m-%dT%H:%MZ")
                forms = []
                for jar in jars:
                    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
                    status, headers, html = _request(port, "GET", f"{path}?start={key}", {"Cookie": cookie})
                    _cookies(jar, headers)
                    found_key, csrf = _KEY.search(html), _CSRF.search(html)
                    if status != 200 or found_key is None or csrf is None:
                        raise RuntimeError(f"request page answered {status}")
                    forms.append((unescape(found_key.group(1)), unescape(csrf.group(1))))
                barrier = threading.Barrier(len(jars))

                def post(
                    n: int, key: str = key, forms: list[tuple[str, str]] = forms, barrier: threading.Barrier = barrier
                ) -> int:
                    form_key, csrf = forms[n]
                    body = urlencode(
                        {"start": key, "message": "", "idempotency_key": form_key, "csrfmiddlewaretoken": csrf}
                    )
                    headers = {
                        "Cookie": "; ".join(f"{k}={v}" for k, v in jars[n].items()),
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-CSRFToken": csrf,
                    }
                    barrier.wait(timeout=60)
                    began = time.perf_counter()
                    status, _, _ = _request(port, "POST", path, headers, body)
                    latencies.append((time.perf_counter() - began) * 1000)
                    return status

                with ThreadPoolExecutor(max_workers=len(jars)) as pool:
                    answers = list(pool.map(post, range(len(jars))))
                statuses.update(str(a) for a in answers)
                if sorted(answers) != [302] + [409] * (len(jars) - 1):
                    problems.append(f"round {round_number}: answers {sorted(answers)}")
                held = [
                    s
                    for s in SessionRepository()
                    .list_by_therapist(therapist.therapist_id, after=start, before=start + timedelta(minutes=1))
                    .items
                ]
                if len(held) != 1:
                    problems.append(f"round {round_number}: {len(held)} sessions at {key}")
                claim = BookingRepository().claim(therapist.therapist_id, start)
                if claim is None or not held or claim.session_id != held[0].session_id:
                    problems.append(f"round {round_number}: the claim does not name the one session")
        seconds = time.perf_counter() - started
        summary: dict[str, Any] = {
            "benchmark": "booking",
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "clients": options.clients,
            "rounds": options.rounds,
            "requests": len(latencies),
            "seconds": round(seconds, 2),
            "p50_ms": round(percentile(latencies, 0.50), 1) if latencies else None,
            "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
            "statuses": dict(sorted(statuses.items())),
            "problems": problems,
            "gunicorn_workers": GUNICORN_WORKERS,
            "cores": os.cpu_count(),
            "passed": not problems,
        }
        print(
            f"{options.rounds} rounds of {options.clients} clients asking for one time at once: "
            f"answers {summary['statuses']}, p50 {fmt(summary['p50_ms'])} ms, p95 {fmt(summary['p95_ms'])} ms"
        )
        for problem in problems:
            print(f"  PROBLEM: {problem}")
        RESULTS_FILE.write_text(json.dumps(summary, indent=2) + "\n")
        print(f"results written to {RESULTS_FILE.relative_to(ROOT)}")
        return 1 if problems else 0
    finally:
        stop_process(server)
        if engine is not None:
            engine.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.booking", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="clients asking at once (default: %(default)s)")
    parser.add_argument(
        "--rounds", type=int, default=10, help="times asked for, one after another (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=20261208)
    options = parser.parse_args(argv)
    if options.clients < 2 or options.rounds < 1:
        parser.error("need at least two clients and one round")
    return options


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
