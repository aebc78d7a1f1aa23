"""Give accounts made before staff search the keys of its indexes (run once after upgrading)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.services.directory import account_search_backfill


class Command(BaseCommand):
    help = "Write the name and email search keys on every client and therapist account; safe to run twice."

    def handle(self, *args: Any, **options: Any) -> None:
        written = account_search_backfill()
        self.stdout.write(f"{written} accounts given search keys.")
