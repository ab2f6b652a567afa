"""End-user routes: the branded portal's API. An end-user sees their own client's tickets,
and of those only what is public."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from functions.api.context import EndUserScope, Svc
from functions.api.schemas import (
    AttachmentOut,
    PortalAction,
    PortalBrandingOut,
    PortalMe,
    PortalTicket,
    PortalTicketDetail,
    PortalTicketPage,
)
from mspdesk.domain.attachments import MAX_PER_ACTION, UploadKey, attachments_of
from mspdesk.domain.enums import Priority, RequestType, TicketSource, Visibility
from mspdesk.domain.errors import InvalidInput, NotFound
from mspdesk.domain.models import Action
from mspdesk.services.tickets import ActionInput, TicketInput
from mspdesk.store import entities as kinds

router = APIRouter(prefix="/portal/api", tags=["portal"])
Number = Annotated[int, Path(ge=1, le=10**12)]


class PortalTicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a client_id from an end-user is refused

    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=100_000)
    priority: Priority | None = None
    # "I need something" (service_request) or "something is broken" (incident, the default).
    request_type: RequestType | None = None
    # Keys of files uploaded first through POST /portal/api/attachments.
    attachments: list[UploadKey] = Field(default_factory=list, max_length=MAX_PER_ACTION)


class PortalReplyIn(BaseModel):
    # Empty is fine with a file attached; the service refuses a reply with neither.
    body: str = Field(default="", max_length=100_000)
    attachments: list[UploadKey] = Field(default_factory=list, max_length=MAX_PER_ACTION)


def _portal_action(action: Action) -> PortalAction:
    return PortalAction(
        id=action.id,
        author_name=action.author.name,
        from_support=action.author.kind != "end_user",
        body=action.body,
        created_at=action.created_at,
        attachments=[
            AttachmentOut(
                index=index,
                filename=found.filename,
                content_type=found.content_type,
                size=found.size,
                available=found.key is not None,
            )
            for index, found in enumerate(attachments_of(action.meta))
        ],
    )


@router.get("/branding", response_model=PortalBrandingOut)
def branding(
    svc: Svc,
    response: Response,
    host: Annotated[str | None, Query(max_length=253)] = None,
    client: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")] = None,
) -> PortalBrandingOut:
    """A client's portal branding, before sign-in: by the portal's host name, or by the
    client id in the portal's path (/portal/<client id>/). No authentication: it is what the
    sign-in page shows."""
    store = svc.deps.store
    if (host is None) == (client is None):
        raise InvalidInput("host", "give the portal's host or a client id, not both")
    client_id = store.client_id_by_portal_host(host) if host else client
    found = store.find_entity(kinds.CLIENTS, client_id) if client_id else None
    if found is None or not found.active:
        raise NotFound("portal", host or client or "")
    response.headers["Cache-Control"] = "public, max-age=300"
    return PortalBrandingOut(client_id=found.id, client_name=found.name, branding=found.branding)


@router.get("/me", response_model=PortalMe)
def me(svc: Svc, scope: EndUserScope) -> PortalMe:
    """Who is signed in, and their client's portal branding."""
    client = svc.deps.store.get_entity(kinds.CLIENTS, scope.client_id or "", scope)
    return PortalMe(
        id=scope.principal_id,
        name=scope.name,
        client_id=client.id,
        client_name=client.name,
        branding=client.branding,
    )


@router.get("/tickets", response_model=PortalTicketPage)
def list_tickets(
    svc: Svc,
    scope: EndUserScope,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> PortalTicketPage:
    """Your company's tickets, newest first."""
    page = svc.tickets.portal_list(scope, limit, cursor)
    return PortalTicketPage(
        items=[PortalTicket.of(t) for t in page.items], next_cursor=page.next_cursor
    )


@router.post("/tickets", status_code=201, response_model=PortalTicket)
def raise_ticket(
    data: PortalTicketIn,
    svc: Svc,
    scope: EndUserScope,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> PortalTicket:
    ticket = svc.tickets.create(
        scope,
        TicketInput(
            subject=data.subject,
            body=data.body,
            priority=data.priority,
            request_type=data.request_type,
            attachments=data.attachments,
        ),
        source=TicketSource.PORTAL,
        idempotency_key=idempotency_key,
    )
    return PortalTicket.of(ticket)


@router.get("/tickets/{number}", response_model=PortalTicketDetail)
def ticket(number: Number, svc: Svc, scope: EndUserScope) -> PortalTicketDetail:
    detail = svc.tickets.detail(scope, number)
    return PortalTicketDetail(
        **PortalTicket.of(detail.ticket).model_dump(),
        actions=[_portal_action(a) for a in sorted(detail.actions, key=lambda a: a.created_at)],
        raised_by_you=detail.ticket.end_user_id == scope.principal_id,
    )


@router.post("/tickets/{number}/replies", status_code=201, response_model=PortalAction)
def reply(number: Number, data: PortalReplyIn, svc: Svc, scope: EndUserScope) -> PortalAction:
    _, action = svc.tickets.add_action(
        scope,
        number,
        ActionInput(body=data.body, visibility=Visibility.PUBLIC, attachments=data.attachments),
    )
    return _portal_action(action)


@router.post("/tickets/{number}/resolve", response_model=PortalTicket)
def resolve(number: Number, svc: Svc, scope: EndUserScope) -> PortalTicket:
    """The end-user says the problem is fixed: resolved; a later reply reopens it."""
    return PortalTicket.of(svc.tickets.resolve_for_requester(scope, number))
