"""Tickets: create, change, act on, read with their client context, and the queue."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field

from mspdesk.domain.attachments import MAX_PER_ACTION, StoredAttachment, UploadKey
from mspdesk.domain.enums import (
    ActionKind,
    PresenceActivity,
    Priority,
    RequestType,
    Role,
    TicketSource,
    TicketStatus,
    Visibility,
)
from mspdesk.domain.errors import (
    Forbidden,
    InvalidInput,
    OutOfScope,
    TicketNotFound,
    VersionConflict,
)
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.models import (
    Action,
    Asset,
    Author,
    Calendar,
    Client,
    Contract,
    EndUser,
    Id,
    Model,
    Presence,
    SlaPlan,
    StatusChange,
    Ticket,
    TimeEntry,
    new_id,
)
from mspdesk.domain.scope import Scope
from mspdesk.domain.sla import compute_sla
from mspdesk.domain.triage import TRIAGED_FIELDS, TriageRecord
from mspdesk.services.deps import Deps
from mspdesk.store import entities as kinds
from mspdesk.store.dynamo import Page, QueueFilter

if TYPE_CHECKING:
    from mspdesk.services.attachments import AttachmentService

PRESENCE_TTL = timedelta(seconds=45)
# An action is retried on a concurrent change until it lands: enough for a busy ticket.
ACTION_ATTEMPTS = 12
RECENT_TICKETS = 5
# The context panel's reads run side by side: cold paths matter less than the agent's wait.
_PANEL_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="panel")


class TicketInput(Model):
    client_id: Id | None = None  # taken from the scope for end-users
    end_user_id: Id | None = None
    subject: Annotated[str, Field(min_length=1, max_length=500)]
    body: Annotated[str, Field(min_length=1, max_length=100_000)]
    priority: Priority | None = None
    category_id: Id | None = None
    team_id: Id | None = None
    agent_id: Id | None = None
    request_type: RequestType | None = None
    # Keys of files uploaded first (POST /api/attachments or /portal/api/attachments).
    attachments: Annotated[list[UploadKey], Field(max_length=MAX_PER_ACTION)] = []


class TicketPatch(Model):
    """Fields an agent may change; only the fields sent are changed (null unassigns)."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    category_id: Id | None = None
    team_id: Id | None = None
    agent_id: Id | None = None
    subject: Annotated[str, Field(min_length=1, max_length=500)] | None = None


class ActionInput(Model):
    # May be empty when the action carries files: "here is the screenshot" needs no words.
    body: Annotated[str, Field(max_length=100_000)] = ""
    # Public actions reach the end-user; private notes stay with the MSP.
    visibility: Visibility = Visibility.PUBLIC
    kind: ActionKind = ActionKind.NOTE
    attachments: Annotated[list[UploadKey], Field(max_length=MAX_PER_ACTION)] = []


@dataclass(frozen=True)
class ContextPanel:
    client: Client
    contract: Contract | None
    sla_plan: SlaPlan | None
    end_user: EndUser | None
    recent_tickets: list[Ticket]
    assets: list[Asset]


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    actions: list[Action]
    time_entries: list[TimeEntry]
    presence: list[Presence]
    context: ContextPanel | None
    triage: TriageRecord | None = None


def _as_text(values: dict[str, Any]) -> dict[str, str | None]:
    return {k: (str(v) if v is not None else None) for k, v in values.items()}


def _author(scope: Scope) -> Author:
    if scope.principal_id == "system":
        return Author(kind="system", name=scope.name)
    kind = "end_user" if scope.role is Role.END_USER else "agent"
    return Author(kind=kind, id=scope.principal_id, name=scope.name)


class TicketService:
    def __init__(self, deps: Deps, attachments: AttachmentService | None = None) -> None:
        self._d = deps
        self._attachments = attachments

    def _files(
        self, scope: Scope, keys: list[str], kept: Sequence[StoredAttachment] = ()
    ) -> dict[str, Any]:
        """The action meta listing the files kept already and the uploads a ticket or reply
        names (none: no meta)."""
        files = list(kept)
        if keys:
            if self._attachments is None:
                raise InvalidInput("attachments", "this desk takes no file uploads")
            files += self._attachments.claim(scope, keys)
        if not files:
            return {}
        return {"attachments": [f.model_dump(exclude_none=True) for f in files]}

    # --- SLA -----------------------------------------------------------------------------

    def _sla_terms(self, ticket: Ticket) -> tuple[SlaPlan | None, Calendar | None]:
        if not ticket.contract_id:
            return None, None
        found = self._d.store.get_reference([(kinds.CONTRACTS, ticket.contract_id)])
        contract = found.get(("contract", ticket.contract_id))
        return self._terms_of(contract if isinstance(contract, Contract) else None)

    def _terms_of(self, contract: Contract | None) -> tuple[SlaPlan | None, Calendar | None]:
        """A contract's SLA plan and calendar (reference data: cached briefly)."""
        if contract is None:
            return None, None
        terms = self._d.store.get_reference(
            [(kinds.SLA_PLANS, contract.sla_plan_id), (kinds.CALENDARS, contract.calendar_id)]
        )
        plan = terms.get(("sla_plan", contract.sla_plan_id))
        calendar = terms.get(("calendar", contract.calendar_id))
        return (
            plan if isinstance(plan, SlaPlan) else None,
            calendar if isinstance(calendar, Calendar) else None,
        )

    def with_sla(self, ticket: Ticket, now: datetime) -> Ticket:
        plan, calendar = self._sla_terms(ticket)
        sla = compute_sla(ticket, plan, calendar, now, plan.id if plan else None)
        return ticket.model_copy(update={"sla": sla})

    # --- create ---------------------------------------------------------------------------

    def create(
        self,
        scope: Scope,
        data: TicketInput,
        source: TicketSource = TicketSource.AGENT,
        idempotency_key: str | None = None,
    ) -> Ticket:
        store = self._d.store
        now = self._d.clock()
        client_id, end_user_id = data.client_id, data.end_user_id
        if scope.role is Role.END_USER:
            client_id, end_user_id = scope.client_id, scope.principal_id
            if data.client_id not in (None, client_id):
                raise InvalidInput("client_id", "end-users raise tickets for their own client")
        if client_id is None:
            raise InvalidInput("client_id", "client_id is required")
        client = store.find_entity(kinds.CLIENTS, client_id)
        if client is None or not scope.covers(client_id):
            raise InvalidInput("client_id", f"no client {client_id}")
        if not client.active:
            raise InvalidInput("client_id", f"client {client.name} is not active")
        if end_user_id is not None:
            end_user = store.find_entity(kinds.END_USERS, end_user_id)
            if end_user is None or end_user.client_id != client_id:
                raise InvalidInput("end_user_id", f"no end-user {end_user_id} at this client")
        if scope.is_staff:
            self._check_assignment(data.category_id, data.team_id, data.agent_id)
        meta = self._files(scope, data.attachments)
        today = now.astimezone(ZoneInfo(store.get_settings().time_zone)).date()
        contract = store.contract_in_force(client_id, today)
        number = store.next_ticket_number()
        ticket = Ticket(
            number=number,
            client_id=client_id,
            end_user_id=end_user_id,
            subject=data.subject.strip() or data.subject,
            priority=data.priority or Priority.P3,
            category_id=data.category_id if scope.is_staff else None,
            team_id=data.team_id if scope.is_staff else None,
            agent_id=data.agent_id if scope.is_staff else None,
            source=source,
            request_type=data.request_type or RequestType.INCIDENT,
            contract_id=contract.id if contract else None,
            status_history=[StatusChange(status=TicketStatus.NEW, at=now)],
            created_at=now,
            updated_at=now,
        )
        ticket = self.with_sla(ticket, now)
        first = Action(
            id=new_id("act"),
            ticket_number=number,
            kind=ActionKind.EMAIL_IN if source is TicketSource.EMAIL else ActionKind.NOTE,
            visibility=Visibility.PUBLIC,
            author=_author(scope),
            body=data.body,
            meta=meta,
            created_at=now,
        )
        claim = f"{scope.principal_id}#{idempotency_key}" if idempotency_key else None
        existing = store.create_ticket(ticket, [first], idempotency_claim=claim)
        if existing is not None:  # a retry of a request that already created its ticket
            return store.get_ticket(existing, scope, consistent=True)
        # Triage leaves alone what the person raising the ticket chose.
        chosen = (
            sorted(f for f in TRIAGED_FIELDS if getattr(data, f) is not None)
            if scope.is_staff
            else []
        )
        self._publish("TicketCreated", ticket, {"source": source.value, "chosen": chosen})
        return ticket

    def _check_assignment(
        self, category_id: str | None, team_id: str | None, agent_id: str | None
    ) -> None:
        store = self._d.store
        if category_id and store.find_entity(kinds.CATEGORIES, category_id) is None:
            raise InvalidInput("category_id", f"no category {category_id}")
        if team_id and store.find_entity(kinds.TEAMS, team_id) is None:
            raise InvalidInput("team_id", f"no team {team_id}")
        if agent_id:
            agent = store.find_entity(kinds.AGENTS, agent_id)
            if agent is None or not agent.active:
                raise InvalidInput("agent_id", f"no active agent {agent_id}")

    # --- change ---------------------------------------------------------------------------

    def update(
        self, scope: Scope, number: int, expected_version: int, patch: TicketPatch
    ) -> Ticket:
        if not scope.is_staff:
            raise TicketNotFound(number)
        store = self._d.store
        now = self._d.clock()
        ticket = store.get_ticket(number, scope, consistent=True)
        if ticket.version != expected_version:
            raise VersionConflict("ticket", str(number), expected_version, ticket.version)
        changes = {
            name: getattr(patch, name)
            for name in patch.model_fields_set
            if getattr(patch, name) != getattr(ticket, name)
        }
        if not changes:
            return ticket
        self._check_assignment(
            changes.get("category_id"), changes.get("team_id"), changes.get("agent_id")
        )
        if "status" in changes and changes["status"] is None:
            raise InvalidInput("status", "status cannot be empty")
        if "priority" in changes and changes["priority"] is None:
            raise InvalidInput("priority", "priority cannot be empty")
        if "subject" in changes and changes["subject"] is None:
            raise InvalidInput("subject", "subject cannot be empty")
        update: dict[str, Any] = dict(changes)
        update.update(self._status_facts(ticket, changes.get("status"), now))
        update.update(version=ticket.version + 1, updated_at=now)
        changed = self.with_sla(ticket.model_copy(update=update), now)
        actions = [
            self._change_action(scope, ticket, name, value, now) for name, value in changes.items()
        ]
        store.save_ticket(changed, expected_version, actions)
        self._publish_changes(scope, ticket, changed, changes)
        return changed

    def resolve_for_requester(self, scope: Scope, number: int) -> Ticket:
        """The person who raised the ticket says the problem is fixed. It is resolved as an
        agent would resolve it (the SLA stops, linked work follows); a reply reopens it.
        Colleagues see the company's tickets but do not close each other's (nor a Problem,
        which no end-user raised)."""
        if scope.is_staff:
            raise InvalidInput("status", "agents change the status with PATCH")
        store = self._d.store
        for _ in range(ACTION_ATTEMPTS):
            ticket = store.get_ticket(number, scope, consistent=True)
            if ticket.end_user_id != scope.principal_id:
                raise Forbidden("only the person who raised the ticket can mark it resolved")
            if not ticket.status.is_open:
                raise InvalidInput("status", f"the ticket is {ticket.status.value} already")
            now = self._d.clock()
            resolved = TicketStatus.RESOLVED
            update: dict[str, Any] = {
                "status": resolved,
                **self._status_facts(ticket, resolved, now),
                "version": ticket.version + 1,
                "updated_at": now,
            }
            changed = self.with_sla(ticket.model_copy(update=update), now)
            action = self._change_action(scope, ticket, "status", resolved, now)
            try:
                store.save_ticket(changed, ticket.version, [action])
            except VersionConflict:
                continue  # an agent's change came first: look again
            self._publish_changes(scope, ticket, changed, {"status": resolved})
            return changed
        raise VersionConflict("ticket", str(number), ticket.version, None)

    def _publish_changes(
        self, scope: Scope, before: Ticket, after: Ticket, changes: dict[str, Any]
    ) -> None:
        self._publish(
            "TicketUpdated",
            after,
            {
                "changes": _as_text(changes),
                # The values before: consumers tell a reopened ticket from one moving on.
                "was": _as_text({k: getattr(before, k) for k in changes}),
                "by": scope.principal_id,
            },
        )

    @staticmethod
    def _status_facts(ticket: Ticket, status: TicketStatus | None, now: datetime) -> dict[str, Any]:
        """The fields a move to `status` sets besides the status itself."""
        if status is None:
            return {}
        # The SLA clocks read their pauses from the history.
        facts: dict[str, Any] = {
            "status_history": [*ticket.status_history, StatusChange(status=status, at=now)]
        }
        if status is TicketStatus.RESOLVED:
            facts.update(resolved_at=ticket.resolved_at or now, closed_at=None)
        elif status is TicketStatus.CLOSED:
            facts.update(resolved_at=ticket.resolved_at or now, closed_at=now)
        else:  # reopened or still open
            facts.update(resolved_at=None, closed_at=None)
        return facts

    @staticmethod
    def _change_action(
        scope: Scope, ticket: Ticket, name: str, value: Any, now: datetime
    ) -> Action:
        before = getattr(ticket, name)
        kind = ActionKind.STATUS_CHANGE if name == "status" else ActionKind.FIELD_CHANGE
        return Action(
            id=new_id("act"),
            ticket_number=ticket.number,
            kind=kind,
            visibility=Visibility.PRIVATE,
            author=_author(scope),
            body=f"{name}: {before or '-'} -> {value or '-'}",
            meta={
                "field": name,
                "from": str(before) if before else None,
                "to": str(value) if value else None,
            },
            created_at=now,
        )

    # --- act ------------------------------------------------------------------------------

    def add_action(
        self,
        scope: Scope,
        number: int,
        data: ActionInput,
        files: Sequence[StoredAttachment] = (),
    ) -> tuple[Ticket, Action]:
        """Add a note, reply or call; a concurrent change is retried, never lost. `files` are
        kept already (a Problem's update copied to its tickets carries the Problem's)."""
        store = self._d.store
        if not scope.is_staff and (
            data.visibility is Visibility.PRIVATE or data.kind is not ActionKind.NOTE
        ):
            raise InvalidInput("visibility", "end-users add public replies only")
        if not data.body.strip() and not data.attachments and not files:
            raise InvalidInput("body", "write a message or attach a file")
        if data.attachments:  # an unknown ticket is a 404 before any file is looked at
            store.get_ticket(number, scope)
        meta = self._files(scope, data.attachments, files)
        for attempt in range(ACTION_ATTEMPTS):
            if attempt:
                # Jittered backoff: writers that collided do not collide again in lock-step.
                time.sleep(random.uniform(0, 0.01 * 2 ** min(attempt, 5)))  # noqa: S311
            now = self._d.clock()
            ticket = store.get_ticket(number, scope, consistent=True)
            if ticket.status is TicketStatus.CLOSED and not scope.is_staff:
                raise InvalidInput("number", "this ticket is closed; raise a new ticket")
            action = Action(
                id=new_id("act"),
                ticket_number=number,
                kind=data.kind,
                visibility=data.visibility,
                author=_author(scope),
                body=data.body,
                meta=meta,
                created_at=now,
            )
            update: dict[str, Any] = {"version": ticket.version + 1, "updated_at": now}
            public = data.visibility is Visibility.PUBLIC
            if scope.is_staff and public:
                # The response clock stops at the first agent reply to the end-user.
                update["first_response_at"] = ticket.first_response_at or now
                if ticket.status is TicketStatus.NEW:
                    update.update(self._status_facts(ticket, TicketStatus.OPEN, now))
                    update["status"] = TicketStatus.OPEN
            elif not scope.is_staff and ticket.status in (
                TicketStatus.WAITING_ON_CUSTOMER,
                TicketStatus.RESOLVED,
            ):
                update.update(self._status_facts(ticket, TicketStatus.OPEN, now))
                update["status"] = TicketStatus.OPEN
            changed = self.with_sla(ticket.model_copy(update=update), now)
            try:
                store.save_ticket(changed, ticket.version, [action])
            except VersionConflict:
                continue
            self._publish(
                "ActionAdded",
                changed,
                {
                    "action_id": action.id,
                    "kind": action.kind.value,
                    "visibility": action.visibility.value,
                    "author_kind": action.author.kind,
                },
            )
            return changed, action
        raise VersionConflict("ticket", str(number), ticket.version, None)

    # --- read -----------------------------------------------------------------------------

    def detail(self, scope: Scope, number: int) -> TicketDetail:
        store = self._d.store
        now = self._d.clock()
        record = store.get_ticket_record(number, scope, now)
        ticket = record.ticket
        if not scope.is_staff:
            public = [a for a in record.actions if a.visibility is Visibility.PUBLIC]
            return TicketDetail(ticket, public, [], [], None)
        batch = _PANEL_POOL.submit(self._panel_entities, ticket)
        recent = _PANEL_POOL.submit(
            store.panel_recent_tickets, ticket.client_id, RECENT_TICKETS + 1
        )
        assets = (
            _PANEL_POOL.submit(store.panel_assets, ticket.end_user_id)
            if ticket.end_user_id
            else None
        )
        client, end_user, contract, plan, calendar = batch.result()
        today = now.astimezone(ZoneInfo(calendar.time_zone if calendar else "UTC")).date()
        if contract is None or not contract.in_force_on(today):
            contract = store.contract_in_force(ticket.client_id, today)
        sla = compute_sla(ticket, plan, calendar, now, plan.id if plan else None)
        context = ContextPanel(
            client=client,
            contract=contract,
            sla_plan=plan,
            end_user=end_user,
            recent_tickets=[t for t in recent.result() if t.number != number][:RECENT_TICKETS],
            assets=assets.result() if assets else [],
        )
        return TicketDetail(
            ticket.model_copy(update={"sla": sla}),
            record.actions,
            record.time_entries,
            record.presence,
            context,
            record.triage,
        )

    def _panel_entities(
        self, ticket: Ticket
    ) -> tuple[Client, EndUser | None, Contract | None, SlaPlan | None, Calendar | None]:
        """Client, end-user and contract in one read, then the contract's terms."""
        found = self._d.store.get_reference(
            [(kinds.CLIENTS, ticket.client_id)]
            + ([(kinds.END_USERS, ticket.end_user_id)] if ticket.end_user_id else [])
            + ([(kinds.CONTRACTS, ticket.contract_id)] if ticket.contract_id else [])
        )
        client = found.get(("client", ticket.client_id))
        if not isinstance(client, Client):
            raise OutOfScope("client", ticket.client_id)
        end_user = found.get(("end_user", ticket.end_user_id or ""))
        found_contract = found.get(("contract", ticket.contract_id or ""))
        contract = found_contract if isinstance(found_contract, Contract) else None
        plan, calendar = self._terms_of(contract)
        return (
            client,
            end_user if isinstance(end_user, EndUser) else None,
            contract,
            plan,
            calendar,
        )

    def queue(
        self, scope: Scope, filters: QueueFilter, limit: int, cursor: str | None
    ) -> Page[Ticket]:
        return self._d.store.queue(scope, filters, limit, cursor)

    def portal_list(self, scope: Scope, limit: int, cursor: str | None) -> Page[Ticket]:
        """An end-user's view: every ticket of their own client, newest first."""
        if scope.client_id is None:
            raise OutOfScope("client", "-")
        return self._d.store.client_tickets(scope.client_id, scope, limit, cursor)

    # --- presence -------------------------------------------------------------------------

    def heartbeat(self, scope: Scope, number: int, activity: PresenceActivity) -> list[Presence]:
        """Say that an agent is on a ticket; returns who else is."""
        if not scope.is_staff:
            raise TicketNotFound(number)
        store = self._d.store
        now = self._d.clock()
        # Every second per agent on a ticket: one Query of the few presence items and the
        # ticket (a 404 for none), then one put; never the ticket's whole conversation.
        others = [
            p for p in store.ticket_presence(number, scope, now) if p.agent_id != scope.principal_id
        ]
        store.put_presence(
            Presence(
                ticket_number=number,
                agent_id=scope.principal_id,
                agent_name=scope.name,
                activity=activity,
                seen_at=now,
                expires_at=now + PRESENCE_TTL,
            )
        )
        return others

    def leave(self, scope: Scope, number: int) -> None:
        if not scope.is_staff:
            raise TicketNotFound(number)
        self._d.store.get_ticket(number, scope)
        self._d.store.delete_presence(number, scope.principal_id)

    def _publish(self, event_type: str, ticket: Ticket, extra: dict[str, Any]) -> None:
        self._d.events.publish(
            [
                DomainEvent(
                    type=event_type,
                    client_id=ticket.client_id,
                    detail={"number": ticket.number, "version": ticket.version, **extra},
                )
            ]
        )
