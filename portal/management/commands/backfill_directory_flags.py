"""Mark therapists who have two-factor on with ``mfaEnabled`` (run once after upgrading).

The directory's index copies no two-factor secret, so it lists therapists by this
flag (schema.py, DIRECTORY_ATTRIBUTES). Accounts that turned two-factor on before
the flag existed have the secret only, and would drop out of the directory until
this has run. It also gives every therapist the keys of the index the whole
directory is browsed by. Safe to run twice; a page of therapists at a time.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.dynamo.therapists import TherapistRepository, directory_browse_keys


class Command(BaseCommand):
    help = "Set mfaEnabled on every therapist with a two-factor secret (for the directory); safe to run twice."

    def handle(self, *args: Any, **options: Any) -> None:
        repository = TherapistRepository()
        marked = 0
        cursor: str | None = None
        while True:
            page = repository.list_page(limit=100, cursor=cursor)
            for therapist in page.items:
                # Every therapist joins the whole directory's index (browsing without a filter).
                repository.update_fields(therapist.therapist_id, **directory_browse_keys(therapist.therapist_id))
                if therapist.mfa_secret:
                    repository.update_fields(therapist.therapist_id, mfaEnabled=True)
                    marked += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        self.stdout.write(f"{marked} therapists with two-factor on marked for the directory.")
