"""What the desk keeps about mail besides tickets: the ignored-mail log, the unmatched view,
a ticket's watchers and the mail it sent. Pydantic models, stored whole like the entities."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import Field

from mspdesk.domain.models import Model, utcnow


def mail_key(message_id: str) -> str:
    """A short, stable key for a Message-ID: ids are up to 1000 bytes of anything."""
    return hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class RawMail(Model):
    """Where the raw message is kept (always: it is stored before anything else happens)."""

    bucket: str
    key: str


class IgnoredMail(Model):
    """A mail that opened no ticket because a program sent it (issue 3, point 5)."""

    id: str
    message_id: str
    received_at: datetime
    sender: str | None = None
    subject: str = Field(default="", max_length=500)
    kind: str
    reason: str = Field(max_length=1000)
    raw: RawMail
    # The ticket a bounce of our mail was noted on.
    ticket_number: int | None = None


class UnmatchedMail(Model):
    """A mail from a sender no client owns, waiting for an agent to pick the client."""

    id: str
    message_id: str
    received_at: datetime
    sender: str | None = None
    sender_name: str = ""
    subject: str = Field(default="", max_length=500)
    preview: str = Field(default="", max_length=2000)
    reason: str = Field(max_length=1000)
    raw: RawMail
    attachments: int = 0
    version: int = 1


class Watcher(Model):
    """A known person copied on a ticket's mail: replies to the ticket go to them too."""

    ticket_number: int
    email: str
    name: str = ""
    kind: str = Field(pattern="^(end_user|agent)$")
    person_id: str
    added_at: datetime = Field(default_factory=utcnow)


class SentMail(Model):
    """A mail the desk sent on a ticket (an acknowledgement or an agent's reply)."""

    ticket_number: int
    purpose: str = Field(pattern="^(ack|reply)$")
    action_id: str | None = None
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    message_ids: list[str] = Field(default_factory=list)
    sent_at: datetime | None = None
    state: str = Field(default="sending", pattern="^(sending|sent|skipped)$")
    note: str | None = None
