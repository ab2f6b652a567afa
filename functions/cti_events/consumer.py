"""What the phone features do with the desk's events, apart from the Lambda plumbing:

- TicketCreated, CallEnded, CallNoted: lateral keyword analysis (a suspected major incident
  is recorded, published and pushed to every agent's console);
- ActionAdded, TicketUpdated: a Problem's public updates and its resolution reach the
  tickets linked to it;
- ClientCreated/Updated, SiteCreated/Updated: the main-number index callers are matched on.
"""

from __future__ import annotations

from typing import Any

from mspdesk.cti_runtime import CtiContext
from mspdesk.domain.major_incidents import MajorIncident
from mspdesk.services.lateral import LateralService

# The event types this consumer's rule matches (mspdesk.routes).
EVENT_TYPES = (
    "TicketCreated",
    "CallEnded",
    "CallNoted",
    "ActionAdded",
    "TicketUpdated",
    "ClientCreated",
    "ClientUpdated",
    "SiteCreated",
    "SiteUpdated",
)


class CtiEvents:
    def __init__(self, context: CtiContext) -> None:
        self.calls = context.calls
        self.problems = context.problems
        self.directory = context.directory
        self.lateral = LateralService(context.deps, context.cti, notify=self._announce)

    def _announce(self, incident: MajorIncident) -> None:
        self.calls.broadcast(
            {"type": "major_incident", "incident": incident.model_dump(mode="json")}
        )

    def process(self, event: dict[str, Any]) -> dict[str, Any]:
        """One EventBridge event; returns what was done (for logs and tests)."""
        kind = str(event.get("detail-type", ""))
        detail: dict[str, Any] = event.get("detail") or {}
        if kind == "TicketCreated":
            found = self.lateral.on_ticket_created(int(detail["number"]))
            return {"incident": found.id if found else None}
        if kind in ("CallEnded", "CallNoted"):
            found = self.lateral.on_call_noted(str(detail["call_id"]))
            return {"incident": found.id if found else None}
        if kind == "ActionAdded":
            copied = self.problems.on_action_added(int(detail["number"]), str(detail["action_id"]))
            return {"copied": copied}
        if kind == "TicketUpdated":
            changes = detail.get("changes") or {}
            return {"resolved": self.problems.on_ticket_updated(int(detail["number"]), changes)}
        if kind in ("ClientCreated", "ClientUpdated"):
            return {"indexed": self.directory.index_client(str(detail["id"]))}
        if kind in ("SiteCreated", "SiteUpdated"):
            return {"indexed": self.directory.index_site(str(detail["id"]))}
        return {"ignored": kind}
