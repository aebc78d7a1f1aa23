"""python manage.py seed_demo: demo accounts and a few journal entries, the first time only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.domain import AccountKind, MappingStatus
from portal.dynamo.account_store import AccountStore
from portal.dynamo.accounts import get_email_claim
from portal.dynamo.connection import get_gateway
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.services.accounts import client_sign_up, staff_create, therapist_sign_up
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow

DEMO_PASSWORD = "calm-harbour-2026"
CLIENT_EMAIL = "client@example.com"
THERAPIST_EMAIL = "therapist@example.com"
STAFF_EMAIL = "staff@example.com"

# (hours ago, feeling, intensity, note, shared with the therapist)
_ENTRIES = (
    (2, "anxious", 7, "Big presentation tomorrow.", False),
    (26, "tired", 5, "", False),
    (50, "hopeful", 6, "Walked by the river after work.", True),
    (74, "calm", 3, "Slept well.", False),
)


class Command(BaseCommand):
    help = "Load demo data (a client, their therapist, a staff member, journal entries) once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the app is served, for the login address printed at the end.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        gateway = get_gateway()
        claims = {email: get_email_claim(gateway, email) for email in (CLIENT_EMAIL, THERAPIST_EMAIL, STAFF_EMAIL)}
        if all(claims.values()):
            self.stdout.write("Demo data already loaded.")
        else:
            # Each piece is made only if missing, so a run that stopped half-way completes.
            client_claim = claims[CLIENT_EMAIL]
            client_id = (
                client_claim.account_id
                if client_claim
                else client_sign_up(
                    email=CLIENT_EMAIL, name="Sam Rivera", password=DEMO_PASSWORD, time_zone="Europe/London"
                ).client_id
            )
            therapist_claim = claims[THERAPIST_EMAIL]
            therapist_id = (
                therapist_claim.account_id
                if therapist_claim
                else therapist_sign_up(
                    email=THERAPIST_EMAIL,
                    name="Dr. Alex Chen",
                    password=DEMO_PASSWORD,
                    specialization="anxiety",
                    time_zone="Europe/London",
                ).therapist_id
            )
            accounts = AccountStore()
            accounts.mark_email_verified(AccountKind.CLIENT, client_id)
            accounts.mark_email_verified(AccountKind.THERAPIST, therapist_id)
            MappingRepository().put(client_id, therapist_id, MappingStatus.ACTIVE)
            journal = JournalRepository()
            if not journal.list_by_time(client_id, limit=1).items:
                now = utcnow()
                for hours_ago, feeling, intensity, note, shared in _ENTRIES:
                    entry = journal_entry_create(
                        client_id=client_id,
                        time_of_emotion=now - timedelta(hours=hours_ago),
                        feeling=feeling,
                        intensity=intensity,
                        note=note,
                    )
                    if shared:
                        journal.set_shared(client_id, entry.entry_id, now)
            if claims[STAFF_EMAIL] is None:
                staff_create(email=STAFF_EMAIL, name="Jordan Staff", password=DEMO_PASSWORD)
            self.stdout.write(self.style.SUCCESS("Loaded demo data."))
        self.stdout.write(
            f"Log in at {options['base_url'].rstrip('/')}/accounts/login/ with the password "
            f"{DEMO_PASSWORD!r} as:\n"
            f"  client     {CLIENT_EMAIL}\n"
            f"  therapist  {THERAPIST_EMAIL}\n"
            f"  staff      {STAFF_EMAIL}\n"
            "The therapist and staff accounts set up two-factor authentication (an authenticator app) "
            "at their first login."
        )
