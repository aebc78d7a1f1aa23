"""Seeding journals quickly, for page and call-count tests."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from portal.domain import FEELINGS, JournalEntry
from portal.dynamo.connection import get_gateway
from portal.dynamo.gateway import serialize_item
from portal.dynamo.journal import stored_item  # the stored shape, exactly as the repository writes it
from portal.dynamo.schema import JOURNAL
from portal.ids import new_id
from portal.timeutil import utcnow


def seed_entries(
    client_id: str,
    count: int,
    *,
    start: datetime | None = None,
    step: timedelta = timedelta(hours=3),
    shared_every: int = 0,
    note: str = "",
) -> list[JournalEntry]:
    """``count`` entries going back in time from ``start``, written 25 at a time."""
    rng = random.Random(count)
    start = start or utcnow() - timedelta(minutes=1)
    entries = [
        JournalEntry(
            client_id=client_id,
            entry_id=new_id(),
            time_of_emotion=start - step * number,
            feeling=FEELINGS[rng.randrange(len(FEELINGS))],
            intensity=rng.randint(1, 10),
            note=note,
            shared_at=utcnow() if shared_every and number % shared_every == 0 else None,
            created_at=utcnow(),
        )
        for number in range(count)
    ]
    gateway = get_gateway()
    name = gateway.table_name(JOURNAL)
    for offset in range(0, len(entries), 25):
        requests = [
            {"PutRequest": {"Item": serialize_item(stored_item(entry))}} for entry in entries[offset : offset + 25]
        ]
        while requests:
            response = gateway.client.batch_write_item(RequestItems={name: requests})
            requests = response.get("UnprocessedItems", {}).get(name, [])
    return entries
