"""Support when an entry says things are very hard: where to turn, never an alert.

The journal stays private: nothing here sends, records or tells anyone anything.
It only decides whether the confirmation shows the crisis contacts, and reads
them from the one setting (``CRISIS_CONTACTS``) that messaging shows too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from portal.domain import JournalEntry, is_distressing


@dataclass(frozen=True)
class CrisisContact:
    name: str
    how: str
    call: str = ""
    text: str = ""

    @property
    def call_href(self) -> str:
        return f"tel:{self.call}" if self.call else ""

    @property
    def text_href(self) -> str:
        return f"sms:{self.text}" if self.text else ""


def crisis_contacts() -> list[CrisisContact]:
    return [
        CrisisContact(
            name=contact["name"],
            how=contact["how"],
            call=contact.get("call", ""),
            text=contact.get("text", ""),
        )
        for contact in settings.CRISIS_CONTACTS
    ]


def entry_calls_for_support(entry: JournalEntry) -> bool:
    """A distressing feeling (the vocabulary marks which) at a high intensity."""
    return is_distressing(entry.feeling, entry.intensity)
