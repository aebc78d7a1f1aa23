"""python manage.py createstaff: make a staff account (asks for the password)."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from portal.accounts.user import User
from portal.domain import EmailTaken, normalize_email
from portal.services.accounts import staff_create


class Command(BaseCommand):
    help = "Create a staff account. The password is asked for, never taken from the command line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        email = normalize_email(options["email"])
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not a valid email address.") from None
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        try:
            validate_password(password, user=User(email=email, name=options["name"]))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        try:
            member = staff_create(email=email, name=options["name"], password=password)
        except EmailTaken:
            raise CommandError(f"An account with the email {email} already exists.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created staff account {member.staff_id} for {email}. "
                "At first login they will be asked to set up two-factor authentication."
            )
        )
