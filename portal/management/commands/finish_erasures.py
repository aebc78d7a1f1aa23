"""python manage.py finish_erasures: finish account erasures that a failure left half-done.

Safe to run at any time and as often as wanted (the scheduler runs it every
few minutes): each step of an erasure can run again without harm.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.domain import DatabaseUnavailable
from portal.services.account_erasure import account_erasures_finish


class Command(BaseCommand):
    help = "Finish every account erasure still marked as running."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            finished = account_erasures_finish()
        except DatabaseUnavailable as exc:
            raise CommandError(f"DynamoDB did not answer ({exc}); run again: what is done stays done.") from exc
        for account_id in finished:
            # Ids only: an erased account's id is all that is left of it.
            self.stdout.write(f"finished the erasure of {account_id}")
        self.stdout.write(self.style.SUCCESS(f"Done: {len(finished)} erasure(s) finished."))
