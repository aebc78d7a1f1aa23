"""Give sessions stored before the section indexes existed their section keys (run once after upgrading)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.dynamo.sessions import SessionRepository


class Command(BaseCommand):
    help = (
        "Set therapistSection and clientSection on every session from its status, so the session lists "
        "(upcoming, requests, history) find sessions made before they were keyed; safe to run twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        written = SessionRepository().backfill_sections()
        self.stdout.write(f"{written} sessions given their section keys.")
