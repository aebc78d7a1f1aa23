"""python manage.py rebuild_table Journal (or --drifted): copy tables into the shape schema.py gives them.

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
from portal.dynamo.tables import drifted_tables, rebuild_table


class Command(BaseCommand):
    help = "Rebuild one DynamoDB table in the shape portal/dynamo/schema.py gives it, keeping its items."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "table", nargs="?", choices=[t.name for t in ALL_TABLES], help="the table's name in schema.py"
        )
        parser.add_argument(
            "--drifted", action="store_true", help="rebuild every table whose keys or indexes differ from schema.py"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        gateway = get_gateway()
        self.stdout.write(f"DynamoDB at {gateway.client.meta.endpoint_url}, table prefix {gateway.prefix!r}")
        try:
            if options["drifted"]:
                tables = drifted_tables(gateway)
            elif options["table"]:
                tables = [next(t for t in ALL_TABLES if t.name == options["table"])]
            else:
                raise CommandError("Name a table, or pass --drifted.")
            if not tables:
                self.stdout.write("Every table already has the shape schema.py gives it; nothing to do.")
            for table in tables:
                copied = rebuild_table(gateway, table, report=self.stdout.write)
                self.stdout.write(self.style.SUCCESS(f"Rebuilt {gateway.table_name(table)} with {copied} item(s)."))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except (DatabaseUnavailable, BotoCoreError, ClientError) as exc:
            raise CommandError(f"DynamoDB did not answer ({exc}).") from exc
