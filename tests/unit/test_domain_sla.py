"""SLA clocks of a ticket: states, re-targeting, pauses and the instants the timers wait for."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mspdesk.domain.calendar import add_business_minutes, business_minutes_between
from mspdesk.domain.enums import Priority, SlaState, TicketStatus
from mspdesk.domain.models import (
    CalendarFields,
    SlaClock,
    SlaPlanFields,
    SlaTarget,
    StatusChange,
    Ticket,
    TicketSla,
    WorkingInterval,
)
from mspdesk.domain.sla import announcement, compute_sla, next_sla_event, timers_of

LONDON = ZoneInfo("Europe/London")
OFFICE = CalendarFields(name="Office")
CREATED = datetime(2026, 3, 9, 10, 0, tzinfo=LONDON)  # a Monday, 10:00 in London


def plan(business_hours: bool = True) -> SlaPlanFields:
    def target(response: int, resolution: int) -> SlaTarget:
        return SlaTarget(
            response_minutes=response, resolution_minutes=resolution, business_hours=business_hours
        )

    return SlaPlanFields(
        name="Standard",
        targets={
            Priority.P1: target(30, 240),
            Priority.P2: target(60, 480),
            Priority.P3: target(120, 960),
            Priority.P4: target(480, 2880),
        },
    )


PLAN = plan()


def ticket(**fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "number": 1,
        "client_id": "cl_a",
        "subject": "VPN down",
        "created_at": CREATED,
        "status": TicketStatus.OPEN,
    }
    values.update(fields)
    return Ticket(**values)


def at(minutes: float, start: datetime = CREATED) -> datetime:
    return start + timedelta(minutes=minutes)


def clocks(of: Ticket, now: datetime, terms: SlaPlanFields = PLAN) -> tuple[SlaClock, SlaClock]:
    """The response and resolution clocks of `of` at `now`."""
    sla = compute_sla(of, terms, OFFICE, now)
    assert sla.response is not None
    assert sla.resolution is not None
    return sla.response, sla.resolution


def test_a_new_ticket_runs_both_clocks_from_its_creation() -> None:
    response, resolution = clocks(ticket(), at(10))
    assert response.state is SlaState.RUNNING
    assert response.due_at == at(120)
    assert response.warn_at == at(90)  # 75 % of the target
    assert response.business_minutes_left == 110
    assert resolution.state is SlaState.RUNNING


def test_the_clock_warns_once_the_warning_share_has_elapsed() -> None:
    assert clocks(ticket(), at(89))[0].state is SlaState.RUNNING
    assert clocks(ticket(), at(90))[0].state is SlaState.WARNING


def test_a_clock_past_its_due_time_is_breached() -> None:
    response, _ = clocks(ticket(), at(121))
    assert response.state is SlaState.BREACHED
    assert response.business_minutes_left == -1


def test_the_first_agent_reply_in_time_meets_the_response_clock() -> None:
    response, resolution = clocks(ticket(first_response_at=at(45)), at(500))
    assert response.state is SlaState.MET
    assert response.stopped_at == at(45)
    assert resolution.state is SlaState.RUNNING


def test_a_late_reply_leaves_the_response_clock_breached_for_good() -> None:
    response, _ = clocks(ticket(first_response_at=at(200)), at(300))
    assert response.state is SlaState.BREACHED
    assert response.stopped_at == at(200)


def test_resolving_in_time_meets_the_resolution_clock() -> None:
    resolved = ticket(status=TicketStatus.RESOLVED, first_response_at=at(10), resolved_at=at(300))
    _, resolution = clocks(resolved, at(5000))
    assert resolution.state is SlaState.MET
    sla = compute_sla(resolved, PLAN, OFFICE, at(5000))
    assert resolved.model_copy(update={"sla": sla}).queue_sla_state is SlaState.MET


def test_business_hour_targets_stop_at_closing_time() -> None:
    friday = datetime(2026, 3, 13, 16, 0, tzinfo=LONDON)
    response, resolution = clocks(ticket(created_at=friday), friday)
    assert response.due_at == datetime(2026, 3, 16, 9, 30, tzinfo=LONDON)
    assert resolution.due_at == add_business_minutes(OFFICE, friday, 960)


def test_calendar_hour_targets_run_through_the_night() -> None:
    friday = datetime(2026, 3, 13, 16, 0, tzinfo=LONDON)
    response, _ = clocks(ticket(created_at=friday), friday, plan(business_hours=False))
    assert response.due_at == at(120, friday)


def test_a_priority_change_retargets_from_the_tickets_creation() -> None:
    raised = ticket(priority=Priority.P1)
    response, _ = clocks(raised, at(20))
    assert response.due_at == at(30)  # not 20 + 30 minutes
    assert response.state is SlaState.RUNNING
    assert clocks(raised, at(25))[0].state is SlaState.WARNING


def test_a_ticket_without_a_plan_has_no_sla() -> None:
    sla = compute_sla(ticket(), None, OFFICE, at(10))
    assert sla == TicketSla()
    assert ticket(sla=sla).queue_sla_state is None
    assert ticket(sla=sla).queue_due_at is None


# --- pauses --------------------------------------------------------------------------------


def waiting(since: float, until: float | None = None, **fields: Any) -> Ticket:
    """A ticket that waited on the customer from `since` (until `until`, or still waiting)."""
    history = [
        StatusChange(status=TicketStatus.NEW, at=CREATED),
        StatusChange(status=TicketStatus.WAITING_ON_CUSTOMER, at=at(since)),
    ]
    if until is not None:
        history.append(StatusChange(status=TicketStatus.OPEN, at=at(until)))
    status = TicketStatus.WAITING_ON_CUSTOMER if until is None else TicketStatus.OPEN
    return ticket(status=status, status_history=history, **fields)


def test_a_ticket_waiting_on_the_customer_shows_paused_clocks() -> None:
    response, resolution = clocks(waiting(30), at(60))
    assert response.state is SlaState.PAUSED
    assert resolution.state is SlaState.PAUSED
    assert response.business_minutes_left == 90  # frozen at the pause
    paused = waiting(30, sla=compute_sla(waiting(30), PLAN, OFFICE, at(60)))
    assert paused.queue_sla_state is SlaState.PAUSED
    assert paused.queue_due_at is None  # a paused ticket does not race the queue


def test_a_paused_clock_does_not_breach_while_it_waits() -> None:
    response, _ = clocks(waiting(30), at(60 * 24 * 3))
    assert response.state is SlaState.PAUSED
    assert response.business_minutes_left == 90


def test_paused_time_does_not_count_once_work_resumes() -> None:
    # Waited 100 business minutes (10:30-12:10): the 120-minute response target moves with it.
    response, _ = clocks(waiting(30, until=130), at(140))
    assert response.due_at == at(220)
    assert response.warn_at == at(190)
    assert response.state is SlaState.RUNNING


def test_a_pause_after_the_breach_does_not_undo_it() -> None:
    response, _ = clocks(waiting(150), at(200))
    assert response.state is SlaState.BREACHED
    assert response.due_at == at(120)


def test_a_reopened_ticket_resumes_its_resolution_clock_where_it_stopped() -> None:
    history = [
        StatusChange(status=TicketStatus.NEW, at=CREATED),
        StatusChange(status=TicketStatus.RESOLVED, at=at(60)),
        StatusChange(status=TicketStatus.OPEN, at=at(60 * 24 * 7)),  # a week later
    ]
    reopened = ticket(status=TicketStatus.OPEN, status_history=history, first_response_at=at(5))
    _, resolution = clocks(reopened, at(60 * 24 * 7 + 10))
    assert resolution.state is SlaState.RUNNING
    assert resolution.business_minutes_left == 960 - 60 - 10


def test_a_ticket_without_status_history_keeps_its_status_since_creation() -> None:
    # Tickets stored before status history existed carry none: their status holds throughout.
    response, _ = clocks(ticket(status=TicketStatus.WAITING_ON_SUPPLIER), at(500))
    assert response.state is SlaState.PAUSED


# --- the timers' instants and the queue's view ---------------------------------------------


def test_the_next_sla_event_is_the_warning_then_the_breach() -> None:
    running = compute_sla(ticket(), PLAN, OFFICE, at(10))
    assert next_sla_event(running) == at(90)
    warned = compute_sla(ticket(), PLAN, OFFICE, at(100))
    assert next_sla_event(warned) == at(120)
    breached_response = compute_sla(ticket(), PLAN, OFFICE, at(130))
    assert next_sla_event(breached_response) == add_business_minutes(OFFICE, CREATED, 720)


def test_met_breached_and_paused_clocks_wait_for_nothing() -> None:
    assert next_sla_event(compute_sla(waiting(30), PLAN, OFFICE, at(60))) is None
    done = ticket(status=TicketStatus.RESOLVED, first_response_at=at(5), resolved_at=at(9))
    assert next_sla_event(compute_sla(done, PLAN, OFFICE, at(10))) is None
    assert next_sla_event(TicketSla()) is None


@pytest.mark.parametrize(
    ("response", "resolution", "expected"),
    [
        (SlaState.MET, SlaState.RUNNING, SlaState.RUNNING),
        (SlaState.WARNING, SlaState.RUNNING, SlaState.WARNING),
        (SlaState.MET, SlaState.BREACHED, SlaState.BREACHED),
        (SlaState.BREACHED, SlaState.WARNING, SlaState.BREACHED),
        (SlaState.PAUSED, SlaState.PAUSED, SlaState.PAUSED),
        (SlaState.MET, SlaState.MET, SlaState.MET),
    ],
)
def test_the_queue_shows_the_worst_clock(
    response: SlaState, resolution: SlaState, expected: SlaState
) -> None:
    due = datetime(2026, 3, 9, 12, tzinfo=UTC)
    sla = TicketSla(
        response=SlaClock(state=response, due_at=due),
        resolution=SlaClock(state=resolution, due_at=due + timedelta(hours=1)),
    )
    assert ticket(sla=sla).queue_sla_state is expected


def test_the_queue_sorts_by_the_nearest_due_time_of_a_running_clock() -> None:
    due = datetime(2026, 3, 9, 12, tzinfo=UTC)
    sla = TicketSla(
        response=SlaClock(state=SlaState.MET, due_at=due),
        resolution=SlaClock(state=SlaState.RUNNING, due_at=due + timedelta(hours=5)),
    )
    assert ticket(sla=sla).queue_due_at == due + timedelta(hours=5)


@settings(max_examples=60, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=1, max_value=3 * 24 * 60), min_size=0, max_size=8),
    business=st.booleans(),
)
def test_the_due_time_leaves_exactly_the_target_of_unpaused_time(
    offsets: list[int], business: bool
) -> None:
    """Whatever the pauses, the time between creation and the due instant that was not
    spent waiting equals the target."""
    instants = [at(m) for m in sorted(set(offsets))]
    history = [StatusChange(status=TicketStatus.NEW, at=CREATED)]
    for i, instant in enumerate(instants):
        waiting_now = i % 2 == 0
        status = TicketStatus.WAITING_ON_SUPPLIER if waiting_now else TicketStatus.OPEN
        history.append(StatusChange(status=status, at=instant))
    if history[-1].status is TicketStatus.WAITING_ON_SUPPLIER:
        history.append(StatusChange(status=TicketStatus.OPEN, at=history[-1].at + timedelta(1)))
    of = ticket(status=TicketStatus.OPEN, status_history=history)
    terms = plan(business_hours=business)
    now = at(60 * 24 * 30)
    response, resolution = clocks(of, now, terms)

    def measure(start: datetime, end: datetime) -> float:
        if business:
            return business_minutes_between(OFFICE, start, end)
        return (end - start).total_seconds() / 60

    pauses = [
        (change.at, following.at)
        for change, following in itertools.pairwise(history)
        if change.status is TicketStatus.WAITING_ON_SUPPLIER
    ]
    for clock, target in ((response, 120), (resolution, 960)):
        assert clock.due_at is not None
        due = clock.due_at
        waited = sum(measure(start, min(end, due)) for start, end in pauses if start < due)
        assert measure(CREATED, due) - waited == pytest.approx(target, abs=1 / 60)


# --- worked cases: expected instants computed by hand ---------------------------------------

HOLIDAYS = CalendarFields(name="Office", holidays=[date(2026, 4, 3), date(2026, 4, 6)])
NIGHT_SHIFT = CalendarFields(
    name="Nights", week={d: [WorkingInterval(start=time(22), end=time(6))] for d in range(1, 6)}
)


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def business_clocks(
    of: Ticket, calendar: CalendarFields, now: datetime
) -> tuple[SlaClock, SlaClock]:
    sla = compute_sla(of, PLAN, calendar, now)
    assert sla.response is not None
    assert sla.resolution is not None
    return sla.response, sla.resolution


def test_a_friday_afternoon_ticket_runs_into_monday() -> None:
    friday = london(2026, 3, 13, 16, 30)
    response, resolution = business_clocks(ticket(created_at=friday), OFFICE, friday)
    # Response, 120 minutes: 16:30-17:30 is 60, then Monday 09:00 + 60.
    assert response.due_at == london(2026, 3, 16, 10)
    # Warning at 90: 60 on Friday, 30 on Monday.
    assert response.warn_at == london(2026, 3, 16, 9, 30)
    # Resolution, 960: 60 on Friday, 510 on Monday, 390 on Tuesday from 09:00 -> 15:30.
    assert resolution.due_at == london(2026, 3, 17, 15, 30)


def test_a_target_that_crosses_the_clocks_going_forward() -> None:
    friday = london(2026, 3, 27, 16)  # GMT; BST from Sunday 29 March
    _, resolution = business_clocks(ticket(created_at=friday, priority=Priority.P2), OFFICE, friday)
    # 480 minutes: 90 on Friday, then 390 from Monday 09:00 BST -> 15:30 BST, 14:30 UTC.
    assert resolution.due_at == datetime(2026, 3, 30, 14, 30, tzinfo=UTC)


def test_a_holiday_weekend_is_skipped() -> None:
    thursday = london(2026, 4, 2, 16)  # Good Friday and Easter Monday follow
    response, _ = business_clocks(ticket(created_at=thursday), HOLIDAYS, thursday)
    # 120 minutes: 90 on Thursday, 30 on Tuesday 7 April.
    assert response.due_at == london(2026, 4, 7, 9, 30)
    assert response.warn_at == london(2026, 4, 2, 17, 30)  # the 90th minute ends Thursday


def test_an_overnight_shift_carries_the_clock_past_midnight() -> None:
    early = london(2026, 3, 10, 5)  # Tuesday 05:00, inside Monday night's 22:00-06:00 shift
    response, _ = business_clocks(ticket(created_at=early), NIGHT_SHIFT, early)
    # 120 minutes: 05:00-06:00 is 60, then Tuesday night from 22:00: 60 more.
    assert response.due_at == london(2026, 3, 10, 23)
    assert response.warn_at == london(2026, 3, 10, 22, 30)


def test_a_two_hour_pause_moves_both_instants_by_two_hours() -> None:
    # Monday 10:00; waiting on the customer 10:30-12:30 (inside office hours).
    response, _ = clocks(waiting(30, until=150), at(160))
    assert response.due_at == london(2026, 3, 9, 14)  # 120 + 120 minutes after 10:00
    assert response.warn_at == london(2026, 3, 9, 13, 30)
    assert response.state is SlaState.RUNNING
    assert response.business_minutes_left == 80


# --- every state transition ------------------------------------------------------------------


def test_the_clock_moves_through_its_states_as_time_and_the_ticket_move() -> None:
    history = [StatusChange(status=TicketStatus.NEW, at=CREATED)]
    states = []
    for minutes, status in [
        (10, None),  # running
        (95, None),  # warning
        (96, TicketStatus.WAITING_ON_CUSTOMER),  # paused
        (200, TicketStatus.OPEN),  # warning again: 95 of 120 minutes had run
        (230, None),  # breached: due at 120 + 104 minutes paused = 224
        (240, TicketStatus.WAITING_ON_SUPPLIER),  # a breached clock stays breached
    ]:
        if status is not None:
            history.append(StatusChange(status=status, at=at(minutes)))
        now_ticket = ticket(status=history[-1].status, status_history=list(history))
        states.append(clocks(now_ticket, at(minutes))[0].state)
    assert states == [
        SlaState.RUNNING,
        SlaState.WARNING,
        SlaState.PAUSED,
        SlaState.WARNING,
        SlaState.BREACHED,
        SlaState.BREACHED,
    ]


def test_a_reply_after_the_warning_meets_the_clock() -> None:
    response, _ = clocks(ticket(first_response_at=at(100)), at(130))
    assert response.state is SlaState.MET
    assert response.reached is SlaState.WARNING


# --- SLA versions: what makes a timer stale -------------------------------------------------


def recompute(of: Ticket, now: datetime, **changes: Any) -> Ticket:
    """`of` changed at `now` as the ticket service does it: the stored SLA is the previous one."""
    changed = of.model_copy(update=changes)
    return changed.model_copy(update={"sla": compute_sla(changed, PLAN, OFFICE, now)})


def test_recomputing_without_a_change_keeps_the_version() -> None:
    first = recompute(ticket(), at(0))
    later = recompute(first, at(100))
    assert later.sla.response is not None
    assert later.sla.response.version == 1
    assert later.sla.response.state is SlaState.WARNING


def test_a_priority_change_is_a_new_version_of_both_clocks() -> None:
    first = recompute(ticket(), at(0))
    raised = recompute(first, at(10), priority=Priority.P1)
    assert raised.sla.response is not None
    assert raised.sla.resolution is not None
    assert (raised.sla.response.version, raised.sla.resolution.version) == (2, 2)
    assert raised.sla.response.inherited is None


def test_pausing_and_resuming_are_new_versions_that_keep_the_warning_already_given() -> None:
    first = recompute(
        ticket(status_history=[StatusChange(status=TicketStatus.NEW, at=CREATED)]), at(0)
    )
    warned = recompute(first, at(95))
    paused = recompute(
        warned,
        at(100),
        status=TicketStatus.WAITING_ON_CUSTOMER,
        status_history=[
            *warned.status_history,
            StatusChange(status=TicketStatus.WAITING_ON_CUSTOMER, at=at(100)),
        ],
    )
    resumed = recompute(
        paused,
        at(220),
        status=TicketStatus.OPEN,
        status_history=[*paused.status_history, StatusChange(status=TicketStatus.OPEN, at=at(220))],
    )
    versions = [t.sla.response.version for t in (warned, paused, resumed) if t.sla.response]
    assert versions == [1, 2, 3]
    assert resumed.sla.response is not None
    assert resumed.sla.response.inherited is SlaState.WARNING
    assert announcement(resumed.sla.response) is None
    assert resumed.sla.response.due_at == at(240)


def test_a_lower_priority_takes_the_clock_back_below_its_warning_and_forgets_it() -> None:
    first = recompute(ticket(priority=Priority.P1), at(0))
    warned = recompute(first, at(25))
    assert warned.sla.response is not None
    assert warned.sla.response.state is SlaState.WARNING
    lowered = recompute(warned, at(26), priority=Priority.P4)
    assert lowered.sla.response is not None
    assert lowered.sla.response.state is SlaState.RUNNING
    assert lowered.sla.response.inherited is None
    rewarned = recompute(lowered, at(400))
    assert rewarned.sla.response is not None
    assert announcement(rewarned.sla.response) is SlaState.WARNING


def test_an_agent_reply_keeps_the_version_so_the_timer_finds_the_clock_met() -> None:
    first = recompute(ticket(), at(0))
    replied = recompute(first, at(30), first_response_at=at(30))
    assert replied.sla.response is not None
    assert (replied.sla.response.state, replied.sla.response.version) == (SlaState.MET, 1)


def test_a_reopen_is_a_new_version_of_the_resolution_clock() -> None:
    start = [StatusChange(status=TicketStatus.NEW, at=CREATED)]
    first = recompute(ticket(status_history=start, first_response_at=at(5)), at(5))
    resolved = recompute(
        first,
        at(60),
        status=TicketStatus.RESOLVED,
        resolved_at=at(60),
        status_history=[*start, StatusChange(status=TicketStatus.RESOLVED, at=at(60))],
    )
    reopened = recompute(
        resolved,
        at(180),
        status=TicketStatus.OPEN,
        resolved_at=None,
        status_history=[
            *resolved.status_history,
            StatusChange(status=TicketStatus.OPEN, at=at(180)),
        ],
    )
    assert resolved.sla.resolution is not None
    assert reopened.sla.resolution is not None
    assert resolved.sla.resolution.version == 1
    assert reopened.sla.resolution.version == 2
    assert reopened.sla.resolution.due_at == add_business_minutes(OFFICE, CREATED, 960 + 120)


def test_a_ticket_needs_a_timer_per_clock_still_to_warn_or_breach() -> None:
    fresh = recompute(ticket(number=7), at(0))
    assert [(t.clock, t.version, t.warn_at, t.breach_at) for t in timers_of(fresh)] == [
        ("response", 1, at(90), at(120)),
        (
            "resolution",
            1,
            add_business_minutes(OFFICE, CREATED, 720),
            add_business_minutes(OFFICE, CREATED, 960),
        ),
    ]
    assert timers_of(fresh)[0].name == "ticket-7-response-v1"
    replied = recompute(fresh, at(30), first_response_at=at(30))
    assert [t.clock for t in timers_of(replied)] == ["resolution"]
    assert timers_of(recompute(fresh, at(30), status=TicketStatus.CLOSED, resolved_at=at(30))) == []


def test_an_announcement_is_the_furthest_level_not_yet_inherited() -> None:
    due = at(120)
    running = SlaClock(state=SlaState.RUNNING, due_at=due, warn_at=at(90))
    assert announcement(running) is None
    warned = running.model_copy(update={"state": SlaState.WARNING, "reached": SlaState.WARNING})
    assert announcement(warned) is SlaState.WARNING
    breached = warned.model_copy(update={"state": SlaState.BREACHED, "reached": SlaState.BREACHED})
    assert announcement(breached) is SlaState.BREACHED
    inherited = breached.model_copy(update={"inherited": SlaState.WARNING})
    assert announcement(inherited) is SlaState.BREACHED
    assert announcement(breached.model_copy(update={"inherited": SlaState.BREACHED})) is None
    assert announcement(breached.model_copy(update={"stopped_at": at(130)})) is None
