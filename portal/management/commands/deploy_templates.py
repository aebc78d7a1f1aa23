"""python manage.py deploy_templates [--check | --steps-from DEPLOYED.json]: write (or check)
deploy/dynamodb.template.json, or the templates that reach it from a deployed one, one global
index per table per step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.dynamo.deployment import TEMPLATE_PATH, migration_steps, render_template


class Command(BaseCommand):
    help = "Write the CloudFormation template of the DynamoDB tables and IAM policy from schema.py."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Fail if the committed template differs from what schema.py and access.py produce.",
        )
        parser.add_argument(
            "--steps-from",
            type=Path,
            help="The template the stack runs now: write step-1.json, step-2.json, ... (deploy in turn) "
            "to --steps-dir, each adding or dropping at most one global index of each table.",
        )
        parser.add_argument("--steps-dir", type=Path, default=Path("deploy/steps"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            wanted = render_template()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["steps_from"]:
            steps = migration_steps(json.loads(options["steps_from"].read_text()))
            directory: Path = options["steps_dir"]
            directory.mkdir(parents=True, exist_ok=True)
            for number, step in enumerate(steps, start=1):
                (directory / f"step-{number}.json").write_text(json.dumps(step, indent=2) + "\n")
            self.stdout.write(f"{len(steps)} step(s) in {directory}: deploy step-1.json first, each after the last completes.")
            return
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
