"""create_missing_tables: the seed's tables, keys and indexes exactly; idempotent; TTL; table prefix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from portal.dynamo import schema
from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.tables import create_missing_tables

KeySchema = list[tuple[str, str]]

# Transcribed from the seed (shared/seed/000_ef93f22cbc2e3c01.txt), deliberately not
# derived from portal.dynamo.schema: a drift in schema.py must fail here.
SEED_TABLES: dict[str, dict[str, Any]] = {
    "Clients": {
        "keys": [("clientId", "HASH")],
        "indexes": {"GSI_Clients_ByEmail": [("email", "HASH")]},
    },
    "Therapists": {
        "keys": [("therapistId", "HASH")],
        "indexes": {
            "GSI_Therapists_ByEmail": [("email", "HASH")],
            "GSI_Therapists_BySpecialization": [("specialization", "HASH")],
        },
    },
    "ClientTherapistMapping": {
        "keys": [("clientId", "HASH"), ("therapistId", "RANGE")],
        "indexes": {"GSI_Mapping_TherapistId": [("therapistId", "HASH"), ("clientId", "RANGE")]},
    },
    "Journal": {
        "keys": [("clientId", "HASH"), ("journalEntryId", "RANGE")],
        "indexes": {
            "LSI_Journal_Time": [("clientId", "HASH"), ("timeOfEmotion", "RANGE")],
            "LSI_Journal_ByFeeling": [("clientId", "HASH"), ("feeling", "RANGE")],
        },
    },
    "Session": {
        "keys": [("sessionId", "HASH")],
        # The seed allows "sessionId (or another attribute)" as sort key; DESIGN.md picks
        # scheduledFor so that a therapist's agenda is chronological.
        "indexes": {
            "GSI_Session_ByTherapist": [("therapistId", "HASH"), ("scheduledFor", "RANGE")]
        },
    },
    "Messages": {
        # The seed names the partition key by its value, CLIENT#<clientId>#THERAPIST#<therapistId>.
        "keys": [("conversationId", "HASH"), ("createdAt", "RANGE")],
        "indexes": {},
    },
}

# What DESIGN.md adds to the seed (and nothing else may appear).
ADDED_INDEXES: dict[str, dict[str, KeySchema]] = {
    "Journal": {
        "LSI_Journal_SharedByTime": [("clientId", "HASH"), ("sharedFeltAt", "RANGE")],
        "LSI_Journal_FeelingTime": [("clientId", "HASH"), ("feelingTime", "RANGE")],
    },
    "Session": {
        "GSI_Session_ByClient": [("clientId", "HASH"), ("scheduledFor", "RANGE")],
        "GSI_Session_RemindersDue": [("reminderDay", "HASH"), ("remindAt", "RANGE")],
        "GSI_Session_TherapistSection": [("therapistSection", "HASH"), ("scheduledFor", "RANGE")],
        "GSI_Session_ClientSection": [("clientSection", "HASH"), ("scheduledFor", "RANGE")],
    },
    "ClientTherapistMapping": {
        "GSI_Mapping_PendingByTherapist": [("pendingTherapistId", "HASH"), ("requestedAt", "RANGE")]
    },
    "Clients": {
        "GSI_Clients_ByNamePrefix": [("nameShard", "HASH"), ("nameKey", "RANGE")],
        "GSI_Clients_ByEmailPrefix": [("emailShard", "HASH"), ("emailKey", "RANGE")],
    },
    "Therapists": {
        "GSI_Therapists_Directory": [("directoryBucket", "HASH"), ("directoryOrder", "RANGE")],
        "GSI_Therapists_ByNamePrefix": [("nameShard", "HASH"), ("nameKey", "RANGE")],
        "GSI_Therapists_ByEmailPrefix": [("emailShard", "HASH"), ("emailKey", "RANGE")],
    },
}

LOCAL_INDEXES = {"LSI_Journal_Time", "LSI_Journal_ByFeeling", "LSI_Journal_SharedByTime", "LSI_Journal_FeelingTime"}
TTL_TABLES = {
    "WebSessions": "expiresAt",
    "LoginThrottle": "expiresAt",
    "IdempotencyKeys": "expiresAt",
}
ALL_NAMES = {t.name for t in schema.ALL_TABLES}


def _key_schema(raw: list[dict[str, str]]) -> KeySchema:
    return [(k["AttributeName"], k["KeyType"]) for k in raw]


def _indexes(description: dict[str, Any]) -> dict[str, tuple[KeySchema, str, bool]]:
    found: dict[str, tuple[KeySchema, str, bool]] = {}
    for kind, local in (("GlobalSecondaryIndexes", False), ("LocalSecondaryIndexes", True)):
        for index in description.get(kind, []):
            found[index["IndexName"]] = (
                _key_schema(index["KeySchema"]),
                index["Projection"]["ProjectionType"],
                local,
            )
    return found


def _ttl(gateway: DynamoGateway, name: str) -> tuple[str, str | None]:
    described = gateway.client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    return described["TimeToLiveStatus"], described.get("AttributeName")


@pytest.fixture
def other_prefix(dynamo: DynamoGateway) -> Iterator[DynamoGateway]:
    """A gateway on the same engine under a prefix no table has yet (dropped afterwards)."""
    gateway = DynamoGateway(dynamo.client, f"contract_{dynamo.prefix}")
    yield gateway
    for table in schema.ALL_TABLES:
        if gateway.describe(table) is not None:
            gateway.client.delete_table(TableName=gateway.table_name(table))


def test_it_creates_the_seed_tables_keys_and_indexes_exactly(dynamo: DynamoGateway) -> None:
    for name, seed in SEED_TABLES.items():
        described = dynamo.client.describe_table(TableName=f"{dynamo.prefix}{name}")["Table"]

        assert described["TableName"] == f"{dynamo.prefix}{name}"
        assert described["TableStatus"] == "ACTIVE"
        assert _key_schema(described["KeySchema"]) == seed["keys"], name
        expected = {**seed["indexes"], **ADDED_INDEXES.get(name, {})}
        indexes = _indexes(described)
        assert set(indexes) == set(expected), name
        for index_name, keys in expected.items():
            # Each index projects what schema.py says (what its readers read, no secret or note).
            projection = schema.ALL_TABLES[[t.name for t in schema.ALL_TABLES].index(name)].index(index_name).projection
            assert indexes[index_name] == (keys, projection, index_name in LOCAL_INDEXES), index_name
        # Every key attribute is a String, as the seed says.
        assert {d["AttributeType"] for d in described["AttributeDefinitions"]} == {"S"}, name


def test_it_is_safe_to_run_again_and_honours_the_prefix(
    dynamo: DynamoGateway, other_prefix: DynamoGateway
) -> None:
    prefix = other_prefix.prefix
    report: list[str] = []

    some = create_missing_tables(other_prefix, tables=(schema.CLIENTS, schema.JOURNAL))
    rest = create_missing_tables(other_prefix)
    again = create_missing_tables(other_prefix, report=report.append)

    assert some == [f"{prefix}Clients", f"{prefix}Journal"]
    # Only what was missing is created; a run with nothing missing creates nothing.
    assert sorted(rest) == sorted(f"{prefix}{name}" for name in ALL_NAMES - {"Clients", "Journal"})
    assert again == []
    # One "exists" line per table and nothing else: TTL already on is left alone too.
    assert sorted(line.split() for line in report) == sorted(
        ["exists:", f"{prefix}{name}"] for name in ALL_NAMES
    )
    listed = set(dynamo.client.list_tables(Limit=100)["TableNames"])
    assert {f"{prefix}{name}" for name in ALL_NAMES} <= listed
    # The fixture's own tables are untouched by another prefix's run.
    assert {f"{dynamo.prefix}{name}" for name in ALL_NAMES} <= listed


def test_it_enables_ttl_on_the_expiring_tables_only(dynamo: DynamoGateway) -> None:
    for name, attribute in TTL_TABLES.items():
        assert _ttl(dynamo, f"{dynamo.prefix}{name}") in {
            ("ENABLED", attribute),
            ("ENABLING", attribute),
        }, name
    # Expiry on a seed table would silently delete health data.
    for name in SEED_TABLES:
        assert _ttl(dynamo, f"{dynamo.prefix}{name}")[0] == "DISABLED", name


# --- tables that drift from schema.py -------------------------------------------------

# The Journal as an earlier `make run` created it: a sparse index on when an entry was shared.
OLD_JOURNAL = schema.Table(
    name="Journal",
    keys=schema.JOURNAL.keys,
    local_indexes=(
        schema.Index("LSI_Journal_Time", (schema.KeyPart("clientId", "HASH"), schema.KeyPart("timeOfEmotion", "RANGE")), local=True),
        schema.Index("LSI_Journal_ByFeeling", (schema.KeyPart("clientId", "HASH"), schema.KeyPart("feeling", "RANGE")), local=True),
        schema.Index("LSI_Journal_SharedAt", (schema.KeyPart("clientId", "HASH"), schema.KeyPart("sharedAt", "RANGE")), local=True),
    ),
)


def test_it_stops_with_the_difference_when_an_existing_table_has_an_old_shape(
    other_prefix: DynamoGateway,
) -> None:
    from portal.dynamo.tables import SchemaDrift

    other_prefix.client.create_table(**schema.create_table_request(OLD_JOURNAL, other_prefix.prefix))
    with pytest.raises(SchemaDrift) as drift:
        create_missing_tables(other_prefix)
    assert sorted(drift.value.differences) == [
        "Journal: local index LSI_Journal_ByFeeling projects ALL, schema.py says KEYS_ONLY",
        "Journal: local index LSI_Journal_FeelingTime (clientId HASH, feelingTime RANGE) is missing",
        "Journal: local index LSI_Journal_SharedAt (clientId HASH, sharedAt RANGE) is not in schema.py",
        "Journal: local index LSI_Journal_SharedByTime (clientId HASH, sharedFeltAt RANGE) is missing",
    ]
    message = str(drift.value)
    assert "rebuild_table" in message and "var/dynamodb.sqlite" in message
    # Nothing was created on top of a database in the wrong shape.
    assert other_prefix.describe(schema.CLIENTS) is None


def test_it_stops_when_a_global_index_has_other_keys_than_schema_py(other_prefix: DynamoGateway) -> None:
    from portal.dynamo.tables import SchemaDrift

    other_keys = schema.Table(
        name="Therapists",
        keys=schema.THERAPISTS.keys,
        global_indexes=(
            schema.THERAPISTS.global_indexes[0],
            schema.Index(
                "GSI_Therapists_BySpecialization",
                (schema.KeyPart("name", "HASH"),),
                projection="INCLUDE",
                include=schema.DIRECTORY_ATTRIBUTES,
            ),
        ),
    )
    other_prefix.client.create_table(**schema.create_table_request(other_keys, other_prefix.prefix))
    with pytest.raises(SchemaDrift) as drift:
        create_missing_tables(other_prefix, tables=(schema.THERAPISTS,))
    assert drift.value.differences == [
        "Therapists: global index GSI_Therapists_BySpecialization has keys name HASH, "
        "schema.py says specialization HASH"
    ]


def test_it_rebuilds_an_old_journal_into_the_new_shape_keeping_every_entry(other_prefix: DynamoGateway) -> None:
    from portal.dynamo.gateway import serialize_item
    from portal.dynamo.journal import JournalRepository
    from portal.dynamo.tables import rebuild_table
    from portal.ids import new_id

    other_prefix.client.create_table(**schema.create_table_request(OLD_JOURNAL, other_prefix.prefix))
    name = other_prefix.table_name(schema.JOURNAL)
    client_id = new_id()
    old_items = [
        {
            "clientId": client_id,
            "journalEntryId": new_id(),
            "timeOfEmotion": f"2025-03-{day:02d}T09:30:00.000000Z",
            "feeling": "sad" if day % 2 else "calm",
            "intensity": 5,
            "createdAt": "2025-03-01T09:30:00.000000Z",
            **({"sharedAt": "2025-04-01T00:00:00.000000Z"} if day % 3 == 0 else {}),
        }
        for day in range(1, 31)
    ]
    for start in range(0, len(old_items), 25):
        other_prefix.client.batch_write_item(
            RequestItems={name: [{"PutRequest": {"Item": serialize_item(i)}} for i in old_items[start : start + 25]]}
        )

    assert rebuild_table(other_prefix, schema.JOURNAL) == 30
    create_missing_tables(other_prefix)  # the shape matches now: no SchemaDrift
    repo = JournalRepository(other_prefix)
    shared = repo.list_shared(client_id, limit=100).items
    assert [e.time_of_emotion.day for e in shared] == [30, 27, 24, 21, 18, 15, 12, 9, 6, 3]
    sad = repo.list_by_feeling(client_id, "sad", limit=100).items
    assert [e.time_of_emotion.day for e in sad] == list(range(29, 0, -2))
    assert other_prefix.client.describe_table(TableName=name)["Table"]["ItemCount"] in (0, 30)  # counts lag on AWS
    assert name + "__rebuild" not in other_prefix.client.list_tables(Limit=100)["TableNames"]


def test_it_adds_a_global_index_that_a_table_made_earlier_lacks(other_prefix: DynamoGateway) -> None:
    older = schema.Table(
        name=schema.SESSIONS.name,
        keys=schema.SESSIONS.keys,
        global_indexes=schema.SESSIONS.global_indexes[:1],
    )
    create_missing_tables(other_prefix, tables=(older,))
    report: list[str] = []

    assert create_missing_tables(other_prefix, tables=(schema.SESSIONS,), report=report.append) == []

    described = other_prefix.describe(schema.SESSIONS)
    assert described is not None
    assert {i["IndexName"] for i in described["GlobalSecondaryIndexes"]} == {
        i.name for i in schema.SESSIONS.global_indexes
    }
    assert sum(line.startswith("added index") for line in report) == len(schema.SESSIONS.global_indexes) - 1
