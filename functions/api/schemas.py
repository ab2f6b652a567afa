"""What the API answers: the domain models plus what a screen derives from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from mspdesk.domain.enums import Priority, Role, SlaState, TicketStatus
from mspdesk.domain.models import (
    Action,
    Asset,
    Client,
    Contract,
    EndUser,
    PortalBranding,
    Presence,
    SlaPlan,
    Ticket,
    TimeEntry,
)
from mspdesk.domain.triage import TriageRecord
from mspdesk.services.tickets import TicketDetail


class TicketOut(Ticket):
    sla_state: SlaState | None = None
    sla_due_at: datetime | None = None

    @classmethod
    def of(cls, ticket: Ticket) -> TicketOut:
        return cls.model_construct(
            **dict(ticket), sla_state=ticket.queue_sla_state, sla_due_at=ticket.queue_due_at
        )


class TicketPage(BaseModel):
    items: list[TicketOut]
    next_cursor: str | None = None


class ContextOut(BaseModel):
    client: Client
    contract: Contract | None
    sla_plan: SlaPlan | None
    end_user: EndUser | None
    recent_tickets: list[TicketOut]
    assets: list[Asset]
    vip: bool = Field(description="the end-user is a VIP")
    unsupported: bool = Field(description="the client or the end-user is not supported")
    popup_notes: list[str] = Field(description="notes to show the moment the ticket opens")


class TicketDetailOut(TicketOut):
    actions: list[Action]
    time_entries: list[TimeEntry]
    presence: list[Presence]
    context: ContextOut | None
    # What AI triage did or suggests: method, neighbours, fields, confidence, overrides.
    triage: TriageRecord | None = None

    @classmethod
    def of_detail(cls, detail: TicketDetail) -> TicketDetailOut:
        ctx = detail.context
        context = None
        if ctx is not None:
            end_user = ctx.end_user
            context = ContextOut(
                client=ctx.client,
                contract=ctx.contract,
                sla_plan=ctx.sla_plan,
                end_user=end_user,
                recent_tickets=[TicketOut.of(t) for t in ctx.recent_tickets],
                assets=ctx.assets,
                vip=bool(end_user and end_user.vip),
                unsupported=ctx.client.unsupported or bool(end_user and end_user.unsupported),
                popup_notes=[*ctx.client.popup_notes, *(end_user.popup_notes if end_user else [])],
            )
        ticket = detail.ticket
        return cls.model_construct(
            **dict(ticket),
            sla_state=ticket.queue_sla_state,
            sla_due_at=ticket.queue_due_at,
            actions=sorted(detail.actions, key=lambda a: a.created_at),
            time_entries=detail.time_entries,
            presence=detail.presence,
            context=context,
            triage=detail.triage,
        )


class AttachmentOut(BaseModel):
    """A file an action lists; `index` is how it is downloaded."""

    index: int
    filename: str
    content_type: str
    size: int
    # False when the file was not kept (over the size limit): it is named, not downloadable.
    available: bool


class PortalAction(BaseModel):
    id: str
    author_name: str | None
    from_support: bool
    body: str
    created_at: datetime
    attachments: list[AttachmentOut] = []


class UploadOut(BaseModel):
    """POST the file to `url` as multipart/form-data: every field of `fields`, then the file
    as `file`; then name `key` in the ticket's or reply's `attachments`."""

    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_at: datetime


class DownloadOut(BaseModel):
    """A link to the file that works for a few minutes, without the bearer token."""

    url: str
    filename: str
    content_type: str
    size: int
    expires_at: datetime


class PortalTicket(BaseModel):
    number: int
    subject: str
    status: TicketStatus
    priority: Priority
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, ticket: Ticket) -> PortalTicket:
        return cls(**ticket.model_dump(include=set(cls.model_fields)))


class PortalTicketDetail(PortalTicket):
    actions: list[PortalAction]
    # Only the person who raised a ticket may mark it resolved.
    raised_by_you: bool = False


class PortalTicketPage(BaseModel):
    items: list[PortalTicket]
    next_cursor: str | None = None


class PortalBrandingOut(BaseModel):
    client_id: str
    client_name: str
    branding: PortalBranding


class PortalMe(BaseModel):
    id: str
    name: str
    client_id: str
    client_name: str
    branding: PortalBranding


class Me(BaseModel):
    id: str
    name: str
    role: Role
    client_id: str | None


class Account(BaseModel):
    email: str
    name: str
    role: Role
    client_id: str | None


class TokenRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class EntityPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None = None


class PresenceIn(BaseModel):
    activity: str = Field(default="viewing", pattern="^(viewing|replying|editing)$")


class PresenceOut(BaseModel):
    others: list[Presence]
