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

Projections
-----------
An index copies what its readers read and nothing else: no index holds a
password hash, a two-factor secret or recovery code, a web session's data, or
any clinical text (``SECRET_ATTRIBUTES``, ``CLINICAL_ATTRIBUTES``; a test
checks every index against items the product writes). The Journal's local
indexes are the one exception for clinical text: they stay within the client's
own partition, the notes in them encrypted. Every copy is paid for on every
write that changes it, so a narrow projection is also the cheaper one. A
projection cannot change on a live index: production adds an index of the new
shape beside the old, switches reads, then drops the old (README, "Changing an
index in production").

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
ProjectionType = Literal["ALL", "KEYS_ONLY", "INCLUDE"]


@dataclass(frozen=True)
class KeyPart:
    attribute: str
    key_type: KeyType


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[KeyPart, ...]
    local: bool = False
    # What the index copies of each item besides the table's and its own keys:
    # everything (ALL), nothing more (KEYS_ONLY) or the attributes in ``include``.
    projection: ProjectionType = "ALL"
    include: tuple[str, ...] = ()

    def projection_request(self) -> dict[str, Any]:
        """The ``Projection`` of a CreateTable or UpdateTable request (and of the template)."""
        request: dict[str, Any] = {"ProjectionType": self.projection}
        if self.projection == "INCLUDE":
            request["NonKeyAttributes"] = list(self.include)
        return request


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
        for part in self.keys + tuple(p for idx in self.global_indexes + self.local_indexes for p in idx.keys):
            if part.attribute not in names:
                names.append(part.attribute)
        return names


# Sharded day keys. An index whose partition key is a UTC day (the audit log's
# day index, the two message-notice indexes, the reminders index) would put all
# of one day's writes on one partition, with a key that only grows: a global
# index that throttles holds back the writes of its table, so at scale audited
# page views would get 503s. The key is therefore ``<day>#<n>``, n in
# [0, DAY_SHARDS) from the item's own id (portal/dynamo/day_keys.py), and
# readers Query every shard of a day (plus the bare day, for items written
# before sharding). Why 8: a partition takes 1,000 write units a second, so 8
# shards take 8,000 a second for a day (far past what a practice's portal writes
# at its peak, with room for an uneven spread), while a reader's fixed cost
# stays small: the scheduler's run is 9 Queries per day partition it reads
# (about 0.5 read units each when nothing is due), some $0.15 a month for a
# deployment at one run a minute, whatever the number of clients. Doubling it
# would double that cost for headroom no practice needs; a change of n moves
# items between shards, so it is fixed.
DAY_SHARDS = 8


def _h(attribute: str) -> KeyPart:
    return KeyPart(attribute, "HASH")


def _r(attribute: str) -> KeyPart:
    return KeyPart(attribute, "RANGE")


# What an index may copy (see "Projections" above). Secrets: password hashes,
# two-factor secrets and recovery codes, and a web session's signed data (a
# bearer credential). Clinical text: every field field_crypto.py encrypts.
SECRET_ATTRIBUTES = frozenset({"passwordHash", "mfaSecret", "mfaRecoveryHashes", "mfaLastStep", "sessionData"})
CLINICAL_ATTRIBUTES = frozenset(
    {
        "note",
        "title",
        "requestMessage",
        "rejectionReason",
        "privateNotes",
        "sharedNotes",
        "content",
        # ClinicalNotes: a note's sections, an addendum's reason and text, a correction request's
        # text, its decline reason and the client's statement; Measures: a result's answers.
        "sections",
        "reason",
        "text",
        "declineReason",
        "statement",
        "answers",
    }
)

# Staff search accounts by the start of a name or of an email. Each account
# item carries ``nameShard`` = "<first two letters of its normalized name>#<n>"
# and ``nameKey`` = the normalized name (likewise ``emailShard``/``emailKey``);
# a search Queries each of the few shards of its two letters with begins_with
# (portal/dynamo/account_search.py), never a Scan. The shard number spreads a
# common start ("ma") over several index partitions. The indexes copy only what
# the staff list shows (``mfaEnabled``, never the secret).
ACCOUNT_SEARCH_ATTRIBUTES = ("name", "email", "emailVerified", "mfaEnabled", "createdAt", "deactivated")


def _search_indexes(table: str) -> tuple[Index, ...]:
    return (
        Index(
            f"GSI_{table}_ByNamePrefix",
            (_h("nameShard"), _r("nameKey")),
            projection="INCLUDE",
            include=ACCOUNT_SEARCH_ATTRIBUTES,
        ),
        Index(
            f"GSI_{table}_ByEmailPrefix",
            (_h("emailShard"), _r("emailKey")),
            projection="INCLUDE",
            include=ACCOUNT_SEARCH_ATTRIBUTES,
        ),
    )


# The email indexes answer "whose account is this email's?" only: the caller then
# reads the account itself by id (consistently), so the index needs the ids alone.
CLIENTS = Table(
    name="Clients",
    keys=(_h("clientId"),),
    global_indexes=(
        Index("GSI_Clients_ByEmail", (_h("email"),), projection="KEYS_ONLY"),
        *_search_indexes("Clients"),
    ),
)

# What the directory shows of a therapist and what decides whether they are
# listed (``mfaEnabled`` mirrors "has a two-factor secret" without the secret).
DIRECTORY_ATTRIBUTES = (
    "name",
    "bio",
    "timeZone",
    "emailVerified",
    "mfaEnabled",
    "acceptingClients",
    "listed",
    "deactivated",
    # The card: credentials, how and in which languages they work, fees.
    "licenceType",
    "licenceState",
    "modalities",
    "languages",
    "fees",
    "photoVersion",
)

# Browsing the whole directory: every therapist carries ``directoryBucket`` =
# "all" and ``directoryOrder`` = a hash of their id, so the index holds them in
# an order no one chooses. A page starts at a point that moves each day
# (portal/dynamo/therapists.py), so who is shown first rotates fairly.
DIRECTORY_BROWSE_ATTRIBUTES = (*DIRECTORY_ATTRIBUTES, "specialization")

THERAPISTS = Table(
    name="Therapists",
    keys=(_h("therapistId"),),
    global_indexes=(
        Index("GSI_Therapists_ByEmail", (_h("email"),), projection="KEYS_ONLY"),
        Index(
            "GSI_Therapists_BySpecialization",
            (_h("specialization"),),
            projection="INCLUDE",
            include=DIRECTORY_ATTRIBUTES,
        ),
        Index(
            "GSI_Therapists_Directory",
            (_h("directoryBucket"), _r("directoryOrder")),
            projection="INCLUDE",
            include=DIRECTORY_BROWSE_ATTRIBUTES,
        ),
        *_search_indexes("Therapists"),
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
# (one slot is left). The three the product reads copy whole items (ALL): the
# journal page reads entries through them, within the client's own partition,
# notes encrypted, so a projection would only add a read of each item.
JOURNAL = Table(
    name="Journal",
    keys=(_h("clientId"), _r("journalEntryId")),
    local_indexes=(
        # Seed. The journal page, date filters, the chart and the export: entries
        # by the time the feeling was felt, a date range as the key condition.
        Index("LSI_Journal_Time", (_h("clientId"), _r("timeOfEmotion")), local=True),
        # Seed ("GSI_Journal_ByFeeling" in its API section is this index). Kept as
        # the seed names it, because the seed (the product's data model) lists it;
        # but within one feeling it orders by entry id only, so the product's
        # feeling lists read LSI_Journal_FeelingTime instead and nothing queries
        # this one. KEYS_ONLY: an entry's edits and shares that keep its feeling
        # cost it no write, and it holds no note.
        Index("LSI_Journal_ByFeeling", (_h("clientId"), _r("feeling")), local=True, projection="KEYS_ONLY"),
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

# What a list of sessions (agenda, requests, history) and the reminder job read
# of a session: never its title, notes, request message or reason. A notes save
# then writes no index (notes reach ~240 KB; ALL copied them three times), and a
# page of 25 from the index stays a few KB. Lists that show titles read the page's
# items in one BatchGetItem (sessions.py, ``_list``).
SESSION_LIST_ATTRIBUTES = (
    "status",
    "durationMinutes",
    "location",
    "requestedBy",
    "cancelledBy",
    "clientName",
    "therapistName",
    "version",
    "createdAt",
    "updatedAt",
    "clientRemindedAt",
    "therapistRemindedAt",
    "previousSessionAt",
    # The section keys, so an item rebuilt from an index row keeps them, and
    # what a history row states (cancelled when, late or not, a move asked).
    "therapistSection",
    "clientSection",
    "cancelledAt",
    "lateCancellation",
    "proposedFor",
)

SESSIONS = Table(
    name="Session",
    keys=(_h("sessionId"),),
    global_indexes=(
        Index(
            "GSI_Session_ByTherapist",
            (_h("therapistId"), _r("scheduledFor")),
            projection="INCLUDE",
            include=("clientId", *SESSION_LIST_ATTRIBUTES),
        ),
        Index(
            "GSI_Session_ByClient",
            (_h("clientId"), _r("scheduledFor")),
            projection="INCLUDE",
            include=("therapistId", *SESSION_LIST_ATTRIBUTES),
        ),
        # Sparse: only approved sessions whose reminders are not all sent.
        Index(
            "GSI_Session_RemindersDue",
            (_h("reminderDay"), _r("remindAt")),
            projection="INCLUDE",
            include=("therapistId", "clientId", "scheduledFor", *SESSION_LIST_ATTRIBUTES),
        ),
        # The sections of each person's lists: ``therapistSection`` and
        # ``clientSection`` are "<id>#<section>" (upcoming: approved or open;
        # requests: pending; history: closed, declined or cancelled), rewritten
        # by the same write that changes the status. One Query returns only one
        # section's sessions, so no page is emptied by a status filter. Like the
        # other list indexes they copy list attributes only; titles and reasons
        # come from the items (one BatchGetItem per page).
        # (An index's own key is copied anyway: not named again, since every name counts
        # against the table's limit of 100 projected attributes across its indexes.)
        Index(
            "GSI_Session_TherapistSection",
            (_h("therapistSection"), _r("scheduledFor")),
            projection="INCLUDE",
            include=("therapistId", "clientId", *(a for a in SESSION_LIST_ATTRIBUTES if a != "therapistSection")),
        ),
        Index(
            "GSI_Session_ClientSection",
            (_h("clientSection"), _r("scheduledFor")),
            projection="INCLUDE",
            include=("therapistId", "clientId", *(a for a in SESSION_LIST_ATTRIBUTES if a != "clientSection")),
        ),
    ),
)

MESSAGES = Table(
    name="Messages",
    keys=(_h("conversationId"), _r("createdAt")),
)

# The account index lists an account's sessions (device, login time) and ends
# them by key: never the signed session data, a bearer credential. Not the expiry
# either: it moves while a session is used (at most once a minute), and each move
# would rewrite the index; the rarely opened lists read it from the items.
WEB_SESSIONS = Table(
    name="WebSessions",
    keys=(_h("sessionKey"),),
    global_indexes=(
        Index(
            "GSI_WebSessions_ByAccount",
            (_h("accountKey"),),
            projection="INCLUDE",
            include=("deviceLabel", "loggedInAt"),
        ),
    ),
    ttl_attribute="expiresAt",
    seed=False,
)

STAFF = Table(
    name="Staff",
    keys=(_h("staffId"),),
    global_indexes=(Index("GSI_Staff_ByEmail", (_h("email"),), projection="KEYS_ONLY"),),
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
# * GSI_Audit_ByDay: everything on one UTC day (``day`` = ``YYYY-MM-DD#<n>``, a
#   sharded day key: see DAY_SHARDS), the staff's page reading every shard.
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
# What a therapist's list of relationships reads (names, state, the last message,
# the therapist's unread count). The rest changes often and is read from the item
# only: the client's read marker and count, both sides' notice times and claims,
# the therapist's visits and the pair's session ids; copied, each such write would
# also rewrite the index.
RELATIONSHIP_LIST_ATTRIBUTES = (
    "clientName",
    "therapistName",
    "activeSince",
    "endedAt",
    "endedBy",
    "lastMessageAt",
    "therapistUnread",
)

RELATIONSHIPS = Table(
    name="Relationships",
    keys=(_h("clientId"), _r("therapistId")),
    global_indexes=(
        Index(
            "GSI_Relationships_ByTherapist",
            (_h("therapistId"), _r("lastActivityAt")),
            projection="INCLUDE",
            include=RELATIONSHIP_LIST_ATTRIBUTES,
        ),
        Index("GSI_Relationships_ClientNoticesDue", (_h("clientNoticeDay"), _r("clientNoticeDueAt"))),
        Index("GSI_Relationships_TherapistNoticesDue", (_h("therapistNoticeDay"), _r("therapistNoticeDueAt"))),
    ),
    seed=False,
)

# Booking by availability, one partition per therapist (``bookingKey`` tells the items apart):
# * ``availability``: the therapist's weekly hours, session length, gap, horizon, notice, dates
#   off and the two switches (one item, read once per week shown);
# * ``claim#<UTC start>``: the claim of a booked time, written with ``attribute_not_exists`` in
#   the same TransactWriteItems as the session it books, so however many clients ask for one
#   time at once exactly one session is stored; the transaction that declines, cancels or
#   withdraws that session deletes it, and ``expiresAt`` (a day after the session) lets TTL
#   clear what is left behind. It names the session (and the series it belongs to, if any);
#   a claim whose session no longer holds the time is taken over conditionally on that id.
# * ``series#<seriesId>``: the occurrences of a recurring series (ids and starts), for
#   "cancel this and all later";
# * ``wait#<from day>#<clientId>``: a client waiting for a time to open in a range of days.
BOOKINGS = Table(
    name="Bookings",
    keys=(_h("therapistId"), _r("bookingKey")),
    ttl_attribute="expiresAt",
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
        # The keys only: the request's text is clinical; its reader reads the items by key.
        Index(
            "GSI_ClinicalNotes_CorrectionsDue",
            (_h("openCorrectionTherapistId"), _r("correctionDueAt")),
            projection="KEYS_ONLY",
        ),
    ),
    seed=False,
)

# Measurement-based care (PHQ-9, GAD-7), all under the client's partition so a
# client's questionnaires are one key condition and an erasure one Query away.
# The sort key ``measureKey`` names the kind of item:
# * ``ASSIGN#<measure>#<therapistId>``: what a therapist asked for and when it
#   is open (schedule, anchor, last done); "what is due for me" is one Query of
#   ``ASSIGN#`` (a client has a handful);
# * ``RESULT#<measure>#<resultId>``: one submission (result ids are ULIDs, so
#   their order is time's); a measure's history by time is one key condition. Answers and the total are encrypted
#   under the client's key (field_crypto), as journal notes are;
# * ``ALERT#<resultId>``: a PHQ-9 item 9 above zero, until acknowledged with an
#   (encrypted) note.
# Two sparse indexes: ``GSI_Measures_RemindersDue`` holds only assignments whose
# reminder is still to send and alerts whose email is not claimed yet
# (``reminderKey``, one constant key: a few hundred items at most are pending at
# once, far below a partition's limits), so ``send_due_notices`` reads one Query
# per run and a failed alert email is sent by the next run; ``GSI_Measures_OpenAlerts`` holds
# only unacknowledged alerts by therapist, for the flag on their home page.
# What an assignment's reminder and an alert are read with from the indexes (never an
# acknowledgement's note or a result's answers).
MEASURE_NOTICE_ATTRIBUTES = (
    "therapistId",
    "measure",
    "schedule",
    "anchorAt",
    "timeZone",
    "assignedAt",
    "lastDoneAt",
    "reminderWindow",
    "resultId",
    "createdAt",
    "acknowledgedAt",
    "acknowledgedBy",
)
MEASURES = Table(
    name="Measures",
    keys=(_h("clientId"), _r("measureKey")),
    global_indexes=(
        Index(
            "GSI_Measures_RemindersDue",
            (_h("reminderKey"), _r("remindAt")),
            projection="INCLUDE",
            include=MEASURE_NOTICE_ATTRIBUTES,
        ),
        Index(
            "GSI_Measures_OpenAlerts",
            (_h("openAlertTherapistId"), _r("alertAt")),
            projection="INCLUDE",
            include=MEASURE_NOTICE_ATTRIBUTES,
        ),
    ),
    seed=False,
)

# A therapist's directory photo, on its own item so that reading a therapist
# (every login, every profile) never reads the picture. At most PHOTO_MAX_BYTES
# (portal/services/therapist_photo.py), well under DynamoDB's 400 KB item limit.
THERAPIST_PHOTOS = Table(name="TherapistPhotos", keys=(_h("therapistId"),), seed=False)

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
    BOOKINGS,
    CLINICAL_NOTES,
    MEASURES,
    THERAPIST_PHOTOS,
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
                "Projection": idx.projection_request(),
            }
            for idx in table.global_indexes
        ]
    if table.local_indexes:
        request["LocalSecondaryIndexes"] = [
            {
                "IndexName": idx.name,
                "KeySchema": _key_schema(idx.keys),
                "Projection": idx.projection_request(),
            }
            for idx in table.local_indexes
        ]
    return request
