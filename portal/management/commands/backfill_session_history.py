"""Give sessions closed before "since last session" kept its times what the panel reads (run once after upgrading)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.services.session_history import session_history_backfill


class Command(BaseCommand):
    help = (
        "Set lastSessionAt on relationship records and previousSessionAt on closed sessions from the closed "
        "sessions themselves; safe to run twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = session_history_backfill()
        self.stdout.write(
            f"{result.pairs} pairs with closed sessions: {result.previous_times_set} previous-session times set, "
            f"{result.records_moved} relationship records moved forward."
        )
