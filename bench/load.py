"""A load run (`make load`): locust against gunicorn (2 workers) on dynoxide, all on 127.0.0.1.

Clients journal and read (home, journal, chart, writing entries through the
form); therapists read (their home, a client's shared journal). Headless and
bounded in time. Reports requests per second, p50/p95 and errors per request
kind and in total, and fails (exit 1) on any error. The machine's cores are
shared by the engine, gunicorn and locust itself: the figures say so.

    python -m bench.load [--users 20] [--spawn-rate 5] [--seconds 60]

Writes bench/results/load.json (and locust's CSVs under bench/results/load_*).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.harness import (
    GUNICORN_LOG,
    GUNICORN_WORKERS,
    HOST,
    RESULTS_DIR,
    ROOT,
    bench_main,
    configure_environment,
    create_client,
    create_therapist,
    log_in,
    log_tail,
    set_up_django,
    start_gunicorn,
    stop_process,
    wait_until_healthy,
)
from devtools import dynoxide

RESULTS_FILE = RESULTS_DIR / "load.json"
ACCOUNTS_FILE = RESULTS_DIR / "load_accounts.json"
CSV_PREFIX = RESULTS_DIR / "load"
LOCUSTFILE = ROOT / "bench" / "locustfile.py"


def seed(clients: int, therapists: int, rng: random.Random) -> dict[str, Any]:
    from django.conf import settings

    from portal.domain import FEELINGS, AccountKind

    made = [create_client(f"load-{i}", 30, rng) for i in range(clients)]
    per_therapist = max(1, clients // max(1, therapists))
    therapist_accounts = []
    therapist_of: dict[str, str] = {}
    for i in range(therapists):
        mine = [c.client_id for c in made[i * per_therapist : (i + 1) * per_therapist]] or [made[0].client_id]
        therapist = create_therapist(rng, mine)
        therapist_of.update(dict.fromkeys(mine, therapist.therapist_id))
        therapist_accounts.append({"session_key": therapist.session_key, "client_ids": mine})
    return {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "feelings": list(FEELINGS),
        # Logged in again once connected: the session carries who reads the client's journal.
        "clients": [
            {
                "session_key": log_in(AccountKind.CLIENT, c.client_id),
                "client_id": c.client_id,
                "therapist_id": therapist_of.get(c.client_id),
            }
            for c in made
        ],
        "therapists": therapist_accounts,
    }


def run_locust(port: int, options: argparse.Namespace) -> int:
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        f"http://{HOST}:{port}",
        "--users",
        str(options.users),
        "--spawn-rate",
        str(options.spawn_rate),
        "--run-time",
        f"{options.seconds}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(CSV_PREFIX),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "BENCH_LOAD_ACCOUNTS": str(ACCOUNTS_FILE)}
    # Bounded twice: locust's own --run-time, and a hard stop here.
    try:
        return subprocess.run(command, cwd=ROOT, env=env, timeout=options.seconds + 60).returncode
    except subprocess.TimeoutExpired:
        print("locust did not stop in time", file=sys.stderr)
        return 1


def read_stats() -> list[dict[str, str]]:
    with open(f"{CSV_PREFIX}_stats.csv", newline="") as stats:
        return list(csv.DictReader(stats))


def _float(row: dict[str, str], key: str) -> float:
    try:
        return float(row.get(key) or 0)
    except ValueError:
        return 0.0


def report(rows: list[dict[str, str]], options: argparse.Namespace) -> dict[str, Any]:
    table: list[dict[str, Any]] = [
        {
            "name": row["Name"],
            "requests": int(_float(row, "Request Count")),
            "failures": int(_float(row, "Failure Count")),
            "rps": _float(row, "Requests/s"),
            "p50_ms": _float(row, "50%"),
            "p95_ms": _float(row, "95%"),
        }
        for row in rows
    ]
    widths = (34, 9, 9, 8, 8, 8)
    print()
    print(
        f"{'request':<{widths[0]}}{'requests':>{widths[1]}}{'failures':>{widths[2]}}"
        f"{'req/s':>{widths[3]}}{'p50 ms':>{widths[4]}}{'p95 ms':>{widths[5]}}"
    )
    for line in table:
        print(
            f"{line['name'][: widths[0] - 1]:<{widths[0]}}{line['requests']:>{widths[1]}}"
            f"{line['failures']:>{widths[2]}}{line['rps']:>{widths[3]}.1f}"
            f"{line['p50_ms']:>{widths[4]}.0f}{line['p95_ms']:>{widths[5]}.0f}"
        )
    cores = os.cpu_count()
    print(
        f"\n{options.users} simulated users for {options.seconds} s against gunicorn ({GUNICORN_WORKERS} sync "
        f"workers). This machine has {cores} cores, shared by gunicorn, the local engine (dynoxide) and "
        "locust itself, so these figures are a floor for one host, not a capacity plan for AWS."
    )
    return {"requests": table, "cores": cores}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="simulated users (default: %(default)s)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second (default: %(default)s)")
    parser.add_argument("--seconds", type=int, default=60, help="length of the run (default: %(default)s)")
    parser.add_argument("--clients", type=int, default=15, help="client accounts (default: %(default)s)")
    parser.add_argument("--therapists", type=int, default=5, help="therapist accounts (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=20261126)
    return parser.parse_args(argv)


def run(options: argparse.Namespace) -> int:
    engine: dynoxide.Engine | None = None
    server: subprocess.Popen[bytes] | None = None
    try:
        begun = time.monotonic()
        engine = dynoxide.start()
        configure_environment(engine.url)
        set_up_django()
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        ACCOUNTS_FILE.write_text(json.dumps(seed(options.clients, options.therapists, random.Random(options.seed))))
        port = dynoxide.free_port()
        with GUNICORN_LOG.open("wb") as log:
            server = start_gunicorn(port, log)
            try:
                wait_until_healthy(server, port)
            except RuntimeError:
                print(log_tail(), file=sys.stderr)
                raise
            print(f"gunicorn ({GUNICORN_WORKERS} workers) at http://{HOST}:{port}; locust for {options.seconds} s ...")
            locust_code = run_locust(port, options)
        rows = read_stats()
        summary = report(rows, options)
        requests: list[dict[str, Any]] = summary["requests"]
        total = next((r for r in requests if r["name"] == "Aggregated"), None)
        failures = int(total["failures"]) if total else -1
        RESULTS_FILE.write_text(
            json.dumps(
                {
                    "benchmark": "load",
                    "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "users": options.users,
                    "seconds": options.seconds,
                    "gunicorn_workers": GUNICORN_WORKERS,
                    "python": platform.python_version(),
                    **summary,
                    "locust_exit_code": locust_code,
                    "duration_s": round(time.monotonic() - begun, 1),
                },
                indent=2,
            )
            + "\n"
        )
        print(f"results written to {RESULTS_FILE.relative_to(ROOT)}")
        if failures != 0 or locust_code not in (0,):
            print(f"FAIL: {failures} failed requests (locust exit code {locust_code}); see {CSV_PREFIX}_failures.csv")
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
