"""python manage.py create_tables: create whatever tables are missing (safe to re-run)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError

from portal.domain import DatabaseUnavailable
from portal.dynamo.connection import get_gateway
from portal.dynamo.tables import create_missing_tables


class Command(BaseCommand):
    help = "Create the DynamoDB tables that do not exist yet and enable TTL where used."

    def handle(self, *args: Any, **options: Any) -> None:
        gateway = get_gateway()
        target = gateway.client.meta.endpoint_url
        self.stdout.write(f"DynamoDB at {target}, table prefix {gateway.prefix!r}")
        try:
            created = create_missing_tables(gateway, report=self.stdout.write)
        except (DatabaseUnavailable, BotoCoreError, ClientError) as exc:
            raise CommandError(f"DynamoDB did not answer ({exc}).") from exc
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created {len(created)} table(s)."))
        else:
            self.stdout.write("All tables already exist; nothing to do.")
