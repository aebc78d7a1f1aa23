"""Email notices of unread messages, sent by `manage.py send_due_notices`.

When a message is still unread MESSAGE_NOTICE_DELAY after it arrived, its
recipient gets one email that says only that "your therapist" / "your client"
wrote, with a link to the thread: no words of the message, no name. Each
recipient gets at most one per conversation per MESSAGE_NOTICE_INTERVAL.

How the work is found and decided (see RELATIONSHIPS in schema.py): the send's
own transaction puts the relationship record in the recipient side's sparse
notice index; opening the thread takes it out. A run reads today's and
yesterday's partition of each side's index (four Queries, whatever the number
of conversations), then takes each notice with a conditional write before the
email goes out, so two runs at once send it once; an email the mail server
refuses is released for the next run. A notice for a pair that has ended,
for a recipient whose account is gone or deactivated, or about a writer whose
account is gone (an erased client), is dropped: nobody is emailed. Accounts
are read consistently (one BatchGetItem per account table).

A send moves a pending notice's day partition to its own (the due time stays
the oldest unread message's), so a notice left in an older partition by a
scheduler outage of more than a day is back within reach with the next
message, and the run still makes four Queries.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from portal.domain import MESSAGE_NOTICE_INTERVAL, Client, Relationship, Side, Therapist
from portal.dynamo.clients import ClientRepository
from portal.dynamo.relationships import RelationshipRepository, notice_day
from portal.dynamo.therapists import TherapistRepository
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

# How many due conversations one run reads per side and day partition (the next run takes the rest).
BATCH = 100

SUBJECT = "You have a new message in the therapy portal"


@dataclass(frozen=True)
class _Due:
    record: Relationship
    side: Side  # the recipient

    @property
    def recipient_id(self) -> str:
        return self.record.client_id if self.side is Side.CLIENT else self.record.therapist_id

    @property
    def other_id(self) -> str:
        return self.record.therapist_id if self.side is Side.CLIENT else self.record.client_id

    @property
    def ids(self) -> str:
        return f"{self.record.client_id}/{self.record.therapist_id}"


def _link(due: _Due) -> str:
    path = reverse("message_thread", args=[due.other_id])
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"


def notice_text(due_side: Side, link: str) -> str:
    """The whole email: who wrote is only "your therapist" / "your client"."""
    writer = "your therapist" if due_side is Side.CLIENT else "your client"
    return render_to_string("email/message_notice.txt", {"writer": writer, "link": link})


def _send(due: _Due, account: Client | Therapist) -> bool:
    try:
        send_mail(
            subject=SUBJECT,
            message=notice_text(due.side, _link(due)),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[account.email],
        )
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("message notice for relationship %s to the %s failed: %s", due.ids, due.side, type(exc).__name__)
        return False
    logger.info("message notice for relationship %s sent to the %s", due.ids, due.side)
    return True


def _find_due(repository: RelationshipRepository, now: datetime) -> list[_Due]:
    found: dict[tuple[str, str, Side], _Due] = {}
    for side in (Side.CLIENT, Side.THERAPIST):
        # Yesterday's partition too: a notice due just before midnight, or one
        # deferred across it, is still found by the first run after.
        for day in (notice_day(now - timedelta(days=1)), notice_day(now)):
            for record in repository.notices_due(side, day, now=now, limit=BATCH):
                found[(record.client_id, record.therapist_id, side)] = _Due(record, side)
    return list(found.values())


def message_notices_send_due(*, now: datetime | None = None) -> int:
    """Email the recipients of messages still unread after the delay; returns how many emails went out."""
    if not settings.PORTAL_BASE_URL:
        raise ImproperlyConfigured("Set PORTAL_BASE_URL so that message notices can link to the portal.")
    now = now or utcnow()
    repository = RelationshipRepository()
    due = _find_due(repository, now)
    if not due:
        return 0
    # Both sides' accounts: the recipient's decides who is emailed, the other side's whether the
    # conversation still has someone in it (an erased client's record may not say "ended" yet).
    # Consistent: a deactivation or an erasure a moment ago must stop the email.
    clients = ClientRepository().get_many({d.record.client_id for d in due}, consistent=True)
    therapists = TherapistRepository().get_many({d.record.therapist_id for d in due}, consistent=True)
    sent = 0
    for item in due:
        record, side = item.record, item.side
        account: Client | Therapist | None
        other: Client | Therapist | None
        if side is Side.CLIENT:
            account, other = clients.get(record.client_id), therapists.get(record.therapist_id)
        else:
            account, other = therapists.get(record.therapist_id), clients.get(record.client_id)
        if (
            record.ended_at is not None
            or account is None
            or other is None
            or account.deactivated
            or record.unread_for(side) == 0
        ):
            if repository.drop_message_notice(record, side):
                logger.info("message notice for relationship %s to the %s dropped", item.ids, side)
            continue
        last = record.noticed_at(side)
        if last is not None and last > now - MESSAGE_NOTICE_INTERVAL:
            # Emailed lately: this notice waits until the interval is over (if still unread then).
            repository.defer_message_notice(record, side, until=last + MESSAGE_NOTICE_INTERVAL)
            continue
        if not repository.claim_message_notice(record, side, at=now, min_interval=MESSAGE_NOTICE_INTERVAL):
            continue  # read, sent by another run, or ended meanwhile
        if _send(item, account):
            sent += 1
        else:
            repository.release_message_notice(record, side, claimed_at=now)
    return sent
