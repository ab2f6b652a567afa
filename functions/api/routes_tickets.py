"""Agent routes for tickets: create, the queue, detail, change, actions, presence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from functions.api.context import Staff, Svc, required_version
from functions.api.routes_timers import TimeCapture, start_viewing_timer
from functions.api.schemas import (
    Me,
    PresenceIn,
    PresenceOut,
    TicketDetailOut,
    TicketOut,
    TicketPage,
)
from mspdesk.domain.enums import PresenceActivity, Priority, SlaState, TicketStatus
from mspdesk.domain.errors import InvalidInput
from mspdesk.domain.models import Action
from mspdesk.services.admin import BY_PATH
from mspdesk.services.tickets import ActionInput, TicketInput, TicketPatch
from mspdesk.store.dynamo import QueueFilter

router = APIRouter(prefix="/api", tags=["tickets"])
Number = Annotated[int, Path(ge=1, le=10**12)]
IdQuery = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


@router.get("/me", response_model=Me)
def me(scope: Staff) -> Me:
    return Me(id=scope.principal_id, name=scope.name, role=scope.role, client_id=None)


@router.post("/tickets", status_code=201, response_model=TicketOut)
def create_ticket(
    data: TicketInput,
    svc: Svc,
    scope: Staff,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> TicketOut:
    """Raise a ticket for a client. Send Idempotency-Key so a retry never duplicates it."""
    if data.client_id is None:
        raise InvalidInput("client_id", "client_id is required")
    return TicketOut.of(svc.tickets.create(scope, data, idempotency_key=idempotency_key))


@router.get("/tickets", response_model=TicketPage)
def queue(
    svc: Svc,
    scope: Staff,
    client_id: IdQuery = None,
    status: TicketStatus | None = None,
    agent_id: IdQuery = None,
    team_id: IdQuery = None,
    priority: Priority | None = None,
    sla: SlaState | None = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> TicketPage:
    """The queue: open tickets across every client, by SLA due then age, cursor-paged.
    `agent_id=unassigned` and `team_id=unassigned` find tickets nobody has."""
    filters = QueueFilter(
        client_id=client_id,
        status=status,
        agent_id=agent_id,
        team_id=team_id,
        priority=priority.value if priority else None,
        sla=sla.value if sla else None,
    )
    page = svc.tickets.queue(scope, filters, limit, cursor)
    return TicketPage(items=[TicketOut.of(t) for t in page.items], next_cursor=page.next_cursor)


@router.get("/tickets/{number}", response_model=TicketDetailOut)
def ticket_detail(
    number: Number, svc: Svc, scope: Staff, response: Response, timers: TimeCapture
) -> TicketDetailOut:
    """The ticket, its actions and time, who else is on it, and the client context panel.
    Opening it starts your viewing timer when your team times from the moment a ticket opens
    (GET /api/tickets/{number}/timer)."""
    opened = start_viewing_timer(timers, scope, number)
    detail = svc.tickets.detail(scope, number)
    opened.result()
    response.headers["ETag"] = f'"{detail.ticket.version}"'
    return TicketDetailOut.of_detail(detail)


@router.patch("/tickets/{number}", response_model=TicketOut)
def change_ticket(
    number: Number,
    patch: TicketPatch,
    svc: Svc,
    scope: Staff,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> TicketOut:
    """Change status, priority, category, team, assignee or subject. If-Match must carry the
    version you read; a stale one gets 409 and changes nothing."""
    ticket = svc.tickets.update(scope, number, required_version(if_match), patch)
    response.headers["ETag"] = f'"{ticket.version}"'
    return TicketOut.of(ticket)


@router.post("/tickets/{number}/actions", status_code=201, response_model=Action)
def add_action(number: Number, data: ActionInput, svc: Svc, scope: Staff) -> Action:
    """A public reply to the end-user, a private note, or a call."""
    _, action = svc.tickets.add_action(scope, number, data)
    return action


@router.put("/tickets/{number}/presence", response_model=PresenceOut)
def heartbeat(number: Number, data: PresenceIn, svc: Svc, scope: Staff) -> PresenceOut:
    """Say you are viewing or replying (every 15 s); answers who else is on the ticket."""
    others = svc.tickets.heartbeat(scope, number, PresenceActivity(data.activity))
    return PresenceOut(others=others)


@router.delete("/tickets/{number}/presence", status_code=204)
def leave(number: Number, svc: Svc, scope: Staff) -> Response:
    svc.tickets.leave(scope, number)
    return Response(status_code=204)


@router.get("/clients/{client_id}/tickets", response_model=TicketPage)
def client_tickets(
    client_id: Annotated[str, Path(max_length=64)],
    svc: Svc,
    scope: Staff,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> TicketPage:
    """A client's tickets, newest first, open or not."""
    page = svc.deps.store.client_tickets(client_id, scope, limit, cursor)
    return TicketPage(items=[TicketOut.of(t) for t in page.items], next_cursor=page.next_cursor)


@router.get("/end-users/{end_user_id}/tickets", response_model=TicketPage)
def end_user_tickets(
    end_user_id: Annotated[str, Path(max_length=64)],
    svc: Svc,
    scope: Staff,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> TicketPage:
    """An end-user's tickets, newest first."""
    person = svc.admin.get(scope, BY_PATH["end-users"], end_user_id)
    client_id = str(getattr(person, "client_id", ""))
    page = svc.deps.store.end_user_tickets(end_user_id, client_id, scope, limit, cursor)
    return TicketPage(items=[TicketOut.of(t) for t in page.items], next_cursor=page.next_cursor)
