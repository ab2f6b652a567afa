"""What a parsed mail holds, and what classification says about it.

Frozen dataclasses rather than pydantic models: a mail is built once by `parse` from trusted code,
never from user JSON, and ingestion is benchmarked against a bare stdlib parse (issue 3), so the
validation pydantic would run on every attachment and address buys nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from mspdesk.domain.mail.charset import decode_header_words


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: `address` as written (matching should lower-case it), `name` decoded."""

    address: str
    name: str = ""

    @property
    def domain(self) -> str:
        """The lower-cased domain ("" when the address has none)."""
        return self.address.rpartition("@")[2].lower() if "@" in self.address else ""

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file or inline image. `size` is len(payload); the caller applies its size limit."""

    filename: str | None
    content_type: str
    size: int
    content_id: str | None
    inline: bool
    payload: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """The headers of an enclosed message: a forwarded one, or the original inside a report."""

    from_address: Address | None = None
    subject: str | None = None
    message_id: str | None = None
    to: tuple[Address, ...] = ()
    date: datetime | None = None


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """One per-recipient block of a delivery status notification (RFC 3464)."""

    recipient: str | None
    action: str | None
    status: str | None
    diagnostic: str | None

    @property
    def permanent(self) -> bool:
        """A final failure ("failed", status 5.x.x), not a delay or a success."""
        if self.action is not None:
            return self.action.lower() == "failed"
        return bool(self.status and self.status.startswith("5"))


@dataclass(frozen=True, slots=True)
class Report:
    """What the machine-readable parts of a report said (multipart/report, RFC 6522 and kin).

    `report_type` is the report-type parameter, or what the parts show when it is missing.
    """

    report_type: str | None
    recipients: tuple[RecipientStatus, ...] = ()
    feedback_type: str | None = None
    disposition: str | None = None
    original: MessageSummary | None = None
    original_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """Everything ingestion needs from one raw message. Built by `parse`, never raises on access.

    `text` is the whole readable body and is always kept; `new_text` is the part of a reply the
    sender wrote this time (see `split_reply`). Message ids are bare (no angle brackets).
    """

    message_id: str
    message_id_synthesised: bool
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_address: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: datetime | None
    auto_submitted: str | None
    precedence: str | None
    list_id: str | None
    auto_response_suppress: str | None
    return_path: str | None
    text: str
    html: str | None
    new_text: str
    signature: str | None
    attachments: tuple[Attachment, ...]
    forwarded: tuple[MessageSummary, ...]
    report: Report | None
    defects: tuple[str, ...]
    size: int
    headers: tuple[tuple[str, str], ...] = field(repr=False)

    def header(self, name: str) -> str | None:
        """The first top-level header called `name` (any case), unfolded and decoded."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return decode_header_words(value)
        return None

    def header_all(self, name: str) -> list[str]:
        """Every top-level header called `name`, in order, unfolded and decoded."""
        wanted = name.lower()
        return [decode_header_words(v) for k, v in self.headers if k.lower() == wanted]

    @property
    def forwarded_from(self) -> Address | None:
        """The sender of the innermost forwarded message that names one."""
        for summary in reversed(self.forwarded):
            if summary.from_address is not None:
                return summary.from_address
        return None

    @property
    def forwarded_subject(self) -> str | None:
        """The subject of the innermost forwarded message that has one."""
        for summary in reversed(self.forwarded):
            if summary.subject:
                return summary.subject
        return None


class MailKind(StrEnum):
    """What a mail is, for loop protection. Only ORDINARY mail opens or updates tickets."""

    ORDINARY = "ordinary"
    AUTO_REPLY = "auto_reply"
    BULK = "bulk"
    BOUNCE = "bounce"
    FEEDBACK_REPORT = "feedback_report"
    READ_RECEIPT = "read_receipt"

    @property
    def is_automatic(self) -> bool:
        """Written by a program or a list: never opens a ticket, never gets an automatic reply."""
        return self is not MailKind.ORDINARY


@dataclass(frozen=True, slots=True)
class Classification:
    """The verdict of `classify`: the kind, why (for the ignored-mail log), and what it reported.

    `auto_reply_allowed` is False for every automatic kind and for ordinary mail that asks not to
    be answered by a robot (list mail, X-Auto-Response-Suppress, no-reply senders).
    `original_message_id` is the Message-ID of our message that a bounce, feedback report or read
    receipt is about, when the report shows it.
    """

    kind: MailKind
    reason: str
    auto_reply_allowed: bool
    original_message_id: str | None = None
    recipients: tuple[RecipientStatus, ...] = ()
    permanent: bool | None = None
