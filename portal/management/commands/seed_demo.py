"""python manage.py seed_demo: demo accounts, care relationships, journal entries and sessions, the first time only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
from django.core.management.base import BaseCommand, CommandParser

from portal.domain import AccountKind, Conflict, SessionStatus, Side, TherapySession
from portal.dynamo.account_store import AccountStore
from portal.dynamo.accounts import get_email_claim
from portal.dynamo.clients import ClientRepository
from portal.dynamo.connection import get_gateway
from portal.dynamo.journal import JournalRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.sessions import SessionRepository
from portal.dynamo.therapists import TherapistRepository
from portal.ids import new_id
from portal.services.accounts import client_sign_up, staff_create, therapist_sign_up
from portal.services.journal import journal_entry_create
from portal.timeutil import utcnow

DEMO_PASSWORD = "calm-harbour-2026"
CLIENT_EMAIL = "client@example.com"
THERAPIST_EMAIL = "therapist@example.com"
STAFF_EMAIL = "staff@example.com"
SECOND_CLIENT_EMAIL = "client2@example.com"

# (hours ago, feeling, intensity, note, shared with the therapist)
_ENTRIES = (
    (2, "anxious", 7, "Big presentation tomorrow.", False),
    (26, "tired", 5, "", False),
    (50, "hopeful", 6, "Walked by the river after work.", True),
    (74, "calm", 3, "Slept well.", False),
)

# Directory therapists: (email, name, specialization, bio). They are listed (two-factor on with a
# secret nobody holds: they are there to be found, not to log in).
_DIRECTORY = (
    ("maya.okafor@example.com", "Dr. Maya Okafor", "anxiety", "Cognitive behavioural therapy for worry, panic and social anxiety."),
    ("jonas.berg@example.com", "Jonas Berg", "trauma", "Trauma-focused work at your pace; EMDR trained."),
    ("priya.natarajan@example.com", "Dr. Priya Natarajan", "depression", "Behavioural activation and compassion-focused therapy."),
    ("leo.martins@example.com", "Leo Martins", "relationships", "Couples and family communication, separation and new beginnings."),
    ("ana.silva@example.com", "Ana Silva", "grief", "Space for loss of every kind, in person or online."),
)


class Command(BaseCommand):
    help = "Load demo data (clients, therapists, relationships, a staff member, journal entries, sessions) once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the app is served, for the login address printed at the end.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        gateway = get_gateway()
        emails = (CLIENT_EMAIL, THERAPIST_EMAIL, STAFF_EMAIL, SECOND_CLIENT_EMAIL) + tuple(d[0] for d in _DIRECTORY)
        claims = {email: get_email_claim(gateway, email) for email in emails}
        if all(claims.values()):
            self.stdout.write("Demo data already loaded.")
        else:
            self._load(claims)
            self.stdout.write(self.style.SUCCESS("Loaded demo data."))
        # Its own step, so data loaded before demo sessions existed gets them too.
        client_claim, therapist_claim = get_email_claim(gateway, CLIENT_EMAIL), get_email_claim(gateway, THERAPIST_EMAIL)
        if client_claim and therapist_claim and _seed_sessions(str(client_claim.account_id), str(therapist_claim.account_id)):
            self.stdout.write(self.style.SUCCESS("Added the demo sessions."))
        self.stdout.write(
            f"Log in at {options['base_url'].rstrip('/')}/accounts/login/ with the password "
            f"{DEMO_PASSWORD!r} as:\n"
            f"  client     {CLIENT_EMAIL}\n"
            f"  therapist  {THERAPIST_EMAIL}\n"
            f"  staff      {STAFF_EMAIL}\n"
            "The therapist and staff accounts set up two-factor authentication (an authenticator app) "
            "at their first login."
        )

    def _load(self, claims: dict[str, Any]) -> None:
        # Each piece is made only if missing, so a run that stopped half-way completes.
        accounts = AccountStore()

        def client(email: str, name: str) -> str:
            claim = claims[email]
            client_id = claim.account_id if claim else client_sign_up(
                email=email, name=name, password=DEMO_PASSWORD, time_zone="Europe/London"
            ).client_id
            accounts.mark_email_verified(AccountKind.CLIENT, client_id)
            return str(client_id)

        def therapist(email: str, name: str, specialization: str, bio: str, *, listed_now: bool) -> str:
            claim = claims[email]
            therapist_id = claim.account_id if claim else therapist_sign_up(
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                specialization=specialization,
                time_zone="Europe/London",
                bio=bio,
                accepting_clients=True,
            ).therapist_id
            accounts.mark_email_verified(AccountKind.THERAPIST, therapist_id)
            if listed_now and not accounts.mfa_state(AccountKind.THERAPIST, therapist_id).secret:
                try:
                    accounts.enable_mfa(
                        AccountKind.THERAPIST,
                        therapist_id,
                        secret=pyotp.random_base32(),
                        recovery_hashes=set(),
                        last_step=0,
                    )
                except Conflict:
                    pass
            return str(therapist_id)

        sam = client(CLIENT_EMAIL, "Sam Rivera")
        jamie = client(SECOND_CLIENT_EMAIL, "Jamie Lee")
        alex = therapist(
            THERAPIST_EMAIL,
            "Dr. Alex Chen",
            "anxiety",
            "Anxiety and stress at work and at home; short-term, practical therapy.",
            listed_now=False,  # the demo therapist sets up two-factor at first login, then is listed
        )
        others = {d[0]: therapist(*d, listed_now=True) for d in _DIRECTORY}
        names = {sam: "Sam Rivera", jamie: "Jamie Lee", alex: "Dr. Alex Chen"}
        names.update({others[d[0]]: d[1] for d in _DIRECTORY})

        mappings = MappingRepository()

        def relate(client_id: str, therapist_id: str, by: Side, *, accept: bool) -> None:
            if mappings.get(client_id, therapist_id) is not None:
                return
            try:
                pending = mappings.create_pending(
                    client_id,
                    therapist_id,
                    requested_by=by,
                    client_name=names[client_id],
                    therapist_name=names[therapist_id],
                    at=utcnow(),
                )
            except Conflict:
                return
            if accept:
                mappings.accept(pending, at=utcnow())

        relate(sam, alex, Side.CLIENT, accept=True)
        # One pending request each way: Jamie asked Alex; Jonas invited Sam. Sam also asked Maya.
        relate(jamie, alex, Side.CLIENT, accept=False)
        relate(sam, others["jonas.berg@example.com"], Side.THERAPIST, accept=False)
        relate(sam, others["maya.okafor@example.com"], Side.CLIENT, accept=False)

        journal = JournalRepository()
        if not journal.list_by_time(sam, limit=1).items:
            now = utcnow()
            for hours_ago, feeling, intensity, note, shared in _ENTRIES:
                entry = journal_entry_create(
                    client_id=sam,
                    time_of_emotion=now - timedelta(hours=hours_ago),
                    feeling=feeling,
                    intensity=intensity,
                    note=note,
                )
                if shared:
                    journal.set_shared(sam, entry.entry_id, now)
        if claims[STAFF_EMAIL] is None:
            staff_create(email=STAFF_EMAIL, name="Jordan Staff", password=DEMO_PASSWORD)


# The demo pair's sessions, found again by their titles.
_CLOSED_TITLE = "Getting started"
_UPCOMING_TITLE = "Stress at work"
_REQUEST_TITLE = "Sleep and evenings"
_DEMO_ZONE = ZoneInfo("Europe/London")


def _at(days: int, hour: int) -> datetime:
    """A whole hour ``days`` from today in the demo accounts' zone."""
    day = (utcnow().astimezone(_DEMO_ZONE) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour), tzinfo=_DEMO_ZONE)


def _seed_sessions(client_id: str, therapist_id: str) -> bool:
    """A closed past session with both notes, an approved one this week and a pending request.

    Each is made only if the pair has no session of its title yet (titles are
    the demo's own), so running again adds nothing and a run that stopped
    half-way completes. The closed one goes through the repository's close, so
    the relationship record keeps its time for "since last session".
    True when anything was added.
    """
    sessions = SessionRepository()
    existing = {s.title: s for s in sessions.list_by_client(client_id, limit=100).items if s.therapist_id == therapist_id}
    client = ClientRepository().get(client_id)
    therapist = TherapistRepository().get(therapist_id)
    client_name, therapist_name = (client.name if client else ""), (therapist.name if therapist else "")
    added = False

    def make(title: str, when: datetime, status: SessionStatus, **fields: Any) -> TherapySession:
        nonlocal added
        added = True
        return sessions.create(
            TherapySession(
                session_id=new_id(),
                therapist_id=therapist_id,
                client_id=client_id,
                title=title,
                scheduled_for=when.astimezone(UTC),
                status=status,
                created_at=utcnow(),
                client_name=client_name,
                therapist_name=therapist_name,
                **fields,
            )
        )

    held = existing.get(_CLOSED_TITLE) or make(
        _CLOSED_TITLE,
        _at(-6, 10),
        SessionStatus.OPEN,
        location="Room 2, 14 Harbour Street",
        requested_by=AccountKind.THERAPIST,
        shared_notes="Try the 4-7-8 breathing before bed, and note one good moment each day.",
        private_notes="Work pressure is the main trigger. Sleep poor for three weeks. Review in two sessions.",
    )
    if held.status is SessionStatus.OPEN:
        sessions.close(replace(held, status=SessionStatus.CLOSED), expected_version=held.version)
        added = True
    if _UPCOMING_TITLE not in existing:
        make(
            _UPCOMING_TITLE,
            _at(3, 10),
            SessionStatus.APPROVED,
            location="Room 2, 14 Harbour Street",
            requested_by=AccountKind.THERAPIST,
        )
    if _REQUEST_TITLE not in existing:
        make(
            _REQUEST_TITLE,
            _at(10, 17),
            SessionStatus.PENDING,
            request_message="Could we meet after work? Evenings are when it is hardest.",
            requested_by=AccountKind.CLIENT,
        )
    return added
