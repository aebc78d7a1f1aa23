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
* Messages: the seed names the partition key only by its value,
  ``CLIENT#<clientId>#THERAPIST#<therapistId>``; we call that attribute
  ``conversationId``. ``createdAt`` values are ``<iso-8601>#<messageId>`` so
  two messages in one millisecond never overwrite each other.

Supporting tables: web sessions (TTL), staff accounts, email claims (one email
is one account), login throttle counters (TTL), the audit log and idempotency
keys for message sends (TTL).
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
    global_indexes=(Index("GSI_Mapping_TherapistId", (_h("therapistId"), _r("clientId"))),),
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

AUDIT_LOG = Table(
    name="AuditLog",
    keys=(_h("subjectId"), _r("occurredAt")),
    seed=False,
)

IDEMPOTENCY_KEYS = Table(
    name="IdempotencyKeys",
    keys=(_h("idempotencyKey"),),
    ttl_attribute="expiresAt",
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
