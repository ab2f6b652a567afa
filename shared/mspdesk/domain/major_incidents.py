"""A suspected major incident: keywords several clients reported within the window, the
tickets and calls that reported them, and what an agent made of it (a Problem ticket that the
others are linked to, or a dismissal)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from mspdesk.domain.enums import Priority, TicketStatus
from mspdesk.domain.models import Id, Model, utcnow


class IncidentStatus(StrEnum):
    OPEN = "open"  # suspected, nobody has acted yet
    PROBLEM = "problem"  # an agent raised a Problem ticket for it
    DISMISSED = "dismissed"  # an agent judged it a coincidence


class Report(Model):
    """A ticket or call that reported the incident's keywords."""

    key: str  # "ticket:<number>" or "call:<id>"
    client_id: Id
    at: datetime
    ticket_number: int | None = None
    call_id: Id | None = None


class MajorIncident(Model):
    id: Id
    status: IncidentStatus = IncidentStatus.OPEN
    keywords: list[str] = Field(default_factory=list)
    client_ids: list[Id] = Field(default_factory=list)
    reports: list[Report] = Field(default_factory=list)
    problem_number: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1

    @property
    def ticket_numbers(self) -> list[int]:
        return list(dict.fromkeys(r.ticket_number for r in self.reports if r.ticket_number))


class ProblemLinks(Model):
    """A Problem ticket and the tickets linked to it."""

    number: int
    incident_id: Id | None = None
    linked: list[int] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)


class ProblemSummary(Model):
    """A Problem as the list shows it: its ticket's subject and state, how many it explains."""

    number: int
    subject: str
    status: TicketStatus
    priority: Priority
    client_id: Id
    created_at: datetime
    incident_id: Id | None = None
    linked_count: int = 0


class TicketProblem(Model):
    """Where a ticket stands with Problems: it is one (`problem`), or is linked to one."""

    problem: ProblemLinks | None = None
    linked_to: int | None = None
