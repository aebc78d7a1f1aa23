"""python manage.py create_tables: create whatever tables are missing (safe to re-run).

Stops with a clear message when an existing table's keys or indexes differ
from portal/dynamo/schema.py (see portal/dynamo/tables.py for why).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError

from portal.domain import DatabaseUnavailable
from portal.dynamo.connection import get_gateway
from portal.dynamo.tables import SchemaDrift, create_missing_tables


class Command(BaseCommand):
    help = "Create the DynamoDB tables that do not exist yet, enable TTL where used, check the others' shape."

    def handle(self, *args: Any, **options: Any) -> None:
        gateway = get_gateway()
        target = gateway.client.meta.endpoint_url
        self.stdout.write(f"DynamoDB at {target}, table prefix {gateway.prefix!r}")
        try:
            created = create_missing_tables(gateway, report=self.stdout.write)
        except SchemaDrift as exc:
            raise CommandError(str(exc)) from exc
        except (DatabaseUnavailable, BotoCoreError, ClientError) as exc:
            raise CommandError(f"DynamoDB did not answer ({exc}).") from exc
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created {len(created)} table(s)."))
        else:
            self.stdout.write("All tables already exist; nothing to do.")
