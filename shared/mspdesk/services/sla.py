"""Keeps the SLA state stored on open tickets current as time passes (the AP7 sweep), so the
queue's `sla` filter and ordering stay true between ticket changes."""

from __future__ import annotations

from dataclasses import dataclass

from mspdesk.domain.errors import VersionConflict
from mspdesk.domain.events import DomainEvent
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import TicketService


@dataclass(frozen=True)
class SweepResult:
    examined: int
    changed: int


class SlaSweeper:
    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self._tickets = TicketService(deps)

    def sweep(self, limit: int = 100) -> SweepResult:
        """Recompute the clocks of tickets whose next SLA instant has passed; publish each
        state change as SlaStateChanged."""
        now = self._d.clock()
        due = self._d.store.tickets_due_before(now, limit)
        changed = 0
        for ticket in due:
            fresh = self._tickets.with_sla(ticket, now)
            if fresh.sla == ticket.sla:
                continue
            try:
                self._d.store.save_ticket(
                    fresh.model_copy(update={"version": ticket.version + 1}), ticket.version
                )
            except VersionConflict:
                continue  # the ticket changed meanwhile; that write computed its SLA already
            changed += 1
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
        return SweepResult(examined=len(due), changed=changed)
