"""Every DynamoDB table and index of the product: the one source of truth.

The six seed tables keep the seed's names, key attributes, index names and key
types exactly. Where the seed leaves a gap we add to it (never rename):

* Journal gets two more local indexes (see JOURNAL below for why each exists):
  a sparse one of shared entries by the time they were felt, and one by
  feeling and time. Local indexes are fixed when a table is created, so
  ``create_tables`` refuses to run over a table whose shape differs.
* Session gets ``clientId`` and ``scheduledFor``; ``GSI_Session_ByTherapist``
  sorts by ``scheduledFor`` (the seed allows "another attribute") and
  ``GSI_Session_ByClient`` lets a client list their sessions without a Scan.
  Statuses: pending -> approved | rejected | cancelled, approved -> open |
  cancelled, open -> closed (``SESSION_TRANSITIONS`` in portal/domain.py);
  every update is conditional on the version read and on the statuses the
  new one may come from. A session also holds ``durationMinutes`` (50 by
  default), ``location`` (where: an address or a video link), the client's
  ``requestMessage``, the therapist's ``rejectionReason``, both names (so
  lists need no extra reads) and when each side was reminded.
  ``GSI_Session_RemindersDue`` is sparse: only an approved session with a
  reminder still to send carries ``reminderDay`` (the UTC day its reminder
  falls due) and ``remindAt``, so ``send_due_notices`` finds what is due with
  a Query per day, never a Scan. Clinical text on a session (title, request
  message, rejection reason, private and shared notes) is encrypted field by
  field; times, statuses and ids stay readable because indexes and
  conditions need them.
* Messages: the seed names the partition key only by its value,
  ``CLIENT#<clientId>#THERAPIST#<therapistId>``; we call that attribute
  ``conversationId``. ``createdAt`` values are ``<iso-8601>#<messageId>`` so
  two messages in one millisecond never overwrite each other.

Supporting tables: web sessions (TTL), staff accounts, email claims (one email
is one account), login throttle counters (TTL), the audit log (sort key
prefixed by the event's category, indexes by time, actor and day),
idempotency keys for message sends and session requests (TTL), wrapped data
keys, account-erasure progress, and calendar feeds (the SHA-256 of each
account's secret feed token, never the token itself),
and relationship records (with sparse indexes of the email notices of
unread messages that are due: see RELATIONSHIPS below for why).

ClientTherapistMapping gets a sparse GSI of pending items (a therapist's
requests waiting for an answer in one Query); ``create_tables`` adds a missing
GSI to a live table.

Clinical text (portal/dynamo/field_crypto.py)
---------------------------------------------
Journal notes, session titles, the client's request message, rejection
reasons, private and shared notes and message bodies are stored encrypted,
field by field (AES-GCM). The associated data is the key owner, the table, the
item's key and the field name, so a value copied to another record or field,
or altered, fails to decrypt loudly instead of showing the wrong text.

Whose key encrypts what, and why:

* ``CLIENT#<clientId>``, the client's own key, encrypts what the client wrote
  and what names the client's concern: journal notes, session titles, the
  client's request message and the client's messages. Erasing the client
  destroys this key, so every copy of that text (backups and point-in-time
  copies of the data tables included) becomes unreadable.
* ``RECORD#<therapistId>#<clientId>``, the therapist's record of one client,
  encrypts what the therapist wrote about that client: private and shared
  notes, rejection reasons and the therapist's messages. Health-care law makes
  the therapist keep their clinical record for years after care ends (and
  erasure law allows it), so a client's erasure must not destroy it. Keying
  it per client rather than per therapist lets that one record be shredded on
  its own when its retention period ends, without touching the therapist's
  other clients.

What stays readable, on purpose: every attribute that is a key of the table
or of an index (ids, ``feeling``, ``timeOfEmotion``, ``sharedAt``,
``scheduledFor``, ``createdAt``), because DynamoDB must compare them to find
and sort items; statuses, intensities and versions; and each ciphertext's
length (about the length of the text) and whether a field is empty. A raw copy
of the tables therefore shows when a client felt what, how strongly, and with
whom they had sessions, but not one word they or their therapist wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

KeyType = Literal["HASH", "RANGE"]


@dataclass(frozen=True)
class KeyPart:
    attribute: str
    key_type: KeyType


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[KeyPart, ...]
    local: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[KeyPart, ...]
    global_indexes: tuple[Index, ...] = ()
    local_indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    seed: bool = True
    # Continuous backups (35 days of point-in-time recovery on AWS). Off only
    # where a copy must not outlive a deletion: the data-key table.
    point_in_time_recovery: bool = True
    # Every key attribute here is a string; the seed has no numeric key.
    attribute_types: dict[str, str] = field(default_factory=dict)

    @property
    def hash_key(self) -> str:
        return next(k.attribute for k in self.keys if k.key_type == "HASH")

    @property
    def range_key(self) -> str | None:
        return next((k.attribute for k in self.keys if k.key_type == "RANGE"), None)

    def index(self, name: str) -> Index:
        for index in self.global_indexes + self.local_indexes:
            if index.name == name:
                return index
        raise KeyError(f"{self.name} has no index {name}")

    def position_attributes(self, index: str | None = None) -> tuple[str, ...]:
        """The attributes of a position in a Query or Scan (DynamoDB's LastEvaluatedKey)."""
        parts = self.keys + (self.index(index).keys if index else ())
        names: list[str] = []
        for part in parts:
            if part.attribute not in names:
                names.append(part.attribute)
        return tuple(names)

    def key_attributes(self) -> list[str]:
        names: list[str] = []
        for part in self.keys + tuple(
            p for idx in self.global_indexes + self.local_indexes for p in idx.keys
        ):
            if part.attribute not in names:
                names.append(part.attribute)
        return names


def _h(attribute: str) -> KeyPart:
    return KeyPart(attribute, "HASH")


def _r(attribute: str) -> KeyPart:
    return KeyPart(attribute, "RANGE")


CLIENTS = Table(
    name="Clients",
    keys=(_h("clientId"),),
    global_indexes=(Index("GSI_Clients_ByEmail", (_h("email"),)),),
)

THERAPISTS = Table(
    name="Therapists",
    keys=(_h("therapistId"),),
    global_indexes=(
        Index("GSI_Therapists_ByEmail", (_h("email"),)),
        Index("GSI_Therapists_BySpecialization", (_h("specialization"),)),
    ),
)

MAPPINGS = Table(
    name="ClientTherapistMapping",
    keys=(_h("clientId"), _r("therapistId")),
    global_indexes=(
        Index("GSI_Mapping_TherapistId", (_h("therapistId"), _r("clientId"))),
        # Sparse: only pending items carry pendingTherapistId, so a therapist reads the
        # requests waiting for an answer in one Query however many clients they have.
        Index("GSI_Mapping_PendingByTherapist", (_h("pendingTherapistId"), _r("requestedAt"))),
    ),
)

# Local indexes share the table's partition (one client's journal) and allow
# consistent reads, so an entry saved or unshared a moment ago is seen at once.
# A table takes at most five and only when it is created: these four are settled
# (one slot is left). Every index copies whole items (projection ALL).
JOURNAL = Table(
    name="Journal",
    keys=(_h("clientId"), _r("journalEntryId")),
    local_indexes=(
        # Seed. The journal page, date filters, the chart and the export: entries
        # by the time the feeling was felt, a date range as the key condition.
        Index("LSI_Journal_Time", (_h("clientId"), _r("timeOfEmotion")), local=True),
        # Seed ("GSI_Journal_ByFeeling" in its API section is this index). Kept as
        # the seed names it; within one feeling it orders by entry id only, so the
        # product's feeling lists read LSI_Journal_FeelingTime instead.
        Index("LSI_Journal_ByFeeling", (_h("clientId"), _r("feeling")), local=True),
        # Sparse: ``sharedFeltAt`` is ``timeOfEmotion`` copied onto an entry only
        # while it is shared (removed when it is unshared), so only shared entries
        # are in this index. A therapist's view is one Query however many private
        # entries exist, in the order things were felt (not the order they were
        # shared), and "since the last session" is one key condition.
        Index("LSI_Journal_SharedByTime", (_h("clientId"), _r("sharedFeltAt")), local=True),
        # ``feelingTime`` is "<feeling>#<timeOfEmotion>": "one feeling, newest
        # first" and "one feeling between two dates" are one key condition each,
        # instead of a filter on the time index that returns short or empty pages.
        Index("LSI_Journal_FeelingTime", (_h("clientId"), _r("feelingTime")), local=True),
    ),
)

SESSIONS = Table(
    name="Session",
    keys=(_h("sessionId"),),
    global_indexes=(
        Index("GSI_Session_ByTherapist", (_h("therapistId"), _r("scheduledFor"))),
        Index("GSI_Session_ByClient", (_h("clientId"), _r("scheduledFor"))),
        # Sparse: only approved sessions whose reminders are not all sent.
        Index("GSI_Session_RemindersDue", (_h("reminderDay"), _r("remindAt"))),
        # The sections of each person's lists: ``therapistSection`` and
        # ``clientSection`` are "<id>#<section>" (upcoming: approved or open;
        # requests: pending; history: closed, declined or cancelled), rewritten
        # by the same write that changes the status. One Query returns only one
        # section's sessions, so no page is emptied by a status filter.
        Index("GSI_Session_TherapistSection", (_h("therapistSection"), _r("scheduledFor"))),
        Index("GSI_Session_ClientSection", (_h("clientSection"), _r("scheduledFor"))),
    ),
)

MESSAGES = Table(
    name="Messages",
    keys=(_h("conversationId"), _r("createdAt")),
)

WEB_SESSIONS = Table(
    name="WebSessions",
    keys=(_h("sessionKey"),),
    global_indexes=(Index("GSI_WebSessions_ByAccount", (_h("accountKey"),)),),
    ttl_attribute="expiresAt",
    seed=False,
)

STAFF = Table(
    name="Staff",
    keys=(_h("staffId"),),
    global_indexes=(Index("GSI_Staff_ByEmail", (_h("email"),)),),
    seed=False,
)

EMAIL_CLAIMS = Table(
    name="EmailClaims",
    keys=(_h("email"),),
    seed=False,
)

LOGIN_THROTTLE = Table(
    name="LoginThrottle",
    keys=(_h("throttleKey"),),
    ttl_attribute="expiresAt",
    seed=False,
)

# The audit log, partitioned by the account whose data or account an event is
# about. The sort key ``categoryAt`` is ``<category>#<iso time>#<eventId>``, so
# one subject's events of one category (a client's "who read my journal") are
# one key condition, newest first, however many events of other kinds the
# subject collects. ``occurredAt`` (``<iso time>#<eventId>``) orders the indexes:
# * LSI_Audit_ByTime: one subject's whole history, newest first (consistent);
# * GSI_Audit_ByActor: what one person (``actorKey`` = ``<kind>:<id>``) did;
# * GSI_Audit_ByDay: everything on one UTC day (``day`` = ``YYYY-MM-DD``). One
#   partition per day takes every event of that day: far below a partition's
#   1,000 writes a second for a practice's audit trail (shard ``day`` if not).
AUDIT_LOG = Table(
    name="AuditLog",
    keys=(_h("subjectId"), _r("categoryAt")),
    local_indexes=(Index("LSI_Audit_ByTime", (_h("subjectId"), _r("occurredAt")), local=True),),
    global_indexes=(
        Index("GSI_Audit_ByActor", (_h("actorKey"), _r("occurredAt"))),
        Index("GSI_Audit_ByDay", (_h("day"), _r("occurredAt"))),
    ),
    seed=False,
)

IDEMPOTENCY_KEYS = Table(
    name="IdempotencyKeys",
    keys=(_h("idempotencyKey"),),
    ttl_attribute="expiresAt",
    seed=False,
)

# Two kinds of item: "token#<sha256 of the token>" names the account a feed
# belongs to; "account#<kind>:<id>" names the account's current token hash, so
# a new link revokes the old one in the same transaction.
CALENDAR_FEEDS = Table(
    name="CalendarFeeds",
    keys=(_h("feedKey"),),
    seed=False,
)

# One wrapped data key per key owner (see "Clinical text" above). Never backed
# up with the data: no point-in-time recovery, and any on-demand backup of it
# must expire within the erasure window (README), or an erased client's key
# would survive in it.
DATA_KEYS = Table(
    name="DataKeys",
    keys=(_h("ownerId"),),
    seed=False,
    point_in_time_recovery=False,
)

# One progress record per account erasure: which steps are done, so a run that
# failed half-way is finished by the next. Holds ids and times only.
ACCOUNT_ERASURES = Table(
    name="AccountErasures",
    keys=(_h("accountId"),),
    # Sparse: only erasures still running carry "pending", so the job that
    # finishes them reads one Query, however many accounts were ever erased.
    global_indexes=(Index("GSI_AccountErasures_Pending", (_h("pending"), _r("startedAt"))),),
    seed=False,
)

# The relationship record: what must outlive the mapping item (deleted when a
# relationship ends), keyed exactly like it. Conversation and session bookkeeping
# (last message, read markers, last notice, last session, the therapist's last
# visit) lives here, never on the mapping. The index is sparse: lastActivityAt is
# set when a pair first becomes active, so a therapist lists the clients they work
# or worked with, newest activity first, in one Query; a client Queries the table.
#
# The two notice indexes are sparse too, one per recipient side (an item is in a
# GSI once, and both sides of a pair may each have unread messages): a message
# send sets the recipient's ``<side>NoticeDueAt`` (the arrival of the oldest
# unread message plus MESSAGE_NOTICE_DELAY, kept by if_not_exists) and
# ``<side>NoticeDay`` (the UTC day this send's notice would fall due, replaced by
# every send, so a notice stranded in an old partition by a scheduler outage
# moves back within reach with the next message) in its own transaction; opening
# the thread (the read-marker write), sending the notice, ending the
# relationship or erasing the client removes them. So ``send_due_notices`` finds the conversations
# whose messages are still unread a few minutes on with two Queries per side
# (today's and yesterday's partitions), without a Scan, without counting
# messages, and without any write while people merely look at a thread.
RELATIONSHIPS = Table(
    name="Relationships",
    keys=(_h("clientId"), _r("therapistId")),
    global_indexes=(
        Index("GSI_Relationships_ByTherapist", (_h("therapistId"), _r("lastActivityAt"))),
        Index("GSI_Relationships_ClientNoticesDue", (_h("clientNoticeDay"), _r("clientNoticeDueAt"))),
        Index("GSI_Relationships_TherapistNoticesDue", (_h("therapistNoticeDay"), _r("therapistNoticeDueAt"))),
    ),
    seed=False,
)

# Clinical notes, kept out of the Session item (which the agenda's indexes
# copy): one partition per session, so one Query reads a session's progress
# note, shared note, addenda and correction requests. ``noteKey`` is
# ``NOTE#<kind>``, ``ADDENDUM#<kind>#<addendumId>`` (ULIDs: in the order they
# were written) or ``CORRECTION#<requestId>``. Text is encrypted like the
# session's (what the therapist wrote under the therapist's record of the
# client, what the client wrote under the client's key); a signed item's
# ``digest`` (SHA-256 of its canonical content) stays readable: it reveals
# nothing and lets anyone check the record. The index is sparse: only a
# correction request still waiting for its answer carries
# ``openCorrectionTherapistId``, so a therapist's "corrections due" is one Query.
CLINICAL_NOTES = Table(
    name="ClinicalNotes",
    keys=(_h("sessionId"), _r("noteKey")),
    global_indexes=(
        Index("GSI_ClinicalNotes_CorrectionsDue", (_h("openCorrectionTherapistId"), _r("correctionDueAt"))),
    ),
    seed=False,
)

ALL_TABLES: tuple[Table, ...] = (
    CLIENTS,
    THERAPISTS,
    MAPPINGS,
    JOURNAL,
    SESSIONS,
    MESSAGES,
    WEB_SESSIONS,
    STAFF,
    EMAIL_CLAIMS,
    LOGIN_THROTTLE,
    AUDIT_LOG,
    IDEMPOTENCY_KEYS,
    DATA_KEYS,
    ACCOUNT_ERASURES,
    CALENDAR_FEEDS,
    RELATIONSHIPS,
    CLINICAL_NOTES,
)


def physical_name(table: Table, prefix: str) -> str:
    return f"{prefix}{table.name}"


def _key_schema(parts: tuple[KeyPart, ...]) -> list[dict[str, str]]:
    return [{"AttributeName": p.attribute, "KeyType": p.key_type} for p in parts]


def create_table_request(table: Table, prefix: str) -> dict[str, Any]:
    """The CreateTable request for ``table`` (on-demand billing, as on AWS)."""
    request: dict[str, Any] = {
        "TableName": physical_name(table, prefix),
        "KeySchema": _key_schema(table.keys),
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": table.attribute_types.get(name, "S")}
            for name in table.key_attributes()
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table.global_indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": idx.name,
                "KeySchema": _key_schema(idx.keys),
                "Projection": {"ProjectionType": "ALL"},
            }
            for idx in table.global_indexes
        ]
    if table.local_indexes:
        request["LocalSecondaryIndexes"] = [
            {
                "IndexName": idx.name,
                "KeySchema": _key_schema(idx.keys),
                "Projection": {"ProjectionType": "ALL"},
            }
            for idx in table.local_indexes
        ]
    return request
