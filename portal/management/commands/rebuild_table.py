"""python manage.py rebuild_table Journal: copy a table into the shape schema.py gives it.

For local data made by an earlier version (keys and local indexes cannot be
changed on an existing table). Stop the app first: writes made during the
copy would be lost.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.domain import DatabaseUnavailable
from portal.dynamo.connection import get_gateway
from portal.dynamo.schema import ALL_TABLES
from portal.dynamo.tables import rebuild_table


class Command(BaseCommand):
    help = "Rebuild one DynamoDB table in the shape portal/dynamo/schema.py gives it, keeping its items."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("table", choices=[t.name for t in ALL_TABLES], help="the table's name in schema.py")

    def handle(self, *args: Any, **options: Any) -> None:
        table = next(t for t in ALL_TABLES if t.name == options["table"])
        gateway = get_gateway()
        self.stdout.write(f"DynamoDB at {gateway.client.meta.endpoint_url}, table prefix {gateway.prefix!r}")
        try:
            copied = rebuild_table(gateway, table, report=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except (DatabaseUnavailable, BotoCoreError, ClientError) as exc:
            raise CommandError(f"DynamoDB did not answer ({exc}).") from exc
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {gateway.table_name(table)} with {copied} item(s)."))
