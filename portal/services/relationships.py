"""The care relationship: request, invite, accept, decline, withdraw, block, unblock, end.

Rules (DESIGN.md "The care relationship"):

* a client requests a listed therapist, or a therapist invites a client by
  email: a pending mapping that records who asked and when;
* the side that asked may withdraw; the other side accepts (active) or
  declines (deleted); only a therapist blocks, and a blocked client cannot ask
  again and is told only that the therapist is not available;
* either side ends an active relationship: the mapping item is deleted (the
  seed's Unmap) and the relationship record marked ended, so the therapist's
  access to the journal stops at once while the history stays.

Each change is decided on the item read consistently and written conditionally
on exactly what was read, so when both sides act at once one wins and the other
is told the relationship changed. Every change goes to the audit log, and the
other side gets an email notice (no health data; at most one per relationship
per kind per NOTICE_INTERVAL, decided by a conditional write on the relationship record).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from portal.accounts.user import User
from portal.domain import (
    MAX_REQUEST_MESSAGE_LENGTH,
    AccountKind,
    Client,
    Conflict,
    DomainError,
    IllegalTransition,
    Mapping,
    MappingStatus,
    NotFound,
    Side,
    Therapist,
)
from portal.dynamo.audit import AuditRepository
from portal.dynamo.clients import ClientRepository
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.therapists import TherapistRepository
from portal.policy import (
    own_client_id,
    own_therapist_id,
    relationship_of,
    require_verified_email,
    side_of,
)
from portal.services.measures import measures_relationship_ended
from portal.services.sessions import sessions_cancel_for_ended_relationship
from portal.timeutil import utcnow

logger = logging.getLogger(__name__)

NOTICE_INTERVAL = timedelta(minutes=15)

REQUESTED = "relationship.requested"
INVITED = "relationship.invited"
WITHDRAWN = "relationship.withdrawn"
ACCEPTED = "relationship.accepted"
DECLINED = "relationship.declined"
BLOCKED = "relationship.blocked"
UNBLOCKED = "relationship.unblocked"
ENDED = "relationship.ended"

_RACE = "The relationship changed meanwhile; here is how it stands now."


class NotAvailable(DomainError):
    """This therapist cannot be asked (blocked, unlisted or not accepting); the reason is not told."""


class AlreadyInvited(DomainError):
    """The therapist asked first: the client answers their invitation instead of asking."""


class InvalidRequestMessage(DomainError):
    pass


def is_listable(therapist: Therapist) -> bool:
    """Shown in the directory and open to requests."""
    return therapist.email_verified and bool(therapist.mfa_secret) and therapist.accepting_clients and therapist.listed


def _audit(user: User, mapping: Mapping, action: str) -> None:
    # The client's id is the subject, so their audit history shows who did what with them.
    AuditRepository().record(
        subject_id=mapping.client_id,
        action=action,
        actor_kind=AccountKind(str(side_of(user))),
        actor_id=user.account_id,
        detail={"clientId": mapping.client_id, "therapistId": mapping.therapist_id},
    )
    logger.info("%s: client %s therapist %s by %s", action, mapping.client_id, mapping.therapist_id, user.account_id)


def _notify(mapping: Mapping, *, to: Side, what: str, portal_url: str, kind: str) -> bool:
    """One short email to the other side, unless one of this kind went out for this pair recently.

    It says only that something changed and where to look: no names, no health data.
    A person who turned optional emails off gets none.
    """
    account: Client | Therapist | None
    if to is Side.CLIENT:
        account = ClientRepository().get(mapping.client_id)
    else:
        account = TherapistRepository().get(mapping.therapist_id)
    if account is None or not account.optional_emails:
        return False
    claimed = RelationshipRepository().claim_notice(
        mapping.client_id,
        mapping.therapist_id,
        at=utcnow(),
        min_interval=NOTICE_INTERVAL,
        client_name=mapping.client_name,
        therapist_name=mapping.therapist_name,
        kind=kind,
    )
    if not claimed:
        logger.info("notice for client %s therapist %s skipped: sent recently", mapping.client_id, mapping.therapist_id)
        return False
    try:
        send_mail(
            subject="News in your therapy portal",
            message=render_to_string("email/relationship_notice.txt", {"what": what, "portal_url": portal_url}),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[account.email],
        )
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("relationship notice to %s %s failed: %s", to, account_id_for(mapping, to), type(exc).__name__)
        return False
    return True


def account_id_for(mapping: Mapping, side: Side) -> str:
    return mapping.client_id if side is Side.CLIENT else mapping.therapist_id


def _answerable(user: User, other_id: str) -> Mapping:
    """A pending request or invitation that waits for this user's answer."""
    mapping = relationship_of(user, other_id)
    if not mapping.awaits_answer_from(side_of(user)):
        raise IllegalTransition("There is no request waiting for your answer.")
    return mapping


# --- asking -------------------------------------------------------------------


def relationship_request(*, user: User, therapist_id: str, portal_url: str, message: str = "") -> Mapping:
    """A client asks a therapist to work with them: pending, one mapping per pair.

    Asking twice (a double click, a retry) stores one request and answers the same.
    ``message`` is optional clinical text for the therapist, stored encrypted.
    """
    message = message.strip()
    if len(message) > MAX_REQUEST_MESSAGE_LENGTH:
        raise InvalidRequestMessage(f"A message holds at most {MAX_REQUEST_MESSAGE_LENGTH} characters.")
    client_id = own_client_id(user)
    require_verified_email(user, "ask a therapist to work with you")
    therapists = TherapistRepository()
    mappings = MappingRepository()
    therapist = therapists.get(therapist_id, consistent=True)
    if therapist is None:
        raise NotFound("No such therapist.")
    for _attempt in range(2):
        existing = mappings.get(client_id, therapist_id)
        if existing is not None:
            if existing.status is MappingStatus.BLOCKED:
                raise NotAvailable("This therapist is not available.")
            if existing.awaits_answer_from(Side.CLIENT):
                raise AlreadyInvited(
                    f"{existing.therapist_name or therapist.name} has invited you: answer their invitation."
                )
            return existing  # already asked, or already working together
        if not is_listable(therapist):
            raise NotAvailable("This therapist is not available.")
        try:
            mapping = mappings.create_pending(
                client_id,
                therapist_id,
                requested_by=Side.CLIENT,
                client_name=user.name,
                therapist_name=therapist.name,
                at=utcnow(),
                request_message=message,
            )
        except Conflict:
            continue  # someone wrote first (the same request twice, or an invitation): look again
        _audit(user, mapping, REQUESTED)
        _notify(mapping, to=Side.THERAPIST, what="A client asked to work with you.", portal_url=portal_url, kind="requested")
        return mapping
    raise Conflict(_RACE)


def relationship_invite(*, user: User, email: str, portal_url: str) -> None:
    """A therapist invites an existing client by email.

    Returns nothing either way: the page says the same whether or not the
    email has an account, so the form cannot tell who is a client here.
    """
    therapist_id = own_therapist_id(user)
    client = ClientRepository().find_by_email(email)
    if client is None:
        logger.info("invitation by therapist %s: no client account", therapist_id)
        return
    mappings = MappingRepository()
    if mappings.get(client.client_id, therapist_id) is not None:
        return  # already asked, invited, working together or blocked: nothing to add
    try:
        mapping = mappings.create_pending(
            client.client_id,
            therapist_id,
            requested_by=Side.THERAPIST,
            client_name=client.name,
            therapist_name=user.name,
            at=utcnow(),
        )
    except Conflict:
        return  # the client asked at the same moment: their request stands
    _audit(user, mapping, INVITED)
    _notify(mapping, to=Side.CLIENT, what="A therapist invited you to work with them.", portal_url=portal_url, kind="invited")


# --- answering ------------------------------------------------------------------


def relationship_accept(*, user: User, other_id: str, portal_url: str) -> Mapping:
    """The side that was asked says yes: pending -> active, the relationship record opens."""
    mapping = _answerable(user, other_id)
    # Working together opens the journal's shared entries and messages, which wait for a
    # confirmed email like asking does (the session's copy of the flag is fresh on every POST).
    require_verified_email(user, "accept an invitation" if side_of(user) is Side.CLIENT else "accept a request")
    try:
        accepted = MappingRepository().accept(mapping, at=utcnow())
    except Conflict:
        raise Conflict(_RACE) from None
    _audit(user, accepted, ACCEPTED)
    _notify(
        accepted,
        to=side_of(user).other,
        what="Your request to work together was accepted.",
        portal_url=portal_url,
        kind="accepted",
    )
    return accepted


def relationship_decline(*, user: User, other_id: str, portal_url: str) -> None:
    """The side that was asked says no: the request is deleted (they may ask again later)."""
    mapping = _answerable(user, other_id)
    try:
        MappingRepository().delete_if(
            mapping.client_id, mapping.therapist_id, status=MappingStatus.PENDING, requested_by=mapping.requested_by
        )
    except Conflict:
        raise Conflict(_RACE) from None
    _audit(user, mapping, DECLINED)
    _notify(mapping, to=side_of(user).other, what="A request to work together was declined.", portal_url=portal_url, kind="declined")


def relationship_withdraw(*, user: User, other_id: str) -> None:
    """The side that asked takes the request back (no notice: nothing is asked of anyone now)."""
    mapping = relationship_of(user, other_id)
    side = side_of(user)
    if mapping.status is not MappingStatus.PENDING or mapping.requested_by is not side:
        raise IllegalTransition("There is no request of yours to withdraw.")
    try:
        MappingRepository().delete_if(
            mapping.client_id, mapping.therapist_id, status=MappingStatus.PENDING, requested_by=side
        )
    except Conflict:
        raise Conflict(_RACE) from None
    _audit(user, mapping, WITHDRAWN)


def relationship_block(*, user: User, client_id: str) -> None:
    """Only a therapist blocks: a pending request, or an active relationship (which ends it)."""
    own_therapist_id(user)
    mapping = relationship_of(user, client_id)
    if mapping.status is MappingStatus.BLOCKED:
        return
    mappings = MappingRepository()
    try:
        mappings.block(mapping, at=utcnow())
    except Conflict:
        # Only a therapist blocks: finding it blocked now means this very write landed
        # (a retry after a timeout), not someone else's.
        now = mappings.get(mapping.client_id, mapping.therapist_id)
        if now is None or now.status is not MappingStatus.BLOCKED:
            raise Conflict(_RACE) from None
    _audit(user, mapping, BLOCKED)
    # Blocking ends the care: the therapist's questionnaires stop with it.
    measures_relationship_ended(client_id=mapping.client_id, therapist_id=mapping.therapist_id)


def relationship_unblock(*, user: User, client_id: str) -> None:
    """The block is lifted by deleting the item: the client may ask again."""
    own_therapist_id(user)
    mapping = relationship_of(user, client_id)
    if mapping.status is not MappingStatus.BLOCKED:
        raise IllegalTransition("This client is not blocked.")
    mappings = MappingRepository()
    try:
        mappings.delete_if(mapping.client_id, mapping.therapist_id, status=MappingStatus.BLOCKED)
    except Conflict:
        # A blocked client cannot remove the item, so gone means this delete landed (a retry).
        if mappings.get(mapping.client_id, mapping.therapist_id) is not None:
            raise Conflict(_RACE) from None
    _audit(user, mapping, UNBLOCKED)


def relationship_end(*, user: User, other_id: str, portal_url: str) -> None:
    """Either side ends an active relationship: Unmap, at once.

    The journal closes to the therapist with the delete; messages and sessions
    stay readable to both sides through the relationship record, which stays.
    """
    mapping = relationship_of(user, other_id)
    if mapping.status is not MappingStatus.ACTIVE:
        raise IllegalTransition("There is no active relationship to end.")
    side = side_of(user)
    try:
        MappingRepository().end(mapping.client_id, mapping.therapist_id, by=side, at=utcnow())
    except Conflict:
        raise Conflict(_RACE) from None
    _audit(user, mapping, ENDED)
    # Nothing is booked with a relationship that no longer exists.
    sessions_cancel_for_ended_relationship(
        client_id=mapping.client_id,
        therapist_id=mapping.therapist_id,
        ended_by=AccountKind.CLIENT if side is Side.CLIENT else AccountKind.THERAPIST,
    )
    measures_relationship_ended(client_id=mapping.client_id, therapist_id=mapping.therapist_id)
    _notify(mapping, to=side.other, what="A care relationship was ended.", portal_url=portal_url, kind="ended")
