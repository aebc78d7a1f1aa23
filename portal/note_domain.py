"""Clinical notes: the progress note and the shared note of a session, their addenda and
the client's correction requests, as the service and repository exchange them.

A note is a draft until its therapist signs it. Signing records who, when and
the SHA-256 digest of the note's canonical content (``note_digest``); from then
on the note never changes, and a correction is an addendum, itself signed. The
digest is recomputed on every read, so a stored item altered behind the
application's back shows as altered instead of passing for the signed record.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portal.domain import Conflict, DomainError
from portal.timeutil import to_iso

# HIPAA (45 CFR 164.526) gives a covered entity 60 days to act on a request to amend.
CORRECTION_ANSWER_DUE = timedelta(days=60)
MAX_SECTION_LENGTH = 20_000
MAX_ADDENDUM_LENGTH = 20_000
MAX_REASON_LENGTH = 500
MAX_CORRECTION_LENGTH = 5_000


class NoteKind(enum.StrEnum):
    # The therapist's own progress note: never shown to the client or staff.
    PROGRESS = "progress"
    # What the client reads: one plain text.
    SHARED = "shared"


class NoteTemplate(enum.StrEnum):
    SIMPLE = "simple"
    SOAP = "soap"
    DAP = "dap"
    BIRP = "birp"


# (section id, label) in the order a template writes them.
TEMPLATE_SECTIONS: dict[NoteTemplate, tuple[tuple[str, str], ...]] = {
    NoteTemplate.SIMPLE: (("note", "Note"),),
    NoteTemplate.SOAP: (
        ("subjective", "Subjective"),
        ("objective", "Objective"),
        ("assessment", "Assessment"),
        ("plan", "Plan"),
    ),
    NoteTemplate.DAP: (("data", "Data"), ("assessment", "Assessment"), ("plan", "Plan")),
    NoteTemplate.BIRP: (
        ("behavior", "Behavior"),
        ("intervention", "Intervention"),
        ("response", "Response"),
        ("plan", "Plan"),
    ),
}
TEMPLATE_LABELS: dict[NoteTemplate, str] = {
    NoteTemplate.SIMPLE: "Simple",
    NoteTemplate.SOAP: "SOAP",
    NoteTemplate.DAP: "DAP",
    NoteTemplate.BIRP: "BIRP",
}

Sections = tuple[tuple[str, str], ...]


class NoteSigned(Conflict):
    """The note (or addendum) is signed: it can only be added to, never changed."""

    def __init__(self, message: str = "This note is signed: it can no longer change. Add an addendum instead.") -> None:
        super().__init__(message)


class InvalidNote(DomainError):
    """What was typed cannot be saved as a note; the message says why."""


class CorrectionStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


@dataclass(frozen=True)
class Signature:
    signer_id: str
    signer_name: str
    signed_at: datetime
    digest: str


@dataclass(frozen=True)
class ClinicalNote:
    session_id: str
    therapist_id: str
    client_id: str
    kind: NoteKind
    template: NoteTemplate
    sections: Sections
    version: int = 0  # 0: never saved
    saved_at: datetime | None = None
    signature: Signature | None = None
    # Set on read when the stored digest no longer matches the stored content.
    altered: bool = False

    @property
    def signed(self) -> bool:
        return self.signature is not None

    def text(self, section: str) -> str:
        return dict(self.sections).get(section, "")

    @property
    def is_empty(self) -> bool:
        return not any(text.strip() for _name, text in self.sections)


@dataclass(frozen=True)
class Addendum:
    session_id: str
    therapist_id: str
    client_id: str
    kind: NoteKind  # the note it adds to
    addendum_id: str
    author_id: str
    author_name: str
    reason: str
    text: str
    signature: Signature
    # The correction request this addendum answers, when it does.
    request_id: str | None = None
    altered: bool = False

    @property
    def created_at(self) -> datetime:
        return self.signature.signed_at


@dataclass(frozen=True)
class CorrectionRequest:
    session_id: str
    therapist_id: str
    client_id: str
    request_id: str
    text: str
    requested_at: datetime
    status: CorrectionStatus = CorrectionStatus.OPEN
    version: int = 1
    answered_at: datetime | None = None
    decline_reason: str = ""
    addendum_id: str | None = None
    statement: str = ""
    statement_at: datetime | None = None

    @property
    def due_at(self) -> datetime:
        return self.requested_at + CORRECTION_ANSWER_DUE


@dataclass(frozen=True)
class SessionNotes:
    """Everything stored under one session (one Query)."""

    session_id: str
    notes: dict[NoteKind, ClinicalNote] = field(default_factory=dict)
    addenda: tuple[Addendum, ...] = ()
    corrections: tuple[CorrectionRequest, ...] = ()

    def note(self, kind: NoteKind) -> ClinicalNote | None:
        return self.notes.get(kind)

    def addenda_of(self, kind: NoteKind) -> list[Addendum]:
        """In the order they were signed (an id comes from the form, made when the page was shown)."""
        return sorted((a for a in self.addenda if a.kind is kind), key=lambda a: (a.created_at, a.addendum_id))


def _canonical(payload: dict[str, object]) -> bytes:
    # Sorted keys, no spaces, UTF-8: the same content always gives the same bytes.
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def note_digest(
    *,
    session_id: str,
    kind: NoteKind,
    template: NoteTemplate,
    sections: Sections,
    signer_id: str,
    signed_at: datetime,
) -> str:
    """SHA-256 (hex) of a signed note's canonical content: what was signed, by whom and when."""
    return hashlib.sha256(
        _canonical(
            {
                "session": session_id,
                "kind": str(kind),
                "template": str(template),
                "sections": [[name, text] for name, text in sections],
                "signedBy": signer_id,
                "signedAt": to_iso(signed_at),
            }
        )
    ).hexdigest()


def addendum_digest(
    *,
    session_id: str,
    kind: NoteKind,
    addendum_id: str,
    author_id: str,
    reason: str,
    text: str,
    request_id: str | None,
    signed_at: datetime,
) -> str:
    """SHA-256 (hex) of an addendum's canonical content."""
    return hashlib.sha256(
        _canonical(
            {
                "session": session_id,
                "kind": str(kind),
                "addendum": addendum_id,
                "author": author_id,
                "reason": reason,
                "text": text,
                "request": request_id or "",
                "signedAt": to_iso(signed_at),
            }
        )
    ).hexdigest()


def blank_sections(template: NoteTemplate) -> Sections:
    return tuple((name, "") for name, _label in TEMPLATE_SECTIONS[template])
