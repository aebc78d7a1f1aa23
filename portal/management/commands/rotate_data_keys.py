"""python manage.py rotate_data_keys: rewrap every data key under the newest master key.

Rotation, step by step: put the new master key FIRST in DATA_ENCRYPTION_KEYS,
keep the old ones after it, deploy, run this command until it reports nothing
left under an old key, then remove the old master keys. Safe to run twice and
to interrupt: a rerun skips what is already rewrapped (or resumes with
--cursor, printed after every page).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.domain import DatabaseUnavailable, UnreadableText
from portal.dynamo.field_crypto import master_keys, rotate_page


class Command(BaseCommand):
    help = "Rewrap every client data key under the first master key of DATA_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cursor", help="resume after the page that printed this cursor")
        parser.add_argument("--page-size", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        newest = master_keys()[0].key_id
        self.stdout.write(f"Rewrapping data keys under master key {newest!r}.")
        cursor: str | None = options["cursor"]
        totals = [0, 0, 0]
        try:
            while True:
                progress = rotate_page(cursor=cursor, limit=options["page_size"])
                totals[0] += progress.rewrapped
                totals[1] += progress.already_current
                totals[2] += progress.destroyed
                cursor = progress.next_cursor
                if cursor is None:
                    break
                self.stdout.write(f"... {totals[0]} rewrapped so far; resume with --cursor {cursor}")
        except DatabaseUnavailable as exc:
            raise CommandError(
                f"DynamoDB did not answer ({exc}). Run the command again: what is done stays done."
            ) from exc
        except UnreadableText as exc:
            raise CommandError(
                "A data key is wrapped by a master key that is not configured: keep every old master key "
                "in DATA_ENCRYPTION_KEYS until rotation has finished."
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {totals[0]} rewrapped, {totals[1]} already under {newest!r}, "
                f"{totals[2]} destroyed (erased accounts)."
            )
        )
