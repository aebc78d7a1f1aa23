"""python manage.py deploy_templates [--check]: write (or check) deploy/dynamodb.template.json."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.dynamo.deployment import TEMPLATE_PATH, render_template


class Command(BaseCommand):
    help = "Write the CloudFormation template of the DynamoDB tables and IAM policy from schema.py."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Fail if the committed template differs from what schema.py and access.py produce.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            wanted = render_template()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        current = TEMPLATE_PATH.read_text() if TEMPLATE_PATH.exists() else None
        if options["check"]:
            if current != wanted:
                raise CommandError(
                    f"{TEMPLATE_PATH.name} is out of date: run `DJANGO_DEBUG=true python manage.py deploy_templates`."
                )
            self.stdout.write(f"{TEMPLATE_PATH.name} is up to date.")
            return
        TEMPLATE_PATH.parent.mkdir(parents=True, exist_ok=True)
        TEMPLATE_PATH.write_text(wanted)
        self.stdout.write(f"Wrote {TEMPLATE_PATH}.")
