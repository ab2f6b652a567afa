"""AI triage (DESIGN section 7, issue 5): every new ticket categorised, prioritised and
assigned before an agent reads it.

On TicketCreated: the routing rules settle what they set; the chosen AI method (vector or
LLM, falling back to the other, then to the rules alone) proposes the rest; confident results
are written to the ticket, the others wait as a suggestion. On TicketUpdated: a resolved
ticket joins the vector history (a reopened one leaves it), and an agent's change of a field
triage proposed is recorded, for the accuracy report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mspdesk.domain.enums import Priority, TicketStatus
from mspdesk.domain.errors import InvalidInput, TicketNotFound, VersionConflict
from mspdesk.domain.models import Agent, Category, Contract, Team, Ticket
from mspdesk.domain.scope import Scope
from mspdesk.domain.triage import (
    TRIAGED_FIELDS,
    Accuracy,
    AgentLoad,
    NeighbourRecord,
    RoutingRule,
    TicketFacts,
    TriageMethod,
    TriageRecord,
    apply_rules,
    choose_method,
    decide,
    fallback_order,
    triage_text,
    vote,
)
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import TicketPatch, TicketService
from mspdesk.store import entities as kinds
from mspdesk.store.triage import IndexState, TriageStore
from mspdesk.triage.ports import IndexedTicket, TriageUnavailable
from mspdesk.triage.vectors import HistoryItem, Vectors

TRIAGE_SCOPE = Scope.system()
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="triage")
NEIGHBOURS = 5
# A write of triage's fields that meets an agent's concurrent change is tried again this often.
APPLY_ATTEMPTS = 3


@dataclass(frozen=True)
class LlmProposal:
    """What the LLM method proposes, already checked against the catalogue."""

    fields: dict[str, str | None]
    confidence: float
    estimated_minutes: int | None
    reasoning: str
    model: str


class LlmMethod(Protocol):
    def configured(self) -> bool:
        """A key is configured (the method can be tried)."""
        ...

    def propose(self, context: TriageContext, facts: TicketFacts) -> LlmProposal:
        """Raises TriageUnavailable on any failure, timeout or overload."""
        ...


@dataclass
class TriageContext:
    """The MSP's reference data as triage reads it, once per ticket."""

    agents: list[Agent]
    teams: list[Team]
    categories: list[Category]
    rules: list[RoutingRule]
    client_name: str
    count_open: Callable[[str], int]
    contract: Contract | None = None
    vip: bool = False
    _loads: list[AgentLoad] | None = None

    def loads(self) -> list[AgentLoad]:
        """Each available agent's open tickets: counted once, and only when needed (a skill
        rule, the LLM's catalogue), as it costs a Query per agent."""
        if self._loads is None:
            available = [a for a in self.agents if a.active and a.available]
            counts = list(_POOL.map(self.count_open, [a.id for a in available]))
            self._loads = [AgentLoad(a, n) for a, n in zip(available, counts, strict=True)]
        return self._loads

    @property
    def active_agent_ids(self) -> set[str]:
        return {a.id for a in self.agents if a.active}


@dataclass
class Proposal:
    method: TriageMethod
    fields: dict[str, Any] = field(default_factory=dict)
    field_confidence: dict[str, float] = field(default_factory=dict)
    confidence: float = 0.0
    estimated_minutes: int | None = None
    neighbours: list[NeighbourRecord] = field(default_factory=list)
    reasoning: str | None = None
    model: str | None = None


def indexed(ticket: Ticket) -> IndexedTicket:
    resolved = ticket.resolved_at or ticket.updated_at
    return IndexedTicket(
        number=ticket.number,
        client_id=ticket.client_id,
        category_id=ticket.category_id,
        priority=ticket.priority.value,
        team_id=ticket.team_id,
        agent_id=ticket.agent_id,
        resolution_minutes=max(0, round((resolved - ticket.created_at).total_seconds() / 60)),
        resolved_at=resolved.isoformat(),
    )


class TriageService:
    def __init__(
        self,
        deps: Deps,
        vectors: Vectors,
        llm: LlmMethod | None = None,
        clock_ms: Callable[[], float] = time.monotonic,
    ) -> None:
        self._d = deps
        self._store = TriageStore(deps.store)
        self._vectors = vectors
        self._llm = llm
        self._tickets = TicketService(deps)
        self._clock_ms = clock_ms

    # --- a new ticket ------------------------------------------------------------------------

    def triage_new(self, number: int, chosen: Iterable[str] = ()) -> TriageRecord | None:
        """Triage a ticket once; a redelivered event finds the record and does nothing."""
        started = self._clock_ms()
        if self._store.get(number, consistent=True) is not None:
            return None
        try:
            ticket = self._d.store.get_ticket(number, TRIAGE_SCOPE, consistent=True)
        except TicketNotFound:
            return None
        if not ticket.status.is_open:
            return None
        context = self._context(ticket)
        facts = self._facts(ticket, context)
        kept = set(chosen)
        settled = apply_rules(context.rules, facts, context.loads)
        settings = self._d.store.get_settings().triage
        fallbacks: list[str] = []
        proposal = Proposal(TriageMethod.RULES)
        llm_ready = self._llm is not None and self._llm.configured()
        first = choose_method(settings, self._vectors.state().count, llm_ready)
        for method in fallback_order(first):
            try:
                proposal = self._propose(method, facts, context, llm_ready)
            except TriageUnavailable as error:
                fallbacks.append(f"{method.value}: {error}")
                continue
            break
        # A category from AI brings in the rules written for that category.
        settled = apply_rules(
            context.rules, facts, context.loads, proposal.fields.get("category_id"), settled
        )
        suggested = {
            name: value
            for name, value in proposal.fields.items()
            if name not in settled.values and name not in kept and value is not None
        }
        team = settled.values.get("team_id")
        if team and not any(
            a.id == suggested.get("agent_id") and team in a.team_ids for a in context.agents
        ):
            suggested.pop("agent_id", None)  # the rule's team, not the neighbours', decides
        outcome, to_apply = decide(
            proposal.confidence, settings.confidence_threshold, suggested, settled.values
        )
        applied = self._apply(ticket, {k: v for k, v in to_apply.items() if k not in kept})
        record = TriageRecord(
            ticket_number=number,
            client_id=ticket.client_id,
            method=proposal.method,
            outcome=outcome,
            confidence=proposal.confidence,
            threshold=settings.confidence_threshold,
            suggested={k: _text(v) for k, v in suggested.items()},
            field_confidence={k: v for k, v in proposal.field_confidence.items() if k in suggested},
            applied={k: _text(v) for k, v in applied.items()},
            rules=settled.by_rule,
            estimated_minutes=proposal.estimated_minutes,
            neighbours=proposal.neighbours,
            reasoning=proposal.reasoning,
            model=proposal.model,
            fallbacks=fallbacks
            + [f"rules: nobody available with skill {s}" for s in settled.unmet_skills],
            latency_ms=round((self._clock_ms() - started) * 1000),
            created_at=self._d.clock(),
        )
        if not self._store.create(record):
            return None
        return record

    def _propose(
        self, method: TriageMethod, facts: TicketFacts, context: TriageContext, llm_ready: bool
    ) -> Proposal:
        if method is TriageMethod.VECTOR:
            return self._vector(facts, context)
        if method is TriageMethod.LLM:
            if self._llm is None or not llm_ready:
                raise TriageUnavailable("no Anthropic API key configured")
            answer = self._llm.propose(context, facts)
            return Proposal(
                TriageMethod.LLM,
                fields=dict(answer.fields),
                field_confidence={k: answer.confidence for k in answer.fields},
                confidence=answer.confidence,
                estimated_minutes=answer.estimated_minutes,
                reasoning=answer.reasoning,
                model=answer.model,
            )
        return Proposal(TriageMethod.RULES)

    def _vector(self, facts: TicketFacts, context: TriageContext) -> Proposal:
        neighbours = self._vectors.neighbours(facts.text, NEIGHBOURS)
        if not neighbours:
            raise TriageUnavailable("no resolved tickets indexed yet")
        categories = {c.id for c in context.categories}
        teams = {t.id for t in context.teams}
        result = vote(
            neighbours,
            context.active_agent_ids,
            known={
                "category_id": lambda v: v in categories,
                "team_id": lambda v: v in teams,
                "priority": lambda v: v in Priority.__members__.values(),
            },
        )
        return Proposal(
            TriageMethod.VECTOR,
            fields={name: v.value for name, v in result.fields.items()},
            field_confidence={name: round(v.share, 4) for name, v in result.fields.items()},
            confidence=result.confidence,
            estimated_minutes=result.estimated_minutes,
            neighbours=[
                NeighbourRecord(
                    number=n.ticket.number,
                    similarity=round(n.similarity, 4),
                    category_id=n.ticket.category_id,
                    resolution_minutes=n.ticket.resolution_minutes,
                )
                for n in neighbours
            ],
        )

    def _context(self, ticket: Ticket) -> TriageContext:
        store = self._d.store
        # The reference lists side by side: each is a Query, and a ticket waits for all.
        agents = _POOL.submit(lambda: list(store.every_entity(kinds.AGENTS)))
        teams = _POOL.submit(lambda: list(store.every_entity(kinds.TEAMS)))
        categories = _POOL.submit(lambda: list(store.every_entity(kinds.CATEGORIES)))
        rules = _POOL.submit(lambda: list(store.every_entity(kinds.ROUTING_RULES)))
        client = store.find_entity(kinds.CLIENTS, ticket.client_id)
        end_user = (
            store.find_entity(kinds.END_USERS, ticket.end_user_id) if ticket.end_user_id else None
        )
        contract = (
            store.find_entity(kinds.CONTRACTS, ticket.contract_id) if ticket.contract_id else None
        )
        return TriageContext(
            agents=agents.result(),
            teams=teams.result(),
            categories=categories.result(),
            rules=rules.result(),
            client_name=client.name if client else ticket.client_id,
            count_open=self._store.open_tickets_of,
            contract=contract,
            vip=bool(end_user and end_user.vip),
        )

    def _facts(self, ticket: Ticket, context: TriageContext) -> TicketFacts:
        return TicketFacts(
            client_id=ticket.client_id,
            subject=ticket.subject,
            body=self._store.first_body(ticket.number),
            source=ticket.source,
            request_type=ticket.request_type,
            vip=context.vip,
            category_id=ticket.category_id,
        )

    def _apply(self, ticket: Ticket, fields: dict[str, Any]) -> dict[str, Any]:
        """Writes the fields nobody has set since the ticket was raised; what was written."""
        original = ticket
        for _ in range(APPLY_ATTEMPTS):
            patch = {
                name: value
                for name, value in fields.items()
                if getattr(ticket, name) == getattr(original, name)
                and (name == "priority" or getattr(ticket, name) is None)
                and getattr(ticket, name) != value
            }
            if not patch or not ticket.status.is_open:
                return {}
            try:
                self._tickets.update(
                    TRIAGE_SCOPE, ticket.number, ticket.version, TicketPatch(**patch)
                )
            except VersionConflict:
                ticket = self._d.store.get_ticket(ticket.number, TRIAGE_SCOPE, consistent=True)
                continue
            return patch
        return {}

    # --- a changed ticket ----------------------------------------------------------------------

    def ticket_changed(
        self,
        number: int,
        changes: dict[str, Any],
        by: str | None,
        was: dict[str, Any] | None = None,
    ) -> None:
        """`was` holds the changed fields' values before (events from before it existed lack
        it: then any status change may be a reopening)."""
        done = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)
        status = changes.get("status")
        if status in done:
            self._index_resolved(number)
        elif status is not None and (was is None or was.get("status") in done):
            self._vectors.remove(number)  # reopened: no longer a resolved example
        triaged = {k: v for k, v in changes.items() if k in TRIAGED_FIELDS}
        if triaged and by not in (None, TRIAGE_SCOPE.principal_id):
            self._record_overrides(number, triaged, by)

    def _record_overrides(self, number: int, changes: dict[str, Any], by: str | None) -> None:
        for _ in range(APPLY_ATTEMPTS):
            record = self._store.get(number, consistent=True)
            if record is None:
                return
            updated = record.model_copy(deep=True)
            moved = [
                updated.record_change(name, value, by, self._d.clock())
                for name, value in changes.items()
            ]
            if not any(moved):
                return
            updated.version = record.version + 1
            try:
                self._store.save(updated, record.version)
                return
            except VersionConflict:
                continue

    def _index_resolved(self, number: int) -> None:
        ticket = self._d.store.find_ticket(number, consistent=True)
        if ticket is None or ticket.status.is_open:
            return
        item = HistoryItem(
            indexed(ticket), triage_text(ticket.subject, self._store.first_body(number))
        )
        state = self._vectors.state()
        # The local model is refitted each time the history doubles: few refits, all cheap.
        if not self._vectors.add([item]) or (
            self._vectors.fits_a_model and state.count + 1 >= 2 * max(state.fitted_on, 1)
        ):
            self.reindex()

    def reindex(self) -> IndexState:
        """Rebuilds the vector history from every resolved ticket (and refits the model)."""
        # Oldest first: a very long history is fitted on its most recent part.
        history = sorted(self.history(), key=lambda item: item.ticket.resolved_at)
        return self._vectors.rebuild(history)

    def history(self) -> Iterator[HistoryItem]:
        for ticket in self._store.resolved_tickets():
            text = triage_text(ticket.subject, self._store.first_body(ticket.number))
            yield HistoryItem(indexed(ticket), text)


class TriageReview:
    """What agents do with triage results: accept a suggestion, read the accuracy report."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self._store = TriageStore(deps.store)
        self._tickets = TicketService(deps)

    # --- an agent accepts the suggestion -------------------------------------------------------

    def accept(self, scope: Scope, number: int, expected_version: int) -> Ticket:
        """Writes the suggested fields (If-Match: the ticket's version)."""
        record = self._store.get(number, consistent=True)
        ticket = self._d.store.get_ticket(number, scope, consistent=True)
        if record is None or not scope.is_staff:
            raise TicketNotFound(number)
        patch = {k: v for k, v in record.suggested.items() if getattr(ticket, k) != v}
        if patch:
            ticket = self._tickets.update(scope, number, expected_version, TicketPatch(**patch))
        elif ticket.version != expected_version:
            raise VersionConflict("ticket", str(number), expected_version, ticket.version)
        for _ in range(APPLY_ATTEMPTS):
            current = self._store.get(number, consistent=True)
            if current is None:
                break
            updated = current.model_copy(
                update={"accepted_by": scope.principal_id, "version": current.version + 1}
            )
            for name in updated.suggested:
                updated.overrides.pop(name, None)
            try:
                self._store.save(updated, current.version)
                break
            except VersionConflict:
                continue
        return ticket

    def stats(
        self, scope: Scope, start: datetime, end: datetime, client_id: str | None = None
    ) -> dict[str, Any]:
        """Accuracy (fields agents kept as suggested) per method and per client."""
        if not scope.is_staff:
            raise TicketNotFound(0)
        if end <= start:
            raise InvalidInput("to", "the period ends after it starts")
        overall, by_method, by_client = Accuracy(), dict[str, Accuracy](), dict[str, Accuracy]()
        for record in self._store.triaged_between(start, end):
            if client_id and record.client_id != client_id:
                continue
            overall.add(record)
            by_method.setdefault(record.method.value, Accuracy()).add(record)
            by_client.setdefault(record.client_id, Accuracy()).add(record)
        return {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "overall": overall.as_dict(),
            "methods": {k: v.as_dict() for k, v in sorted(by_method.items())},
            "clients": {k: v.as_dict() for k, v in sorted(by_client.items())},
        }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
