"""Lateral analysis as a consumer of events: each new ticket and each call's notes enter the
window (mspdesk.domain.lateral); when keywords become hot across enough clients, a suspected
major incident is recorded and MajorIncidentSuspected published; later reports of the same
keywords join it.

The window lives in the consumer's memory (one warm container: the function's concurrency is
one). A cold container rebuilds it once from AP13 (tickets and calls of the window), so an
incident raised before the restart is grown, not raised again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from mspdesk.cti_config import CtiSettings
from mspdesk.domain.calls import Call
from mspdesk.domain.errors import NotFound, VersionConflict
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.lateral import LateralItem, LateralWindow, keywords
from mspdesk.domain.major_incidents import IncidentStatus, MajorIncident, Report
from mspdesk.domain.models import Ticket, new_id
from mspdesk.domain.scope import Scope
from mspdesk.services.deps import Deps
from mspdesk.store.calls import CallStore
from mspdesk.store.major_incidents import IncidentStore

Notify = Callable[[MajorIncident], None]
_WARM_CALLS = 10_000


def ticket_key(number: int) -> str:
    return f"ticket:{number}"


def call_key(call_id: str) -> str:
    return f"call:{call_id}"


class LateralService:
    def __init__(
        self,
        deps: Deps,
        settings: CtiSettings,
        notify: Notify | None = None,
    ) -> None:
        self._d = deps
        self._incidents = IncidentStore(deps.store)
        self._calls = CallStore(deps.store)
        self._notify = notify
        self.window = LateralWindow(
            timedelta(minutes=settings.lateral_window_minutes), settings.lateral_min_clients
        )
        self._open: dict[str, MajorIncident] = {}
        self._warm = False
        self._lock = threading.Lock()

    # --- items -----------------------------------------------------------------------------

    def _ticket_item(self, ticket: Ticket) -> LateralItem:
        record = self._d.store.get_ticket_record(ticket.number, Scope.system(), self._d.clock())
        first = min(record.actions, key=lambda a: a.created_at, default=None)
        text = f"{ticket.subject}\n{first.body if first else ''}"
        return LateralItem(
            ticket_key(ticket.number), ticket.client_id, ticket.created_at, keywords(text)
        )

    @staticmethod
    def _call_item(call: Call) -> LateralItem | None:
        # Unknown callers are no client: they cannot make a keyword hot across clients. The
        # report is as recent as its notes, however long ago the call started.
        if call.client_id is None or not call.notes.strip():
            return None
        return LateralItem(call_key(call.id), call.client_id, call.updated_at, keywords(call.notes))

    def _warm_up(self, skip: str) -> None:
        """Rebuild the window from AP13 once per container, without the item that woke us
        (it is added next, and must be able to raise the alert)."""
        if self._warm:
            return
        now = self._d.clock()
        since = now - self.window.window
        items: list[LateralItem] = []
        for ticket in self._d.store.tickets_created_since(since, now):
            key = ticket_key(ticket.number)
            if key != skip and self._incidents.problem(ticket.number) is None:
                items.append(self._ticket_item(ticket))
        for call in self._calls.recent(since, now, _WARM_CALLS):
            found = self._call_item(call)
            if found is not None and found.key != skip:
                items.append(found)
        for item in sorted(items, key=lambda i: i.at):
            self.window.add(item)
        self.window.expire(now)
        for incident in self._incidents.open_since(since):
            self._open[incident.id] = incident
        self._warm = True

    # --- events ----------------------------------------------------------------------------

    def on_ticket_created(self, number: int) -> MajorIncident | None:
        with self._lock:
            self._warm_up(ticket_key(number))
            ticket = self._d.store.find_ticket(number, consistent=True)
            if ticket is None:
                raise NotFound("ticket", str(number))
            if self._incidents.problem(number) is not None:
                return None  # a Problem explains reports; it is not one
            self.window.expire(self._d.clock())
            return self._add(self._ticket_item(ticket))

    def on_call_noted(self, call_id: str) -> MajorIncident | None:
        with self._lock:
            self._warm_up(call_key(call_id))
            call = self._calls.get(call_id, consistent=True)
            item = self._call_item(call) if call else None
            self.window.expire(self._d.clock())
            return self._add(item) if item else None

    def add(self, item: LateralItem) -> MajorIncident | None:
        """An item straight into the window (tests, imports)."""
        with self._lock:
            self._warm = True
            return self._add(item)

    def _add(self, item: LateralItem) -> MajorIncident | None:
        became = self.window.add(item)
        hot = {k for k in item.keywords if self.window.is_hot(k)}
        self._forget_cold()
        if not hot:
            return None
        joined = [i for i in self._open.values() if hot & set(i.keywords)]
        if joined:
            for incident in joined:
                self._grow(incident, item, became)
            return None
        if not became:
            return None
        return self._raise(sorted(hot))

    def _forget_cold(self) -> None:
        """Incidents none of whose keywords is hot any more stop growing."""
        for incident_id in [
            i.id for i in self._open.values() if not any(self.window.is_hot(k) for k in i.keywords)
        ]:
            del self._open[incident_id]

    def _report(self, item: LateralItem) -> Report:
        kind, _, ident = item.key.partition(":")
        return Report(
            key=item.key,
            client_id=item.client_id,
            at=item.at,
            ticket_number=int(ident) if kind == "ticket" else None,
            call_id=ident if kind == "call" else None,
        )

    def _raise(self, hot: list[str]) -> MajorIncident:
        reports: dict[str, Report] = {}
        clients: set[str] = set()
        for keyword in hot:
            clients |= self.window.clients_of(keyword)
            for item in self.window.items_of(keyword):
                reports.setdefault(item.key, self._report(item))
        now = self._d.clock()
        incident = MajorIncident(
            id=new_id("mi"),
            keywords=hot,
            client_ids=sorted(clients),
            reports=sorted(reports.values(), key=lambda r: r.at),
            created_at=now,
            updated_at=now,
        )
        self._incidents.create(incident)
        self._open[incident.id] = incident
        self._d.events.publish(
            [
                DomainEvent(
                    type="MajorIncidentSuspected",
                    detail={
                        "incident_id": incident.id,
                        "keywords": incident.keywords,
                        "client_ids": incident.client_ids,
                        "ticket_numbers": incident.ticket_numbers,
                        "call_ids": [r.call_id for r in incident.reports if r.call_id],
                    },
                )
            ]
        )
        if self._notify is not None:
            self._notify(incident)
        return incident

    def _grow(self, incident: MajorIncident, item: LateralItem, became: frozenset[str]) -> None:
        """A further report of an incident's keywords joins it (an agent may have changed the
        incident meanwhile: read it again and write on its version)."""
        for _ in range(3):
            current = self._incidents.get(incident.id, consistent=True) or incident
            if current.status is IncidentStatus.DISMISSED:
                self._open.pop(incident.id, None)
                return
            known = {r.key for r in current.reports}
            clients = set(current.client_ids) | {item.client_id}
            words = list(dict.fromkeys([*current.keywords, *sorted(became & item.keywords)]))
            if (
                item.key in known
                and clients == set(current.client_ids)
                and len(words) == len(current.keywords)
            ):
                return
            grown = current.model_copy(
                update={
                    "reports": [
                        *current.reports,
                        *([] if item.key in known else [self._report(item)]),
                    ],
                    "client_ids": sorted(clients),
                    "keywords": words,
                    "version": current.version + 1,
                    "updated_at": self._d.clock(),
                }
            )
            try:
                self._incidents.save(grown, current.version)
            except VersionConflict:
                continue
            self._open[incident.id] = grown
            return
