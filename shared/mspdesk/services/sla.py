"""SLA timers, checks, the sweep, notifications and escalation (DESIGN section 5).

- `SlaMonitor.arm` starts a timer per running clock when a ticket changes; a timer is named
  after the clock's SLA version, so a change that moves the targets starts a fresh one and
  the old one finds itself stale.
- `SlaMonitor.check` is what a timer runs at the warning and the breach instants: it re-reads
  the ticket, exits when stale, paused or met, else announces (SlaWarning, SlaBreached) and
  stores the clocks' new state for the queue.
- `SlaMonitor.sweep` runs every few minutes over AP7: it announces what a lost timer missed,
  stores the states, and restarts timers that are gone.
- `SlaNotifier.notify` consumes the announcements: email to the assignee (or the team), a
  post to the team's webhook, the plan's escalation at a breach, and a private action on the
  ticket recording it all.

Each announcement is published once per (ticket, clock, SLA version, level) and each of its
effects happens once, whatever the retries and races: every one is claimed by a conditional
put of a marker first (mspdesk.store.sla).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from mspdesk.adapters.notifications import ChatPoster, EmailSender, NotificationFailed
from mspdesk.adapters.sla_timers import (
    BREACH_STAGE,
    CONTINUE,
    DONE,
    EARLY,
    MET,
    PAUSED,
    STALE,
    NoTimers,
    TimerPort,
)
from mspdesk.domain.enums import ActionKind, Priority, SlaState, Visibility
from mspdesk.domain.errors import TicketNotFound, VersionConflict
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.models import (
    Agent,
    Contract,
    Model,
    SlaClock,
    SlaPlan,
    Team,
    Ticket,
)
from mspdesk.domain.scope import Scope
from mspdesk.domain.sla import CLOCKS, announcement, clock_of, timers_of
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import ActionInput, TicketPatch, TicketService
from mspdesk.store import entities as kinds
from mspdesk.store.sla import MarkerKey, SlaStore

SYSTEM = Scope.system()
EVENT_OF_LEVEL = {SlaState.WARNING: "SlaWarning", SlaState.BREACHED: "SlaBreached"}
ANNOUNCEMENTS = tuple(EVENT_OF_LEVEL.values())
# An escalation is retried on a concurrent change of the ticket until it lands.
ESCALATION_ATTEMPTS = 8


class SlaCheck(Model):
    """What a timer asks at one of its instants."""

    number: int
    clock: Literal["response", "resolution"]
    version: int = Field(ge=1)
    stage: Literal["warning", "breach"]


class Announcement(Model):
    """The detail of SlaWarning and SlaBreached."""

    model_config = Model.model_config | {"extra": "ignore"}

    number: int
    clock: Literal["response", "resolution"]
    sla_version: int
    level: Literal["warning", "breached"]
    due_at: datetime
    warn_at: datetime

    @property
    def key(self) -> MarkerKey:
        return MarkerKey(self.number, self.clock, self.sla_version, self.level)


@dataclass(frozen=True)
class SweepResult:
    examined: int
    changed: int
    announced: int = 0
    timers_started: int = 0


@dataclass
class NotifyResult:
    emailed: list[str] = field(default_factory=list)
    posted: bool = False
    escalated: list[str] = field(default_factory=list)
    recorded: bool = False


def _owner() -> str:
    return secrets.token_hex(8)


class SlaMonitor:
    def __init__(self, deps: Deps, timers: TimerPort | None = None) -> None:
        self._d = deps
        self._tickets = TicketService(deps)
        self._sla = SlaStore(deps.store)
        self._timers: TimerPort = timers or NoTimers()

    # --- timers ----------------------------------------------------------------------------

    def arm(self, number: int) -> int:
        """Start the timers the ticket's clocks need now; returns how many were started."""
        ticket = self._d.store.find_ticket(number, consistent=True)
        if ticket is None:
            return 0
        return sum(self._timers.start(timer) for timer in timers_of(ticket))

    def arm_due_before(self, instant: datetime) -> int:
        """Make sure every ticket whose next SLA instant comes before `instant` has its
        timers (a restarted local desk, whose timers were in memory)."""
        now = self._d.clock()
        return sum(
            self._timers.ensure(timer, now)
            for page in self._sla.due_pages(instant)
            for ticket in page
            for timer in timers_of(ticket)
        )

    def check(self, request: SlaCheck) -> str:
        """A timer's check at its warning or breach instant; the answer is its next step."""
        now = self._d.clock()
        ticket = self._d.store.find_ticket(request.number, consistent=True)
        if ticket is None:
            return STALE
        fresh = self._tickets.with_sla(ticket, now)
        clock = clock_of(fresh.sla, request.clock)
        if clock is None or clock.version != request.version:
            # A plan edited since the last write moves the targets without a ticket change.
            if self._store_state(ticket, fresh):
                for timer in timers_of(fresh):
                    self._timers.start(timer)
            return STALE
        if clock.stopped_at is not None:
            return MET
        if clock.state is SlaState.PAUSED:
            return PAUSED
        self._announce(fresh, request.clock, now)
        self._store_state(ticket, fresh)
        if request.stage == BREACH_STAGE:
            return DONE if clock.reached is SlaState.BREACHED else EARLY
        return CONTINUE if clock.reached is not None else EARLY

    # --- the sweep -------------------------------------------------------------------------

    def sweep(self, limit: int = 100) -> SweepResult:
        """Announce what no timer did for tickets whose next SLA instant has passed, store
        their clocks' state, and restart their missing timers."""
        now = self._d.clock()
        examined = changed = announced = started = 0
        for page in self._sla.due_pages(now, limit):
            for ticket in page:
                examined += 1
                fresh = self._tickets.with_sla(ticket, now)
                announced += sum(self._announce(fresh, name, now) for name in CLOCKS)
                changed += self._store_state(ticket, fresh)
                started += sum(self._timers.ensure(t, now) for t in timers_of(fresh))
        return SweepResult(examined, changed, announced, started)

    # --- shared steps ----------------------------------------------------------------------

    def _announce(self, ticket: Ticket, name: str, now: datetime) -> bool:
        """Publish the clock's warning or breach unless it was published for this version."""
        clock = clock_of(ticket.sla, name)
        level = announcement(clock) if clock is not None else None
        if clock is None or level is None or clock.due_at is None or clock.warn_at is None:
            return False
        key = MarkerKey(ticket.number, name, clock.version, level.value)
        owner = _owner()
        if not self._sla.claim(key, owner, now):
            return False
        try:
            self._d.events.publish([_announcement_event(ticket, name, clock, level)])
        except Exception:
            self._sla.release(key, owner)
            raise
        self._sla.complete(key, owner, now)
        return True

    def _store_state(self, ticket: Ticket, fresh: Ticket) -> bool:
        """Write the recomputed clocks for the queue (AP2's `sla` filter, AP7's next
        instant); a concurrent change wins, as it computed the clocks itself."""
        if fresh.sla == ticket.sla:
            return False
        try:
            self._d.store.save_ticket(
                fresh.model_copy(update={"version": ticket.version + 1}), ticket.version
            )
        except (VersionConflict, TicketNotFound):
            return False
        if fresh.queue_sla_state != ticket.queue_sla_state:
            self._d.events.publish(
                [
                    DomainEvent(
                        type="SlaStateChanged",
                        client_id=ticket.client_id,
                        detail={
                            "number": ticket.number,
                            "version": ticket.version + 1,
                            "from": ticket.queue_sla_state,
                            "to": fresh.queue_sla_state,
                        },
                    )
                ]
            )
        return True


# The sweep's name where it was only a sweep (the seed and the schedule call it so).
SlaSweeper = SlaMonitor


def _announcement_event(ticket: Ticket, name: str, clock: SlaClock, level: SlaState) -> DomainEvent:
    assert clock.due_at is not None
    assert clock.warn_at is not None
    return DomainEvent(
        type=EVENT_OF_LEVEL[level],
        client_id=ticket.client_id,
        detail={
            "number": ticket.number,
            "version": ticket.version,
            "clock": name,
            "sla_version": clock.version,
            "level": level.value,
            "due_at": clock.due_at.isoformat(),
            "warn_at": clock.warn_at.isoformat(),
            "priority": ticket.priority.value,
            "agent_id": ticket.agent_id,
            "team_id": ticket.team_id,
        },
    )


class SlaNotifier:
    """Tells people about an announcement and applies the plan's escalation, each effect
    once: a redelivered event sends nothing twice, a failed channel is retried alone."""

    def __init__(
        self,
        deps: Deps,
        email: EmailSender | None = None,
        chat: ChatPoster | None = None,
        desk_url: str | None = None,
    ) -> None:
        self._d = deps
        self._tickets = TicketService(deps)
        self._sla = SlaStore(deps.store)
        self._email = email
        self._chat = chat
        self._desk_url = desk_url.rstrip("/") if desk_url else None

    def notify(self, event: Announcement) -> NotifyResult:
        store = self._d.store
        result = NotifyResult()
        ticket = store.find_ticket(event.number, consistent=True)
        if ticket is None:
            return result
        agent, team = self._people(ticket)
        subject, text = self._message(ticket, event, agent, team)
        failures: list[str] = []
        recipients = self._recipients(agent, team)
        if self._email is not None and recipients:
            email = self._email

            def send() -> None:
                email.send(recipients, subject, text)

            if self._once(event.key.of("email"), send, failures):
                result.emailed = recipients
        if self._chat is not None and team is not None and team.webhook_url:
            chat, url = self._chat, team.webhook_url
            result.posted = self._once(
                event.key.of("webhook"), lambda: chat.post(url, f"{subject}\n{text}"), failures
            )
        if event.level == SlaState.BREACHED.value:

            def escalate() -> None:
                result.escalated = self._escalate(event)

            self._once(event.key.of("escalation"), escalate, failures)
        if failures:
            # The effects that worked are marked done; a retry of the event runs the rest.
            raise NotificationFailed("; ".join(failures))
        emailed = recipients if self._email is not None else []
        posted = self._chat is not None and team is not None and bool(team.webhook_url)
        note = self._record_text(event, emailed, team if posted else None, result)
        result.recorded = self._once(
            event.key.of("record"),
            lambda: self._record(event.number, note),
            failures,
        )
        if failures:
            raise NotificationFailed("; ".join(failures))
        return result

    def _once(self, key: MarkerKey, effect: Callable[[], None], failures: list[str]) -> bool:
        """Run `effect` unless it ran for this announcement; True when it ran now."""
        now = self._d.clock()
        owner = _owner()
        if not self._sla.claim(key, owner, now):
            return False
        try:
            effect()
        except Exception as exc:
            self._sla.release(key, owner)
            failures.append(f"{key.channel}: {exc}")
            return False
        self._sla.complete(key, owner, now)
        return True

    def _people(self, ticket: Ticket) -> tuple[Agent | None, Team | None]:
        wanted: list[tuple[kinds.EntityKind[Any], str]] = []
        wanted += [(kinds.AGENTS, ticket.agent_id)] if ticket.agent_id else []
        wanted += [(kinds.TEAMS, ticket.team_id)] if ticket.team_id else []
        found = self._d.store.get_reference(wanted) if wanted else {}
        agent = found.get(("agent", ticket.agent_id or ""))
        team = found.get(("team", ticket.team_id or ""))
        return (
            agent if isinstance(agent, Agent) else None,
            team if isinstance(team, Team) else None,
        )

    @staticmethod
    def _recipients(agent: Agent | None, team: Team | None) -> list[str]:
        """The assignee; the team when nobody (active) is assigned."""
        if agent is not None and agent.active:
            return [agent.email]
        return [team.email] if team is not None and team.email else []

    def _message(
        self, ticket: Ticket, event: Announcement, agent: Agent | None, team: Team | None
    ) -> tuple[str, str]:
        zone = ZoneInfo(self._d.store.get_settings().time_zone)
        due = event.due_at.astimezone(zone).strftime("%a %d %b %H:%M %Z")
        what = "SLA breached" if event.level == SlaState.BREACHED.value else "SLA warning"
        subject = f"[{what}] #{ticket.number} {ticket.subject} ({event.clock} due {due})"
        lines = [
            f"{what}: the {event.clock} target of ticket #{ticket.number} "
            + ("was due" if event.level == SlaState.BREACHED.value else "is due")
            + f" at {due}.",
            f"Subject: {ticket.subject}",
            f"Priority: {ticket.priority.value}   Status: {ticket.status.value}",
            f"Assignee: {agent.name if agent else 'nobody'}   Team: {team.name if team else '-'}",
        ]
        if self._desk_url:
            lines.append(f"{self._desk_url}/tickets/{ticket.number}")
        return subject, "\n".join(lines)

    def _plan(self, ticket: Ticket) -> SlaPlan | None:
        if not ticket.contract_id:
            return None
        store = self._d.store
        found = store.get_reference([(kinds.CONTRACTS, ticket.contract_id)])
        contract = found.get(("contract", ticket.contract_id))
        if not isinstance(contract, Contract):
            return None
        plan = store.get_reference([(kinds.SLA_PLANS, contract.sla_plan_id)]).get(
            ("sla_plan", contract.sla_plan_id)
        )
        return plan if isinstance(plan, SlaPlan) else None

    def _escalate(self, event: Announcement) -> list[str]:
        """Apply the plan's escalation rules through the ticket service, as a change with the
        ticket's version, retried on a concurrent change. Returns what changed."""
        store = self._d.store
        for attempt in range(ESCALATION_ATTEMPTS):
            if attempt:
                time.sleep(0.01 * 2**attempt)
            ticket = store.get_ticket(event.number, SYSTEM, consistent=True)
            plan = self._plan(ticket)
            if plan is None or not ticket.status.is_open:
                return []
            changes: dict[str, object] = {}
            for rule in plan.escalations:
                if not rule.applies_to(event.clock, ticket.priority):
                    continue
                target = rule.raise_priority_to
                current = changes.get("priority", ticket.priority)
                assert isinstance(current, Priority)
                if target is not None and target.value < current.value:  # P1 is the highest
                    changes["priority"] = target
                if rule.assign_team_id and rule.assign_team_id != ticket.team_id:
                    changes["team_id"] = rule.assign_team_id
                if rule.assign_agent_id and rule.assign_agent_id != ticket.agent_id:
                    changes["agent_id"] = rule.assign_agent_id
            if not changes:
                return []
            try:
                self._tickets.update(SYSTEM, ticket.number, ticket.version, TicketPatch(**changes))
            except VersionConflict:
                continue
            return [
                f"{name} {getattr(ticket, name) or '-'} -> {value}"
                for name, value in changes.items()
            ]
        raise VersionConflict("ticket", str(event.number), -1, None)

    @staticmethod
    def _record_text(
        event: Announcement, emailed: list[str], posted_to: Team | None, result: NotifyResult
    ) -> str:
        what = "SLA breach" if event.level == SlaState.BREACHED.value else "SLA warning"
        lines = [f"{what} on the {event.clock} clock (due {event.due_at.isoformat()})."]
        lines.append(f"Emailed {', '.join(emailed)}." if emailed else "No one to email.")
        if posted_to is not None:
            lines.append(f"Posted to the {posted_to.name} channel.")
        if result.escalated:
            lines.append(f"Escalated: {'; '.join(result.escalated)}.")
        return " ".join(lines)

    def _record(self, number: int, note: str) -> None:
        self._tickets.add_action(
            SYSTEM,
            number,
            ActionInput(body=note, visibility=Visibility.PRIVATE, kind=ActionKind.SLA_NOTIFICATION),
        )
