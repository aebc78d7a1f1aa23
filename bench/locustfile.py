"""The users of `make load` (bench/load.py starts locust with this file; not for use on its own).

Clients read their home, journal and chart, write journal entries through the
plain form (CSRF token and every hidden field taken from the page, as a browser
would), read their conversation and send messages; therapists read their home,
a client's shared journal, their agenda and a thread, and reply. Sessions were
made by bench/load.py and are handed over in the JSON file named by
BENCH_LOAD_ACCOUNTS. Runs in locust's own process (gevent), never imported by Django.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import HttpUser, between, task

with open(os.environ["BENCH_LOAD_ACCOUNTS"]) as _accounts_file:
    ACCOUNTS: dict[str, Any] = json.load(_accounts_file)

_clients = itertools.cycle(ACCOUNTS["clients"])
_therapists = itertools.cycle(ACCOUNTS["therapists"])
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
_FORM = re.compile(r'<form[^>]*method="post"[^>]*action="/client/journal/"[^>]*>(.*?)</form>', re.S)
_MESSAGE_FORM = re.compile(r'<form[^>]*method="post"[^>]*class="message-form"[^>]*>(.*?)</form>', re.S)


class PortalUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)

    def use_session(self, session_key: str) -> None:
        # The cookies are Secure in production settings; the bench speaks plain
        # HTTP on 127.0.0.1, so they are set by hand (a jar would withhold them).
        self.client.cookies.set(ACCOUNTS["session_cookie"], session_key)

    def keep_cookies(self, response: Any) -> None:
        for name, value in response.cookies.items():
            self.client.cookies.set(name, value)

    def send_message(self, other_id: str) -> None:
        """Open the thread and post its plain form (a stored message redirects back to the thread)."""
        page = self.read(f"/messages/{other_id}/", "thread (before sending)")
        form = _MESSAGE_FORM.search(page.text or "")
        if form is None:
            page.failure("no message form")
            return
        fields = dict(_HIDDEN.findall(form.group(1)))
        fields["content"] = "load test message"
        with self.client.post(
            f"/messages/{other_id}/",
            data=fields,
            name="send message",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code}")

    def read(self, path: str, name: str) -> Any:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            self.keep_cookies(response)
            return response


class ClientUser(PortalUser):
    weight = 3

    def on_start(self) -> None:
        self.account = next(_clients)
        self.use_session(self.account["session_key"])

    @task(3)
    def journal(self) -> None:
        self.read("/client/journal/", "journal")

    @task(1)
    def home(self) -> None:
        self.read("/client/", "client home")

    @task(1)
    def chart(self) -> None:
        self.read("/client/journal/chart/", "chart")

    @task(1)
    def thread(self) -> None:
        self.read(f"/messages/{self.account['therapist_id']}/", "thread")

    @task(1)
    def message(self) -> None:
        self.send_message(self.account["therapist_id"])

    @task(2)
    def write_entry(self) -> None:
        page = self.read("/client/journal/", "journal (before writing)")
        form = _FORM.search(page.text or "")
        fields = dict(_HIDDEN.findall(form.group(1) if form else page.text or ""))
        moment = datetime.now(UTC) - timedelta(hours=2, minutes=random.randint(0, 600))
        fields.update(
            {
                "time_of_emotion": moment.strftime("%Y-%m-%dT%H:%M"),
                "feeling": random.choice(ACCOUNTS["feelings"]),
                "intensity": str(random.randint(1, 10)),
                "note": "load test entry",
            }
        )
        with self.client.post(
            "/client/journal/",
            data=fields,
            headers={"Referer": f"{self.host}/client/journal/"},
            name="write entry",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # A stored entry redirects back to the journal (post/redirect/get).
            if response.status_code != 302:
                response.failure(f"{response.status_code}")


class TherapistUser(PortalUser):
    weight = 1

    def on_start(self) -> None:
        self.account = next(_therapists)
        self.use_session(self.account["session_key"])

    @task(1)
    def home(self) -> None:
        self.read("/therapist/", "therapist home")

    @task(2)
    def client_journal(self) -> None:
        client_id = random.choice(self.account["client_ids"])
        self.read(f"/therapist/clients/{client_id}/journal/", "therapist: client journal")

    @task(1)
    def agenda(self) -> None:
        self.read("/therapist/sessions/", "agenda")

    @task(1)
    def reply(self) -> None:
        self.send_message(random.choice(self.account["client_ids"]))
