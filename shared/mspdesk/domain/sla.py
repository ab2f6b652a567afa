"""SLA clocks of a ticket, computed from its plan, its calendar and the instant `now`.

A pure function of the ticket's facts: the store keeps its result for the queue's filters and
ordering, and any reader may recompute it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mspdesk.domain.calendar import add_business_minutes, business_minutes_between
from mspdesk.domain.enums import SlaState
from mspdesk.domain.models import CalendarFields, SlaClock, SlaPlanFields, Ticket, TicketSla


def _add(calendar: CalendarFields, business: bool, start: datetime, minutes: float) -> datetime:
    if business:
        return add_business_minutes(calendar, start, minutes)
    return start + timedelta(minutes=minutes)


def _left(calendar: CalendarFields, business: bool, now: datetime, due: datetime) -> int:
    if business:
        return round(business_minutes_between(calendar, now, due))
    return round((due - now).total_seconds() / 60)


def _clock(
    *,
    target_minutes: int,
    business: bool,
    warning_percent: int,
    calendar: CalendarFields,
    started_at: datetime,
    stopped_at: datetime | None,
    paused: bool,
    now: datetime,
) -> SlaClock:
    due = _add(calendar, business, started_at, target_minutes)
    warn = _add(calendar, business, started_at, target_minutes * warning_percent / 100)
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
    """Both clocks of `ticket` at `now`; no plan or calendar means no SLA."""
    if plan is None or calendar is None:
        return TicketSla()
    target = plan.targets[ticket.priority]
    paused = ticket.status in plan.pause_statuses

    def clock(target_minutes: int, stopped_at: datetime | None) -> SlaClock:
        return _clock(
            target_minutes=target_minutes,
            business=target.business_hours,
            warning_percent=plan.warning_percent,
            calendar=calendar,
            started_at=ticket.created_at,
            stopped_at=stopped_at,
            paused=paused,
            now=now,
        )

    response = clock(target.response_minutes, ticket.first_response_at)
    resolution = clock(target.resolution_minutes, ticket.resolved_at)
    return TicketSla(plan_id=plan_id, response=response, resolution=resolution)


def next_sla_event(sla: TicketSla) -> datetime | None:
    """The next instant at which a clock of `sla` changes state without any ticket change."""
    instants: list[datetime] = []
    for clock in (sla.response, sla.resolution):
        if clock is None or clock.due_at is None:
            continue
        if clock.state is SlaState.RUNNING and clock.warn_at is not None:
            instants.append(clock.warn_at)
        elif clock.state in (SlaState.RUNNING, SlaState.WARNING, SlaState.PAUSED):
            instants.append(clock.due_at)
    return min(instants) if instants else None
