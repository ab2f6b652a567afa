"""Timers and time entries: agents capture time; the contract prices it later.

- The viewing timer starts when an agent of a viewing team opens a ticket; the doing timer
  when an agent starts an action. One timer per agent and ticket, kept on the server with a
  version, so a reload or a second tab sees (and changes) the same timer.
- Stopping proposes an entry; confirming writes it and removes the timer in one transaction.
- An agent edits their own entries (an admin any) while the period they are billed in is open;
  an entry whose period is locked (its invoice approved) is billed in the next open period.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field

from mspdesk.domain.billing import PeriodLocked, next_period, period_of
from mspdesk.domain.enums import Role, TimerMode
from mspdesk.domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TicketNotFound,
    VersionConflict,
)
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.models import Agent, Model, Team, Ticket, TimeEntry, new_id
from mspdesk.domain.scope import Scope
from mspdesk.domain.timers import Proposal, Timer, TimerState, WorkType, started_by_mode
from mspdesk.services.deps import Deps
from mspdesk.store import entities as kinds
from mspdesk.store.billing import BillingStore, EntryWrite, iso
from mspdesk.store.codec import n

# Opening the same ticket again within this long does not ask the table again.
OPENED_SECONDS = 60.0
# Far enough to find an open period after a run of approved ones.
_MAX_LOCKED_PERIODS = 24
_ATTEMPTS = 5
Minutes = Annotated[int, Field(gt=0, le=24 * 60)]
Note = Annotated[str, Field(max_length=5000)]


class TimeEntryInput(Model):
    started_at: datetime
    minutes: Minutes
    work_type: WorkType = "remote"
    note: Note = ""


class TimeEntryPatch(Model):
    """The fields sent are changed."""

    started_at: datetime | None = None
    minutes: Minutes | None = None
    work_type: WorkType | None = None
    note: Note | None = None


class TimerStart(Model):
    mode: TimerMode = TimerMode.DOING
    work_type: WorkType = "remote"
    note: Note = ""


class TimerConfirm(Model):
    """The agent's answer to a stopped timer's proposal: what is sent replaces it."""

    started_at: datetime | None = None
    minutes: Minutes | None = None
    work_type: WorkType | None = None
    note: Note | None = None


def _staff(scope: Scope, number: int) -> None:
    if not scope.is_staff:
        raise TicketNotFound(number)


class TimeCaptureService:
    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self.billing = BillingStore(deps.store)
        self._opened: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()

    # --- timers ----------------------------------------------------------------------------

    def timer(self, scope: Scope, number: int) -> Timer:
        _staff(scope, number)
        self._d.store.get_ticket(number, scope)
        found = self.billing.get_timer(number, scope.principal_id)
        if found is None:
            raise NotFound("timer", str(number))
        return found

    def my_timers(self, scope: Scope) -> list[Timer]:
        if not scope.is_staff:
            raise NotFound("timer", "-")
        return self.billing.timers_of_agent(scope.principal_id)

    def ticket_opened(self, scope: Scope, number: int) -> Timer | None:
        """An agent opened a ticket: start (or resume) their viewing timer when their team
        times from the moment a ticket opens. Cheap on repeat: a container remembers the
        tickets it started timers on for a minute."""
        if not scope.is_staff:
            return None
        key = (scope.principal_id, number)
        now_mono = time.monotonic()
        with self._lock:
            seen = self._opened.get(key)
            if seen is not None and now_mono - seen < OPENED_SECONDS:
                return None
        ticket = self._d.store.get_ticket(number, scope)
        if not started_by_mode(self._team_mode(scope, ticket), TimerMode.VIEWING):
            return None
        timer = self._start(scope, ticket, TimerStart(mode=TimerMode.VIEWING), resume_viewing=True)
        with self._lock:
            if len(self._opened) > 10_000:
                self._opened.clear()
            self._opened[key] = now_mono
        return timer

    def start(self, scope: Scope, number: int, data: TimerStart) -> Timer:
        """Start a timer (the web app calls this as the agent starts an action). An existing
        running timer is returned as it is, a paused one resumed."""
        _staff(scope, number)
        ticket = self._d.store.get_ticket(number, scope)
        return self._start(scope, ticket, data, resume_viewing=False)

    def _start(self, scope: Scope, ticket: Ticket, data: TimerStart, resume_viewing: bool) -> Timer:
        for _ in range(_ATTEMPTS):
            now = self._d.clock()
            current = self.billing.get_timer(ticket.number, scope.principal_id)
            if current is None:
                timer = Timer(
                    id=new_id("tmr"),
                    ticket_number=ticket.number,
                    client_id=ticket.client_id,
                    agent_id=scope.principal_id,
                    mode=data.mode,
                    started_at=now,
                    running_since=now,
                    work_type=data.work_type,
                    note=data.note,
                    updated_at=now,
                )
                if self.billing.put_timer(timer, None):
                    self._publish("TimerStarted", timer)
                    return timer
                continue
            if current.state is not TimerState.PAUSED or (
                resume_viewing and current.mode is not TimerMode.VIEWING
            ):
                return current
            resumed = current.resume(now)
            if self.billing.put_timer(resumed, current.version):
                return resumed
        raise InvalidInput("timer", "the timer keeps changing; try again")

    def _team_mode(self, scope: Scope, ticket: Ticket) -> TimerMode:
        """The mode of the agent's team: the ticket's team when the agent is in it, else the
        agent's first team; viewing when the agent has none."""
        store = self._d.store
        found = store.get_reference([(kinds.AGENTS, scope.principal_id)])
        agent = found.get(("agent", scope.principal_id))
        if not isinstance(agent, Agent) or not agent.team_ids:
            return TimerMode.VIEWING
        team_id = ticket.team_id if ticket.team_id in agent.team_ids else agent.team_ids[0]
        team = store.get_reference([(kinds.TEAMS, team_id)]).get(("team", team_id))
        return team.timer_mode if isinstance(team, Team) else TimerMode.VIEWING

    def pause(self, scope: Scope, number: int) -> Timer:
        return self._change(scope, number, Timer.pause)

    def resume(self, scope: Scope, number: int) -> Timer:
        return self._change(scope, number, Timer.resume)

    def stop(self, scope: Scope, number: int) -> tuple[Timer, Proposal]:
        timer = self._change(scope, number, Timer.stop)
        return timer, timer.proposal(self._d.clock())

    def _change(
        self, scope: Scope, number: int, change: Callable[[Timer, datetime], Timer]
    ) -> Timer:
        for _ in range(_ATTEMPTS):
            current = self.timer(scope, number)
            changed = change(current, self._d.clock())
            if changed is current or self.billing.put_timer(changed, current.version):
                return changed
        raise InvalidInput("timer", "the timer keeps changing; try again")

    def discard(self, scope: Scope, number: int) -> None:
        for _ in range(_ATTEMPTS):
            current = self.timer(scope, number)
            if self.billing.delete_timer(current):
                self._forget(scope, number)
                return
        raise InvalidInput("timer", "the timer keeps changing; try again")

    def confirm(self, scope: Scope, number: int, data: TimerConfirm) -> TimeEntry:
        """Turn the stopped timer's proposal, with the agent's changes, into a time entry; the
        timer goes in the same transaction."""
        current = self.timer(scope, number)
        if current.state is not TimerState.STOPPED:
            raise InvalidInput("state", "stop the timer first: stopping proposes the entry")
        proposal = current.proposal(self._d.clock())
        entry_input = TimeEntryInput(
            started_at=data.started_at or proposal.started_at,
            minutes=data.minutes or proposal.minutes,
            work_type=data.work_type or proposal.work_type,
            note=proposal.note if data.note is None else data.note,
        )
        delete_timer = {
            "Delete": {
                "TableName": self.billing.table_name,
                "Key": self.billing.timer_key(number, scope.principal_id),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": n(current.version)},
            }
        }
        entry = self._add(scope, number, entry_input, timer_id=current.id, extra=[delete_timer])
        self._forget(scope, number)
        return entry

    def _forget(self, scope: Scope, number: int) -> None:
        with self._lock:
            self._opened.pop((scope.principal_id, number), None)

    # --- time entries ----------------------------------------------------------------------

    def entries(self, scope: Scope, number: int) -> list[TimeEntry]:
        _staff(scope, number)
        self._d.store.get_ticket(number, scope)
        return sorted(self.billing.entries_of_ticket(number), key=lambda e: (e.started_at, e.id))

    def add_entry(self, scope: Scope, number: int, data: TimeEntryInput) -> TimeEntry:
        _staff(scope, number)
        return self._add(scope, number, data)

    def _add(
        self,
        scope: Scope,
        number: int,
        data: TimeEntryInput,
        timer_id: str | None = None,
        extra: list[dict[str, Any]] | None = None,
    ) -> TimeEntry:
        ticket = self._d.store.get_ticket(number, scope)
        now = self._d.clock()
        if data.started_at > now:
            raise InvalidInput("started_at", "time is logged for work done, not to come")
        entry = TimeEntry(
            id=new_id("te"),
            ticket_number=number,
            client_id=ticket.client_id,
            agent_id=scope.principal_id,
            started_at=data.started_at,
            minutes=data.minutes,
            work_type=data.work_type,
            note=data.note,
            created_at=now,
            updated_at=now,
            timer_id=timer_id,
        )
        for _ in range(_ATTEMPTS):
            placed = self._placed(entry)
            try:
                self.billing.write_entries(placed, extra=extra or ())
            except PeriodLocked:
                continue  # approved meanwhile: the next open period takes it
            self._publish_entry("TimeEntryAdded", placed.entry)
            return placed.entry
        raise InvalidInput("started_at", "no open billing period takes this entry")

    def record(self, entry: TimeEntry) -> TimeEntry | None:
        """Write an entry the desk made itself (a call's time): placed and locked like an
        agent's, so it reopens its period's draft or rolls into the next open period. None
        when an entry with this id and start is already written (a redelivered event)."""
        for _ in range(_ATTEMPTS):
            placed = self._placed(entry)
            try:
                self.billing.write_entries(placed)
            except PeriodLocked:
                continue
            except VersionConflict:
                return None
            self._publish_entry("TimeEntryAdded", placed.entry)
            return placed.entry
        raise InvalidInput("started_at", "no open billing period takes this entry")

    def _placed(self, entry: TimeEntry) -> EntryWrite:
        """The entry with the period it is billed in: its own, else the next open one."""
        own = period_of(entry.started_at, self._zone())
        period = own
        for _ in range(_MAX_LOCKED_PERIODS):
            if not self.billing.period(entry.client_id, period).locked:
                carried = period != own
                placed = entry.model_copy(update={"billing_period": period if carried else None})
                return EntryWrite(placed, period, carried)
            period = next_period(period)
        raise InvalidInput("started_at", "no open billing period takes this entry")

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self._d.store.get_settings().time_zone)

    def _own(self, scope: Scope, number: int, entry_id: str) -> tuple[TimeEntry, EntryWrite]:
        _staff(scope, number)
        self._d.store.get_ticket(number, scope)
        entry = next((e for e in self.billing.entries_of_ticket(number) if e.id == entry_id), None)
        if entry is None:
            raise NotFound("time_entry", entry_id)
        if entry.agent_id != scope.principal_id and scope.role is not Role.ADMIN:
            raise Forbidden("agents change their own time entries")
        period = entry.billing_period or period_of(entry.started_at, self._zone())
        if self.billing.period(entry.client_id, period).locked:
            raise PeriodLocked(entry.client_id, period)
        return entry, EntryWrite(entry, period, entry.billing_period is not None)

    def update_entry(
        self,
        scope: Scope,
        number: int,
        entry_id: str,
        patch: TimeEntryPatch,
        expected_version: int | None = None,
    ) -> TimeEntry:
        entry, old = self._own(scope, number, entry_id)
        if expected_version is not None and expected_version != entry.version:
            raise VersionConflict("time_entry", entry.id, expected_version, entry.version)
        changes = {
            k: getattr(patch, k) for k in patch.model_fields_set if getattr(patch, k) is not None
        }
        if not changes:
            return entry
        if changes.get("started_at") and changes["started_at"] > self._d.clock():
            raise InvalidInput("started_at", "time is logged for work done, not to come")
        changed = entry.model_copy(
            update={
                **changes,
                "version": entry.version + 1,
                "updated_at": self._d.clock(),
                "billing_period": None,
            }
        )
        TimeEntry.model_validate(changed.model_dump())
        placed = self._placed(changed)
        self.billing.write_entries(placed, delete=old)
        self._publish_entry("TimeEntryChanged", placed.entry)
        return placed.entry

    def delete_entry(self, scope: Scope, number: int, entry_id: str) -> None:
        entry, old = self._own(scope, number, entry_id)
        self.billing.write_entries(None, delete=old)
        self._publish_entry("TimeEntryDeleted", entry)

    # --- events ----------------------------------------------------------------------------

    def _publish(self, event_type: str, timer: Timer) -> None:
        self._d.events.publish(
            [
                DomainEvent(
                    type=event_type,
                    client_id=timer.client_id,
                    detail={
                        "number": timer.ticket_number,
                        "agent_id": timer.agent_id,
                        "mode": timer.mode.value,
                    },
                )
            ]
        )

    def _publish_entry(self, event_type: str, entry: TimeEntry) -> None:
        self._d.events.publish(
            [
                DomainEvent(
                    type=event_type,
                    client_id=entry.client_id,
                    detail={
                        "number": entry.ticket_number,
                        "entry_id": entry.id,
                        "started_at": iso(entry.started_at),
                        "minutes": entry.minutes,
                        "billing_period": entry.billing_period,
                    },
                )
            ]
        )
