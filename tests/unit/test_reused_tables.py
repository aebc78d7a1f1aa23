"""The test tables made once per run (tests/reused_tables.py): each test still starts from empty tables
in schema.py's shape, on moto and on dynoxide."""

from __future__ import annotations

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict
from moto.core.models import responses_mock
from moto.dynamodb.models import dynamodb_backends

from portal.dynamo.gateway import DynamoGateway
from portal.dynamo.schema import ALL_TABLES, JOURNAL, WEB_SESSIONS
from tests.reused_tables import DYNOXIDE, MOTO, moto_keeping_its_data


def _item_count(gateway: DynamoGateway) -> int:
    return sum(
        gateway.client.scan(TableName=gateway.table_name(table), Select="COUNT", ConsistentRead=True)["Count"]
        for table in ALL_TABLES
    )


def _journal_item(number: int) -> dict[str, dict[str, str]]:
    return {"clientId": {"S": "c1"}, "journalEntryId": {"S": f"entry-{number:04}"}}


def test_it_empties_every_moto_table_it_keeps(moto_dynamo: DynamoGateway, settings) -> None:
    moto_dynamo.client.put_item(TableName=moto_dynamo.table_name(JOURNAL), Item=_journal_item(1))
    moto_dynamo.client.put_item(TableName=moto_dynamo.table_name(WEB_SESSIONS), Item={"sessionKey": {"S": "k"}})
    assert _item_count(moto_dynamo) == 2
    MOTO.empty()
    MOTO.ready(moto_dynamo, settings.AWS_REGION)
    assert _item_count(moto_dynamo) == 0


def test_it_makes_the_moto_tables_afresh_after_one_was_deleted(moto_dynamo: DynamoGateway, settings) -> None:
    moto_dynamo.client.delete_table(TableName=moto_dynamo.table_name(WEB_SESSIONS))
    MOTO.empty()
    MOTO.ready(moto_dynamo, settings.AWS_REGION)
    assert moto_dynamo.describe(WEB_SESSIONS) is not None


def test_it_makes_the_moto_tables_afresh_after_an_index_was_dropped(moto_dynamo: DynamoGateway, settings) -> None:
    journal = moto_dynamo.table_name(JOURNAL)
    moto_dynamo.client.put_item(TableName=journal, Item=_journal_item(1))
    before = {i["IndexName"] for i in moto_dynamo.describe(JOURNAL)["LocalSecondaryIndexes"]}  # type: ignore[index]
    # A change DynamoDB itself would refuse, made inside moto: the table's description is what is compared.
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.AWS_REGION].tables[journal]
    table.indexes = table.indexes[1:]
    MOTO.empty()
    MOTO.ready(moto_dynamo, settings.AWS_REGION)
    after = {i["IndexName"] for i in moto_dynamo.describe(JOURNAL)["LocalSecondaryIndexes"]}  # type: ignore[index]
    assert after == before and len(before) > 1
    assert _item_count(moto_dynamo) == 0


def test_it_makes_the_moto_tables_afresh_after_a_test_reset_moto(moto_dynamo: DynamoGateway, settings) -> None:
    BackendDict.reset()  # what a test's own mock_aws() does when it starts
    assert moto_dynamo.describe(JOURNAL) is None
    MOTO.ready(moto_dynamo, settings.AWS_REGION)
    assert all(moto_dynamo.describe(table) is not None for table in ALL_TABLES)
    assert _item_count(moto_dynamo) == 0


def test_it_empties_every_dynoxide_table_it_keeps(dynoxide_dynamo: DynamoGateway) -> None:
    journal = dynoxide_dynamo.table_name(JOURNAL)
    for number in range(30):
        dynoxide_dynamo.client.put_item(TableName=journal, Item=_journal_item(number))
    dynoxide_dynamo.client.put_item(TableName=dynoxide_dynamo.table_name(WEB_SESSIONS), Item={"sessionKey": {"S": "k"}})
    DYNOXIDE.empty()
    DYNOXIDE.ready()
    assert dynoxide_dynamo.prefix == DYNOXIDE.prefix  # the same tables, kept
    assert _item_count(dynoxide_dynamo) == 0


def test_it_empties_a_crowded_dynoxide_table_by_making_it_again(dynoxide_dynamo: DynamoGateway) -> None:
    journal = dynoxide_dynamo.table_name(JOURNAL)
    for start in range(0, 250, 25):
        dynoxide_dynamo.client.batch_write_item(
            RequestItems={journal: [{"PutRequest": {"Item": _journal_item(n)}} for n in range(start, start + 25)]}
        )
    DYNOXIDE.empty()
    DYNOXIDE.ready()
    assert dynoxide_dynamo.describe(JOURNAL) is not None
    assert _item_count(dynoxide_dynamo) == 0


def test_it_gives_new_dynoxide_tables_after_a_test_deleted_one(dynoxide_dynamo: DynamoGateway) -> None:
    dynoxide_dynamo.client.delete_table(TableName=dynoxide_dynamo.table_name(WEB_SESSIONS))
    DYNOXIDE.empty()
    assert DYNOXIDE.prefix == ""
    # What was left under the old prefix is gone; the next test's prefix is new and complete.
    assert all(dynoxide_dynamo.describe(table) is None for table in ALL_TABLES)


def test_it_leaves_no_moto_url_patterns_piling_up_between_tests() -> None:
    for _ in range(3):
        with moto_keeping_its_data():
            assert len(responses_mock.registered()) > 0
    assert responses_mock.registered() == []
