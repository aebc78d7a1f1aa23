"""python manage.py send_due_notices: send the reminders and notices that are due (run every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.domain import DatabaseUnavailable
from portal.services.notices import DUE_NOTICE_SENDERS
from portal.timeutil import utcnow


class Command(BaseCommand):
    help = "Send due session reminders and delayed notices. Safe to run every minute, even twice at once."

    def handle(self, *args: Any, **options: Any) -> None:
        now = utcnow()
        failed: list[str] = []
        for name, sender in DUE_NOTICE_SENDERS:
            try:
                count = sender(now)
            except DatabaseUnavailable as exc:
                # The other senders still get their turn; the next run retries this one.
                failed.append(name)
                self.stderr.write(f"{name}: DynamoDB did not answer ({exc}).")
                continue
            self.stdout.write(f"{name}: {count} sent")
        if failed:
            raise CommandError(f"Not sent this time: {', '.join(failed)}.")
