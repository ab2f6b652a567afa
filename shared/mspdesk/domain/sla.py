"""SLA clocks of a ticket, computed from its plan, its calendar and the instant `now`.

A pure function of the ticket's facts: the store keeps its result for the queue's filters and
ordering, and any reader may recompute it.
"""

from __future__ import annotations

from collections.abc import Collection
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
        return SlaClock(state=state, due_at=due, warn_at=warn, stopped_at=stopped_at)
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
    )


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
    return TicketSla(plan_id=plan_id, response=response, resolution=resolution)


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
