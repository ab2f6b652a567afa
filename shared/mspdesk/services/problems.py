"""Problem tickets: an agent raises one for a suspected major incident (or by hand) and links
the tickets it explains. A public update on the Problem reaches every linked ticket, and
resolving the Problem resolves them: both follow the Problem's own events (ActionAdded,
TicketUpdated), so an update made on any route, by any client of the API, reaches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field

from mspdesk.domain.attachments import attachments_of
from mspdesk.domain.enums import ActionKind, Priority, Role, TicketStatus, Visibility
from mspdesk.domain.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    TicketNotFound,
    VersionConflict,
)
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.major_incidents import (
    IncidentStatus,
    MajorIncident,
    ProblemLinks,
    ProblemSummary,
    TicketProblem,
)
from mspdesk.domain.models import Id, Model
from mspdesk.domain.scope import Scope
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import ActionInput, TicketInput, TicketPatch, TicketService
from mspdesk.store.calls import CallStore
from mspdesk.store.dynamo import Page
from mspdesk.store.major_incidents import IncidentStore

RESOLVE_ATTEMPTS = 8
MAX_LINKS = 200
TicketNumber = Annotated[int, Field(ge=1, le=10**12)]


class ProblemInput(Model):
    """A Problem ticket. It belongs to one client (say, the MSP's own); its public updates
    reach the linked tickets of every client."""

    client_id: Id | None = None  # default: the client of the first linked ticket
    subject: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    body: Annotated[str, Field(min_length=1, max_length=100_000)] | None = None
    priority: Priority = Priority.P2
    team_id: Id | None = None
    ticket_numbers: list[TicketNumber] = Field(default_factory=list, max_length=MAX_LINKS)


class LinkInput(Model):
    ticket_numbers: list[TicketNumber] = Field(min_length=1, max_length=MAX_LINKS)


class _Held:
    """Events kept back until the caller lets them go."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)


def _staff(scope: Scope) -> None:
    if not scope.is_staff:
        raise NotFound("route", "problems")


class ProblemService:
    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self.incidents = IncidentStore(deps.store)
        self._calls = CallStore(deps.store)
        self._tickets = TicketService(deps)

    # --- incidents ---------------------------------------------------------------------------

    def incidents_page(
        self, scope: Scope, status: IncidentStatus, limit: int, cursor: str | None
    ) -> Page[MajorIncident]:
        _staff(scope)
        return self.incidents.page(status, limit, cursor)

    def incident(self, scope: Scope, incident_id: str) -> MajorIncident:
        _staff(scope)
        found = self.incidents.get(incident_id, consistent=True)
        if found is None:
            raise NotFound("major_incident", incident_id)
        return found

    def dismiss(self, scope: Scope, incident_id: str) -> MajorIncident:
        incident = self.incident(scope, incident_id)
        if incident.status is not IncidentStatus.OPEN:
            raise InvalidInput("status", f"the incident is {incident.status.value} already")
        return self._set_status(incident.id, IncidentStatus.DISMISSED, None)

    def _set_status(
        self, incident_id: str, status: IncidentStatus, problem: int | None
    ) -> MajorIncident:
        """The lateral consumer may grow the incident meanwhile: write on what is stored."""
        for _ in range(RESOLVE_ATTEMPTS):
            current = self.incidents.get(incident_id, consistent=True)
            if current is None:
                raise NotFound("major_incident", incident_id)
            changed = current.model_copy(
                update={
                    "status": status,
                    "problem_number": problem,
                    "version": current.version + 1,
                    "updated_at": self._d.clock(),
                }
            )
            try:
                self.incidents.save(changed, current.version)
            except VersionConflict:
                continue
            return changed
        raise VersionConflict("major_incident", incident_id, 0, None)

    def _reported_tickets(self, incident: MajorIncident) -> list[int]:
        """The incident's tickets, and the tickets its calls were logged on."""
        numbers = list(incident.ticket_numbers)
        for report in incident.reports:
            if report.call_id:
                call = self._calls.get(report.call_id)
                if call is not None and call.ticket_number:
                    numbers.append(call.ticket_number)
        return list(dict.fromkeys(numbers))

    # --- Problems ----------------------------------------------------------------------------

    def raise_for_incident(
        self, scope: Scope, incident_id: str, data: ProblemInput
    ) -> ProblemLinks:
        incident = self.incident(scope, incident_id)
        if incident.status is not IncidentStatus.OPEN:
            raise InvalidInput("status", f"the incident is {incident.status.value} already")
        # A report resolved since it came in has nothing left to hear; tickets the agent
        # names are checked like any link.
        reported = self._reported_tickets(incident)
        tickets = self._d.store.tickets_by_number(reported)
        still_open = [n for n in reported if n in tickets and tickets[n].status.is_open]
        numbers = list(dict.fromkeys([*still_open, *data.ticket_numbers]))
        subject = data.subject or f"Major incident: {', '.join(incident.keywords[:5])}"
        body = data.body or (
            f"Reported by {len(incident.client_ids)} clients within minutes "
            f"(keywords: {', '.join(incident.keywords)})."
        )
        problem = self.raise_problem(
            scope,
            data.model_copy(update={"subject": subject, "body": body, "ticket_numbers": numbers}),
            incident.id,
        )
        self._set_status(incident.id, IncidentStatus.PROBLEM, problem.number)
        return problem

    def raise_problem(
        self, scope: Scope, data: ProblemInput, incident_id: str | None = None
    ) -> ProblemLinks:
        _staff(scope)
        if not data.subject or not data.body:
            raise InvalidInput("subject", "a Problem needs a subject and a body")
        client_id = data.client_id
        if client_id is None:
            if not data.ticket_numbers:
                raise InvalidInput("client_id", "name the client, or tickets to link")
            client_id = self._d.store.get_ticket(data.ticket_numbers[0], scope).client_id
        self._linkable(scope, data.ticket_numbers)  # refused before the Problem exists
        # The Problem's own TicketCreated goes out once it is known as a Problem, so that the
        # lateral analysis never counts it as one more report of the incident.
        held = _Held()
        tickets = TicketService(Deps(self._d.store, held, self._d.clock))
        ticket = tickets.create(
            scope,
            TicketInput(
                client_id=client_id,
                subject=data.subject,
                body=data.body,
                priority=data.priority,
                team_id=data.team_id,
                agent_id=scope.principal_id if scope.principal_id != "system" else None,
            ),
        )
        self.incidents.create_problem(ticket.number, incident_id)
        self._d.events.publish(held.events)
        if data.ticket_numbers:
            return self.link(scope, ticket.number, LinkInput(ticket_numbers=data.ticket_numbers))
        return self.get(scope, ticket.number)

    def get(self, scope: Scope, number: int) -> ProblemLinks:
        _staff(scope)
        found = self.incidents.problem(number)
        if found is None:
            raise NotFound("problem", str(number))
        return found

    def page(
        self, scope: Scope, limit: int, cursor: str | None, resolved: bool = False
    ) -> Page[ProblemSummary]:
        """Open (or resolved) Problems, newest first, with their tickets' subject and state."""
        _staff(scope)
        found, next_cursor = self.incidents.problems_page(not resolved, limit, cursor)
        tickets = self._d.store.tickets_by_number(number for number, _, _ in found)
        items = [
            ProblemSummary(
                number=number,
                subject=ticket.subject,
                status=ticket.status,
                priority=ticket.priority,
                client_id=ticket.client_id,
                created_at=ticket.created_at,
                incident_id=incident_id,
                linked_count=linked_count,
            )
            for number, incident_id, linked_count in found
            if (ticket := tickets.get(number)) is not None
        ]
        return Page(items, next_cursor)

    def of_ticket(self, scope: Scope, number: int) -> TicketProblem:
        """The Problem a ticket is, or the one it is linked to (neither: both empty)."""
        _staff(scope)
        self._d.store.get_ticket(number, scope)
        return TicketProblem(
            problem=self.incidents.problem(number), linked_to=self.incidents.problem_of(number)
        )

    def link(self, scope: Scope, problem: int, data: LinkInput) -> ProblemLinks:
        """Link tickets to the Problem, each with a private note saying so. Every ticket is
        checked before any is linked: a refused request links none."""
        links = self.get(scope, problem)
        subject = self._d.store.get_ticket(problem, scope).subject
        wanted = [n for n in data.ticket_numbers if n != problem and n not in links.linked]
        for number in self._linkable(scope, wanted):
            try:
                added = self.incidents.link(problem, number)
            except AlreadyExists as exc:
                raise InvalidInput(
                    "ticket_numbers", f"#{number} is linked to another Problem"
                ) from exc
            if added:
                self._tickets.add_action(
                    scope,
                    number,
                    ActionInput(
                        body=f"Linked to Problem #{problem}: {subject}",
                        visibility=Visibility.PRIVATE,
                    ),
                )
        return self.get(scope, problem)

    def _linkable(self, scope: Scope, numbers: Sequence[int]) -> list[int]:
        """The tickets, once each, if every one may be linked; else a 422 naming those that
        may not: a Problem, or a ticket already resolved (nothing more would reach it)."""
        numbers = list(dict.fromkeys(numbers))
        _staff(scope)
        tickets = self._d.store.tickets_by_number(numbers)
        refused: list[str] = []
        for number in numbers:
            ticket = tickets.get(number)
            if ticket is None:
                raise TicketNotFound(number)
            if self.incidents.is_problem(number):
                refused.append(f"#{number} is a Problem itself")
            elif not ticket.status.is_open:
                refused.append(f"#{number} is {ticket.status.value.replace('_', ' ')}")
        if refused:
            raise InvalidInput(
                "ticket_numbers", f"{'; '.join(refused)}: only open tickets can be linked"
            )
        return numbers

    def unlink(self, scope: Scope, problem: int, number: int) -> ProblemLinks:
        links = self.get(scope, problem)
        if number not in links.linked:
            raise NotFound("problem link", str(number))
        self.incidents.unlink(problem, number)
        return self.get(scope, problem)

    # --- what follows the Problem's events ----------------------------------------------------

    def on_action_added(self, number: int, action_id: str) -> int:
        """Copy a public update of a Problem to its linked tickets; returns how many got it."""
        problem = self.incidents.problem(number)
        if problem is None or not problem.linked:
            return 0
        record = self._d.store.get_ticket_record(number, Scope.system(), self._d.clock())
        action = next((a for a in record.actions if a.id == action_id), None)
        if (
            action is None
            or action.visibility is not Visibility.PUBLIC
            or action.author.kind != "agent"
            or action.kind not in (ActionKind.NOTE, ActionKind.EMAIL_OUT)
        ):
            return 0
        author = Scope(
            role=Role.AGENT,
            principal_id=action.author.id or "system",
            name=action.author.name or "",
        )
        copied = 0
        for child in problem.linked:
            if not self.incidents.claim_copy(number, action.id, child, self._d.clock()):
                continue
            try:
                self._tickets.add_action(
                    author,
                    child,
                    ActionInput(body=action.body, visibility=Visibility.PUBLIC),
                    files=attachments_of(action.meta),
                )
            except Exception:
                self.incidents.release_copy(number, action.id, child)
                raise
            copied += 1
        return copied

    def on_ticket_updated(self, number: int, changes: dict[str, Any]) -> int:
        """A Problem whose status changed moves between the open and resolved lists;
        resolving (or closing) it resolves its open linked tickets."""
        status = changes.get("status")
        if status is None or not self.incidents.is_problem(number):
            return 0
        # Listed by the status stored now, not the event's: events may arrive out of order.
        current = self._d.store.get_ticket(number, Scope.system(), consistent=True)
        self.incidents.file_problem(number, current.status.is_open)
        if status not in (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value):
            return 0
        problem = self.incidents.problem(number)
        if problem is None:
            return 0
        resolved = 0
        system = Scope.system()
        for child in problem.linked:
            for _ in range(RESOLVE_ATTEMPTS):
                ticket = self._d.store.get_ticket(child, system, consistent=True)
                if not ticket.status.is_open:
                    break
                try:
                    self._tickets.update(
                        system, child, ticket.version, TicketPatch(status=TicketStatus.RESOLVED)
                    )
                except VersionConflict:
                    continue
                resolved += 1
                break
        return resolved
