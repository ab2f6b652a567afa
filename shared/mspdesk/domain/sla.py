"""SLA clocks of a ticket, computed from its plan, its calendar and the instant `now`.

A pure function of the ticket's facts: the store keeps its result for the queue's filters and
ordering, and any reader may recompute it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from mspdesk.domain.calendar import add_business_minutes, business_minutes_between
from mspdesk.domain.enums import SlaState, TicketStatus
from mspdesk.domain.models import (
    CalendarFields,
    SlaClock,
    SlaPlanFields,
    StatusChange,
    Ticket,
    TicketSla,
)

Pauses = list[tuple[datetime, datetime | None]]

CLOCKS = ("response", "resolution")
# How far a clock has got: nothing yet, its warning, its breach.
_RANK: dict[SlaState | None, int] = {None: 0, SlaState.WARNING: 1, SlaState.BREACHED: 2}

# Time spent resolved does not count either: a reopen resumes the resolution clock.
_RESOLUTION_STOPS = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def _add(calendar: CalendarFields, business: bool, start: datetime, minutes: float) -> datetime:
    if business:
        return add_business_minutes(calendar, start, minutes)
    return start + timedelta(minutes=minutes)


def _between(calendar: CalendarFields, business: bool, start: datetime, end: datetime) -> float:
    if business:
        return business_minutes_between(calendar, start, end)
    return (end - start).total_seconds() / 60


def _left(calendar: CalendarFields, business: bool, now: datetime, due: datetime) -> int:
    return round(_between(calendar, business, now, due))


def _pauses(ticket: Ticket, statuses: Collection[TicketStatus]) -> Pauses:
    """When the ticket sat in one of `statuses`, oldest first; a pause still on ends in None.

    A ticket without status history (stored before it was kept) has had its status throughout.
    """
    timeline = ticket.status_history or [StatusChange(status=ticket.status, at=ticket.created_at)]
    ends: list[datetime | None] = [c.at for c in timeline[1:]]
    return [
        (c.at, end) for c, end in zip(timeline, [*ends, None], strict=True) if c.status in statuses
    ]


def _deadline(
    calendar: CalendarFields,
    business: bool,
    start: datetime,
    minutes: float,
    pauses: Pauses,
    until: datetime,
) -> datetime:
    """When `minutes` of unpaused time have run from `start`. Each pause that began before
    then pushes it back by the pause's length (a pause still on counts up to `until`)."""
    due = _add(calendar, business, start, minutes)
    for pause_start, pause_end in pauses:
        if pause_start >= due:
            break
        end = until if pause_end is None else min(pause_end, until)
        length = _between(calendar, business, max(pause_start, start), end)
        if length > 0:
            due = _add(calendar, business, due, length)
    return due


def _clock(
    *,
    target_minutes: int,
    business: bool,
    warning_percent: int,
    calendar: CalendarFields,
    started_at: datetime,
    stopped_at: datetime | None,
    pauses: Pauses,
    paused: bool,
    now: datetime,
) -> SlaClock:
    until = stopped_at or now

    def deadline(minutes: float) -> datetime:
        return _deadline(calendar, business, started_at, minutes, pauses, until)

    due = deadline(target_minutes)
    warn = deadline(target_minutes * warning_percent / 100)
    if stopped_at is not None:
        state = SlaState.MET if stopped_at <= due else SlaState.BREACHED
        return SlaClock(
            state=state,
            due_at=due,
            warn_at=warn,
            stopped_at=stopped_at,
            reached=_reached(state, stopped_at >= warn),
        )
    if now >= due:
        state = SlaState.BREACHED
    elif paused:
        state = SlaState.PAUSED
    elif now >= warn:
        state = SlaState.WARNING
    else:
        state = SlaState.RUNNING
    return SlaClock(
        state=state,
        due_at=due,
        warn_at=warn,
        business_minutes_left=_left(calendar, business, now, due),
        # A paused clock's warning instant moves with the pause unless it had passed before.
        reached=_reached(state, now >= warn),
    )


def _reached(state: SlaState, warned: bool) -> SlaState | None:
    if state is SlaState.BREACHED:
        return SlaState.BREACHED
    return SlaState.WARNING if warned else None


def compute_sla(
    ticket: Ticket,
    plan: SlaPlanFields | None,
    calendar: CalendarFields | None,
    now: datetime,
    plan_id: str | None = None,
) -> TicketSla:
    """Both clocks of `ticket` at `now`; no plan or calendar means no SLA.

    Time spent in the plan's pause statuses does not count (nor, for the resolution clock,
    time spent resolved before a reopen), so a paused clock cannot breach while it waits.
    """
    if plan is None or calendar is None:
        return TicketSla()
    target = plan.targets[ticket.priority]
    pause_statuses = set(plan.pause_statuses)
    resolution_stops = pause_statuses | set(_RESOLUTION_STOPS)

    def clock(
        target_minutes: int, stopped_at: datetime | None, statuses: Collection[TicketStatus]
    ) -> SlaClock:
        return _clock(
            target_minutes=target_minutes,
            business=target.business_hours,
            warning_percent=plan.warning_percent,
            calendar=calendar,
            started_at=ticket.created_at,
            stopped_at=stopped_at,
            pauses=_pauses(ticket, statuses),
            paused=ticket.status in pause_statuses,
            now=now,
        )

    response = clock(target.response_minutes, ticket.first_response_at, pause_statuses)
    resolution = clock(target.resolution_minutes, ticket.resolved_at, resolution_stops)
    return TicketSla(
        plan_id=plan_id,
        response=_versioned(ticket.sla.response, response, now),
        resolution=_versioned(ticket.sla.resolution, resolution, now),
    )


def _targets(clock: SlaClock) -> tuple[object, ...]:
    """What a timer of the clock waits for. A paused clock's instants move with the pause, so
    it is judged by being paused; a stopped clock keeps the instants it had (its timer finds
    it met), and a reopen that moves them starts a new version."""
    if clock.state is SlaState.PAUSED:
        return ("paused",)
    return ("timed", clock.warn_at, clock.due_at)


def _level(clock: SlaClock, now: datetime) -> SlaState | None:
    """How far a previously computed clock has got by `now`."""
    active = clock.stopped_at is None and clock.state is not SlaState.PAUSED
    if active and clock.due_at is not None and clock.warn_at is not None:
        # A running clock's instants are fixed until the ticket changes: judge them now.
        return _reached(
            SlaState.BREACHED if now >= clock.due_at else clock.state, now >= clock.warn_at
        )
    return clock.reached


def _versioned(previous: SlaClock | None, clock: SlaClock, now: datetime) -> SlaClock:
    """`clock` with the version of `previous` if its targets stayed put, else the next one.

    A new version inherits the level that both the old and the new targets had reached at
    `now`: a warned clock that pauses and resumes is not warned again, a breached clock whose
    priority an escalation raises is not breached again, but a clock that a lower priority
    takes back below its warning is warned again when it gets there.
    """
    if previous is None:
        return clock
    if _targets(previous) == _targets(clock):
        return clock.model_copy(
            update={"version": previous.version, "inherited": previous.inherited}
        )
    old, new = _level(previous, now), clock.reached
    inherited = old if _RANK[old] <= _RANK[new] else new
    return clock.model_copy(update={"version": previous.version + 1, "inherited": inherited})


def clock_of(sla: TicketSla, name: str) -> SlaClock | None:
    if name not in CLOCKS:
        raise ValueError(f"no SLA clock {name!r}")
    clock: SlaClock | None = getattr(sla, name)
    return clock


def announcement(clock: SlaClock) -> SlaState | None:
    """What a check of a freshly computed clock announces: the furthest level it has reached
    (WARNING or BREACHED) unless its version inherited it; nothing for a stopped or paused
    clock. A late check of a breached clock announces the breach alone."""
    if clock.stopped_at is not None or clock.state is SlaState.PAUSED:
        return None
    if _RANK[clock.reached] <= _RANK[clock.inherited]:
        return None
    return clock.reached


@dataclass(frozen=True)
class SlaTimer:
    """A wait for one clock of one ticket at one version: until warn_at, then breach_at."""

    number: int
    clock: str
    version: int
    warn_at: datetime
    breach_at: datetime

    @property
    def name(self) -> str:
        """Unique per ticket, clock and version: a second start of the same timer is refused
        by name (Step Functions keeps execution names for 90 days)."""
        return f"ticket-{self.number}-{self.clock}-v{self.version}"


def timers_of(ticket: Ticket) -> list[SlaTimer]:
    """The timers a ticket's stored clocks need: one per clock still to warn or breach."""
    if not ticket.status.is_open:
        return []
    timers = []
    for name in CLOCKS:
        clock = clock_of(ticket.sla, name)
        if (
            clock is not None
            and clock.state in (SlaState.RUNNING, SlaState.WARNING)
            and clock.warn_at is not None
            and clock.due_at is not None
        ):
            timers.append(SlaTimer(ticket.number, name, clock.version, clock.warn_at, clock.due_at))
    return timers


def next_sla_event(sla: TicketSla) -> datetime | None:
    """The next instant at which a clock of `sla` changes state without any ticket change."""
    instants: list[datetime] = []
    for clock in (sla.response, sla.resolution):
        if clock is None or clock.due_at is None:
            continue
        if clock.state is SlaState.RUNNING and clock.warn_at is not None:
            instants.append(clock.warn_at)
        elif clock.state in (SlaState.RUNNING, SlaState.WARNING):
            # A paused clock changes only when the ticket does.
            instants.append(clock.due_at)
    return min(instants) if instants else None
