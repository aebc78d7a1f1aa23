"""Fault run (`make faults`): stop, resume, kill and restart the database under a write load.

Writers (one client account each) keep adding journal entries through the plain
form on gunicorn (2 workers); the engine (dynoxide) keeps its data in a file.
Meanwhile this script:

1. freezes the engine (SIGSTOP) for a while, then resumes it (SIGCONT);
2. kills it (SIGKILL), waits, and starts it again on the same file and port.

It reports, for each fault, the time from the fault to the first 503 page a
writer got, and from the end of the fault to the first stored write. A writer
whose submission failed (a 503 or no answer) sends the same form again, as a
person would, until it is acknowledged (the redirect after a stored entry). At
the end it reads the Journal table directly: every acknowledged write must be
stored exactly once (each write has its own time of emotion, an index key that
stays readable). All on 127.0.0.1, bounded in time.

    python -m bench.faults [--writers 4] [--stop-seconds 15] [--down-seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from bench.harness import (
    GUNICORN_LOG,
    GUNICORN_WORKERS,
    HOST,
    RESULTS_DIR,
    ROOT,
    BenchClient,
    bench_main,
    configure_environment,
    create_client,
    log_tail,
    set_up_django,
    start_gunicorn,
    stop_process,
    wait_until_healthy,
)
from devtools import dynoxide

RESULTS_FILE = RESULTS_DIR / "faults.json"
CLIENT_TIME_ZONE = ZoneInfo("Europe/London")  # harness.create_client's
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
_FORM = re.compile(r'<form[^>]*method="post"[^>]*action="/client/journal/"[^>]*>(.*?)</form>', re.S)


@dataclass
class Event:
    at: float  # time.monotonic()
    status: int  # 0: no answer (refused, reset, timed out)


@dataclass
class Writer:
    client: BenchClient
    index: int
    acknowledged: list[datetime] = field(default_factory=list)  # local times of emotion
    attempted: list[datetime] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int) -> None:
        with self.lock:
            self.events.append(Event(time.monotonic(), status))


def _moment(writer: int, sequence: int) -> datetime:
    # A distinct minute per write, in the past, in the client's own time zone (what the form takes).
    base = datetime.now(CLIENT_TIME_ZONE).replace(second=0, microsecond=0, tzinfo=None) - timedelta(days=3)
    return base - timedelta(minutes=sequence * 16 + writer)


def write_loop(writer: Writer, base_url: str, cookie_name: str, stop: threading.Event) -> None:
    cookies = {cookie_name: writer.client.session_key}
    sequence = 0
    while not stop.is_set():
        moment = _moment(writer.index, sequence)
        sequence += 1
        writer.attempted.append(moment)
        fields: dict[str, str] | None = None
        # One logical write: get a form, then submit it until it is acknowledged.
        while not stop.is_set():
            try:
                if fields is None:
                    page = requests.get(f"{base_url}/client/journal/", cookies=cookies, timeout=60)
                    writer.record(page.status_code)
                    if page.status_code != 200:
                        time.sleep(0.2)
                        continue
                    token = page.cookies.get("csrftoken")
                    if token:
                        cookies["csrftoken"] = token
                    form = _FORM.search(page.text)
                    fields = dict(_HIDDEN.findall(form.group(1) if form else page.text))
                    fields.update(
                        {
                            "time_of_emotion": moment.strftime("%Y-%m-%dT%H:%M"),
                            "feeling": "calm",
                            "intensity": str(1 + sequence % 10),
                            "note": "",
                        }
                    )
                answer = requests.post(
                    f"{base_url}/client/journal/",
                    data=fields,
                    cookies=cookies,
                    headers={"Referer": f"{base_url}/client/journal/"},
                    allow_redirects=False,
                    timeout=60,
                )
                writer.record(answer.status_code)
                if answer.status_code == 302:
                    writer.acknowledged.append(moment)
                    break
                if answer.status_code not in (503, 500, 502):
                    raise RuntimeError(f"unexpected answer {answer.status_code} to a journal POST")
            except requests.RequestException:
                writer.record(0)
            time.sleep(0.2)


def first_event(writers: list[Writer], after: float, statuses: set[int]) -> float | None:
    times = [e.at for w in writers for e in list(w.events) if e.at >= after and e.status in statuses]
    return min(times) - after if times else None


def stored_times(client_id: str) -> Counter[datetime]:
    """Every stored entry's time of emotion for ``client_id``, read straight from the table."""
    from portal.dynamo.connection import get_gateway
    from portal.dynamo.schema import JOURNAL

    gateway = get_gateway()
    counts: Counter[datetime] = Counter()
    request: dict[str, Any] = {
        "TableName": gateway.table_name(JOURNAL),
        "KeyConditionExpression": "clientId = :c",
        "ExpressionAttributeValues": {":c": {"S": client_id}},
        "ConsistentRead": True,
    }
    while True:
        page = gateway.client.query(**request)
        for item in page["Items"]:
            moment = datetime.fromisoformat(item["timeOfEmotion"]["S"])
            counts[moment.astimezone(UTC).replace(second=0, microsecond=0)] += 1
        if "LastEvaluatedKey" not in page:
            return counts
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def verify(writers: list[Writer]) -> dict[str, Any]:
    acknowledged = lost = duplicated = unacknowledged_stored = 0
    for writer in writers:
        counts = stored_times(writer.client.client_id)
        acked = set(writer.acknowledged)
        for moment in writer.attempted:
            key = moment.replace(tzinfo=CLIENT_TIME_ZONE).astimezone(UTC)
            stored = counts.get(key, 0)
            if moment in acked:
                acknowledged += 1
                lost += stored == 0
                duplicated += stored > 1
            else:
                unacknowledged_stored += stored
                duplicated += stored > 1
    return {
        "acknowledged_writes": acknowledged,
        "acknowledged_but_missing": lost,
        "stored_more_than_once": duplicated,
        "unacknowledged_but_stored": unacknowledged_stored,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=4, help="concurrent writers (default: %(default)s)")
    parser.add_argument("--steady-seconds", type=float, default=5, help="load between faults (default: %(default)s)")
    parser.add_argument("--stop-seconds", type=float, default=15, help="how long the engine is frozen (default: %(default)s)")
    parser.add_argument("--down-seconds", type=float, default=5, help="how long the engine is dead (default: %(default)s)")
    parser.add_argument("--recover-seconds", type=float, default=45, help="longest wait for recovery (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=20261126)
    return parser.parse_args(argv)


def wait_for(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.1)


def run(options: argparse.Namespace) -> int:
    engine: dynoxide.Engine | None = None
    server: subprocess.Popen[bytes] | None = None
    stop = threading.Event()
    threads: list[threading.Thread] = []
    with tempfile.TemporaryDirectory(prefix="faults-") as scratch:
        data_file = Path(scratch) / "engine.sqlite"
        try:
            begun = time.monotonic()
            engine = dynoxide.start(db_path=data_file)
            engine_port = engine.port
            configure_environment(engine.url)
            set_up_django()
            from django.conf import settings

            rng = random.Random(options.seed)
            seeded = 3
            writers = [Writer(create_client(f"writer-{i}", seeded, rng), i) for i in range(options.writers)]
            port = dynoxide.free_port()
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            with GUNICORN_LOG.open("wb") as log:
                server = start_gunicorn(port, log)
                try:
                    wait_until_healthy(server, port)
                except RuntimeError:
                    print(log_tail(), file=sys.stderr)
                    raise
                base_url = f"http://{HOST}:{port}"
                print(f"gunicorn ({GUNICORN_WORKERS} workers) at {base_url}; {options.writers} writers")
                for writer in writers:
                    thread = threading.Thread(
                        target=write_loop, args=(writer, base_url, settings.SESSION_COOKIE_NAME, stop), daemon=True
                    )
                    thread.start()
                    threads.append(thread)

                def succeeded_since(moment: float) -> bool:
                    return first_event(writers, moment, {302}) is not None

                def refused_since(moment: float) -> bool:
                    return first_event(writers, moment, {503}) is not None

                time.sleep(options.steady_seconds)
                faults: dict[str, dict[str, float | None]] = {}

                print(f"freezing the engine (SIGSTOP) for {options.stop_seconds:.0f} s ...")
                frozen = time.monotonic()
                engine.process.send_signal(signal.SIGSTOP)
                wait_for(lambda: refused_since(frozen), options.stop_seconds)
                time.sleep(max(0.0, options.stop_seconds - (time.monotonic() - frozen)))
                resumed = time.monotonic()
                engine.process.send_signal(signal.SIGCONT)
                wait_for(lambda: succeeded_since(resumed), options.recover_seconds)
                faults["sigstop"] = {
                    "seconds_to_503": first_event(writers, frozen, {503}),
                    "seconds_to_recover": first_event(writers, resumed, {302}),
                }
                time.sleep(options.steady_seconds)

                print(f"killing the engine (SIGKILL), restarting it after {options.down_seconds:.0f} s ...")
                killed = time.monotonic()
                engine.process.kill()
                engine.process.wait()
                wait_for(lambda: refused_since(killed), options.down_seconds)
                time.sleep(max(0.0, options.down_seconds - (time.monotonic() - killed)))
                restarted = time.monotonic()
                engine = dynoxide.start(port=engine_port, db_path=data_file)
                wait_for(lambda: succeeded_since(restarted), options.recover_seconds)
                faults["sigkill_restart"] = {
                    "seconds_to_503": first_event(writers, killed, {503}),
                    "seconds_to_recover": first_event(writers, restarted, {302}),
                }
                time.sleep(options.steady_seconds)
                stop.set()
                for thread in threads:
                    thread.join(timeout=90)

            outcome = verify(writers)
            statuses = Counter(e.status for w in writers for e in w.events)
            print()
            for name, figures in faults.items():
                print(
                    f"{name:<16} first 503 after {_seconds(figures['seconds_to_503'])}, "
                    f"first stored write {_seconds(figures['seconds_to_recover'])} after the engine was back"
                )
            print(f"answers seen by the writers: {dict(sorted(statuses.items()))} (0 = no answer)")
            print(
                f"{outcome['acknowledged_writes']} acknowledged writes: {outcome['acknowledged_but_missing']} missing, "
                f"{outcome['stored_more_than_once']} stored more than once; "
                f"{outcome['unacknowledged_but_stored']} unacknowledged attempts were stored"
            )
            RESULTS_FILE.write_text(
                json.dumps(
                    {
                        "benchmark": "faults",
                        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "writers": options.writers,
                        "stop_seconds": options.stop_seconds,
                        "down_seconds": options.down_seconds,
                        "gunicorn_workers": GUNICORN_WORKERS,
                        "python": platform.python_version(),
                        "cpus": os.cpu_count(),
                        "faults": faults,
                        "answers": {str(k): v for k, v in statuses.items()},
                        **outcome,
                        "duration_s": round(time.monotonic() - begun, 1),
                    },
                    indent=2,
                )
                + "\n"
            )
            print(f"results written to {RESULTS_FILE.relative_to(ROOT)}")
            failed = (
                outcome["acknowledged_but_missing"]
                or outcome["stored_more_than_once"]
                or any(f["seconds_to_503"] is None or f["seconds_to_recover"] is None for f in faults.values())
            )
            if failed:
                print("FAIL: a write was lost or doubled, or a fault gave no 503 or did not recover")
                return 1
            return 0
        finally:
            stop.set()
            stop_process(server)
            if engine is not None:
                if engine.process.poll() is None:
                    engine.process.send_signal(signal.SIGCONT)
                engine.stop()


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
