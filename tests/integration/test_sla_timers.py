"""SLA timers against moto's DynamoDB: the checks a timer makes at its instants, fresh timers
when targets move, the sweep's repairs, and each announcement published exactly once.

The desk's plan (tests/unit/builders.py) is in calendar hours: P3 response warns at 90 minutes
and is due at 120, resolution is due at 960 (warning at 720); P1 response is due at 30.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta

import pytest

from mspdesk.adapters.events import RecordingPublisher
from mspdesk.adapters.sla_timers import (
    BREACH_STAGE,
    CONTINUE,
    DONE,
    MET,
    PAUSED,
    STALE,
    WARNING_STAGE,
    LocalTimers,
)
from mspdesk.domain.enums import Priority, SlaState, TicketStatus
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.sla import SlaTimer, timers_of
from mspdesk.services.deps import Deps
from mspdesk.services.sla import SlaCheck, SlaMonitor
from mspdesk.services.tickets import ActionInput, TicketPatch
from mspdesk.store.dynamo import QueueFilter
from mspdesk.store.sla import MarkerKey, SlaStore
from tests.conftest import Clock
from tests.unit.builders import ADMIN, Desk, build_desk


@pytest.fixture
def desk(deps: Deps) -> Desk:
    return build_desk(deps)


class Harness:
    """The monitor with local timers that the test drives by moving the clock."""

    def __init__(self, desk: Desk, clock: Clock) -> None:
        self.desk = desk
        self.clock = clock
        self.start = clock.now
        self.timers = LocalTimers(self._check, clock=clock)
        self.monitor = SlaMonitor(desk.deps, self.timers)
        self.outcomes: list[tuple[str, str, str]] = []

    def _check(self, timer: SlaTimer, stage: str) -> str:
        outcome = self.monitor.check(
            SlaCheck(number=timer.number, clock=timer.clock, version=timer.version, stage=stage)
        )
        self.outcomes.append((timer.name, stage, outcome))
        return outcome

    def at(self, minutes: float) -> int:
        """Move the clock to `minutes` after the desk's start and run the timers due."""
        self.clock.now = self.start + timedelta(minutes=minutes)
        return self.timers.run_due()


@pytest.fixture
def harness(desk: Desk, clock: Clock) -> Harness:
    return Harness(desk, clock)


def announced(events: RecordingPublisher) -> list[tuple[str, int, str, int]]:
    return [
        (e.type, e.detail["number"], e.detail["clock"], e.detail["sla_version"])
        for e in events.events
        if e.type in ("SlaWarning", "SlaBreached")
    ]


def test_a_timer_warns_then_breaches_at_the_computed_instants(
    harness: Harness, events: RecordingPublisher
) -> None:
    ticket = harness.desk.ticket()
    assert harness.monitor.arm(ticket.number) == 2  # response and resolution
    assert harness.at(89) == 0
    assert announced(events) == []
    assert harness.at(90) == 1
    assert announced(events) == [("SlaWarning", ticket.number, "response", 1)]
    stored = harness.desk.deps.store.get_ticket(ticket.number, ADMIN)
    assert stored.queue_sla_state is SlaState.WARNING
    harness.at(119)
    assert len(announced(events)) == 1
    harness.at(120)
    assert announced(events)[-1] == ("SlaBreached", ticket.number, "response", 1)
    breached = harness.desk.tickets.queue(ADMIN, QueueFilter(sla="breached"), 10, None)
    assert [t.number for t in breached.items] == [ticket.number]
    name = f"ticket-{ticket.number}-response-v1"
    assert [(n, s, o) for n, s, o in harness.outcomes if n == name] == [
        (name, WARNING_STAGE, CONTINUE),
        (name, BREACH_STAGE, DONE),
    ]
    warning = next(e for e in events.events if e.type == "SlaWarning")
    assert warning.detail["due_at"] == (harness.start + timedelta(minutes=120)).isoformat()


def test_a_priority_change_starts_a_fresh_timer_and_the_old_one_exits_as_stale(
    harness: Harness, events: RecordingPublisher
) -> None:
    desk = harness.desk
    ticket = desk.ticket()
    harness.monitor.arm(ticket.number)
    harness.at(10)
    raised = desk.tickets.update(
        desk.agent_scope, ticket.number, ticket.version, TicketPatch(priority=Priority.P1)
    )
    assert raised.sla.response is not None
    assert raised.sla.response.version == 2
    # P1 re-targets from creation: warn at 22.5 minutes, due at 30.
    assert harness.monitor.arm(ticket.number) == 2
    harness.at(23)
    assert announced(events) == [("SlaWarning", ticket.number, "response", 2)]
    harness.at(90)  # the P3 timer's instant: it finds itself stale
    assert (f"ticket-{ticket.number}-response-v1", WARNING_STAGE, STALE) in harness.outcomes
    assert [a[0] for a in announced(events)] == ["SlaWarning", "SlaBreached"]


def test_a_pause_exits_the_timer_and_resuming_arms_one_that_does_not_warn_again(
    harness: Harness, events: RecordingPublisher
) -> None:
    desk = harness.desk
    ticket = desk.ticket()
    harness.monitor.arm(ticket.number)
    harness.at(95)  # warned
    assert announced(events) == [("SlaWarning", ticket.number, "response", 1)]
    current = desk.deps.store.get_ticket(ticket.number, ADMIN, consistent=True)
    waiting = desk.tickets.update(
        desk.agent_scope,
        ticket.number,
        current.version,
        TicketPatch(status=TicketStatus.WAITING_ON_CUSTOMER),
    )
    assert harness.monitor.arm(ticket.number) == 0  # paused clocks wait for nothing
    harness.at(120)  # the old breach instant: the clock is paused
    assert (f"ticket-{ticket.number}-response-v1", BREACH_STAGE, STALE) in harness.outcomes
    harness.at(215)  # two hours later the customer answers
    desk.tickets.add_action(desk.alice_scope, ticket.number, ActionInput(body="Here it is"))
    resumed = desk.deps.store.get_ticket(ticket.number, ADMIN, consistent=True)
    assert resumed.status is TicketStatus.OPEN
    assert resumed.sla.response is not None
    assert resumed.sla.response.version == waiting.sla.response.version + 1  # type: ignore[union-attr]
    assert resumed.sla.response.inherited is SlaState.WARNING
    # The 120-minute pause (95 -> 215) moves the due time from 120 to 240.
    assert resumed.sla.response.due_at == harness.start + timedelta(minutes=240)
    harness.monitor.arm(ticket.number)
    harness.at(216)  # the new timer's warning instant has passed: nothing new to say
    assert announced(events) == [("SlaWarning", ticket.number, "response", 1)]
    harness.at(240)
    assert announced(events)[-1] == ("SlaBreached", ticket.number, "response", 3)


def test_a_reply_in_time_meets_the_response_clock_and_its_timer_exits(
    harness: Harness, events: RecordingPublisher
) -> None:
    desk = harness.desk
    ticket = desk.ticket()
    harness.monitor.arm(ticket.number)
    harness.at(30)
    desk.tickets.add_action(desk.agent_scope, ticket.number, ActionInput(body="Looking now"))
    harness.at(90)
    assert (f"ticket-{ticket.number}-response-v1", WARNING_STAGE, MET) in harness.outcomes
    assert announced(events) == []


def test_a_check_of_a_paused_clock_says_paused(harness: Harness) -> None:
    desk = harness.desk
    ticket = desk.ticket()
    desk.tickets.update(
        desk.agent_scope,
        ticket.number,
        ticket.version,
        TicketPatch(status=TicketStatus.WAITING_ON_SUPPLIER),
    )
    stored = desk.deps.store.get_ticket(ticket.number, ADMIN, consistent=True)
    assert stored.sla.response is not None
    check = SlaCheck(
        number=ticket.number, clock="response", version=stored.sla.response.version, stage="warning"
    )
    harness.clock.now = harness.start + timedelta(minutes=100)
    assert harness.monitor.check(check) == PAUSED


def test_a_late_check_of_a_breached_clock_publishes_the_breach_alone(
    harness: Harness, events: RecordingPublisher
) -> None:
    ticket = harness.desk.ticket()
    harness.monitor.arm(ticket.number)
    harness.at(200)  # both stages of the response timer run late, one after the other
    assert announced(events) == [("SlaBreached", ticket.number, "response", 1)]


# --- exactly once --------------------------------------------------------------------------


def test_a_duplicated_execution_publishes_the_warning_once(
    harness: Harness, events: RecordingPublisher
) -> None:
    ticket = harness.desk.ticket()
    timer = timers_of(harness.desk.deps.store.get_ticket(ticket.number, ADMIN))[0]
    # Two executions of the same timer (a repair beside a live one, a redelivered start).
    twin = LocalTimers(harness._check, clock=harness.clock)
    assert harness.timers.start(timer)
    assert twin.start(timer)
    harness.at(95)
    twin.run_due()
    assert [o for o in harness.outcomes if o[1] == WARNING_STAGE] == [
        (timer.name, WARNING_STAGE, CONTINUE),
        (timer.name, WARNING_STAGE, CONTINUE),
    ]
    assert announced(events) == [("SlaWarning", ticket.number, "response", 1)]


def test_concurrent_checks_and_sweeps_publish_each_announcement_once(
    desk: Desk, clock: Clock, events: RecordingPublisher
) -> None:
    tickets = [desk.ticket() for _ in range(3)]
    clock.now += timedelta(minutes=95)
    monitor = SlaMonitor(desk.deps)
    check = [
        SlaCheck(number=t.number, clock="response", version=1, stage="warning") for t in tickets
    ]
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def run(work: int) -> None:
        try:
            barrier.wait()
            if work % 2:
                monitor.sweep()
            else:
                for request in check:
                    monitor.check(request)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(announced(events)) == sorted(
        ("SlaWarning", t.number, "response", 1) for t in tickets
    )


class FailingOnce(RecordingPublisher):
    """Refuses the first announcement, as EventBridge may."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if not self.refused and any(e.type == "SlaWarning" for e in events):
            self.refused += 1
            raise RuntimeError("PutEvents failed")
        super().publish(events)


def test_a_failed_publication_is_published_by_the_retry_and_only_then(
    desk: Desk, clock: Clock
) -> None:
    ticket = desk.ticket()
    publisher = FailingOnce()
    monitor = SlaMonitor(Deps(desk.deps.store, publisher, clock))
    clock.now += timedelta(minutes=95)
    check = SlaCheck(number=ticket.number, clock="response", version=1, stage="warning")
    with pytest.raises(RuntimeError, match="PutEvents"):
        monitor.check(check)
    key = MarkerKey(ticket.number, "response", 1, "warning")
    assert SlaStore(desk.deps.store).state(key) is None  # given back for the retry
    assert monitor.check(check) == CONTINUE
    assert monitor.check(check) == CONTINUE
    assert [e.type for e in publisher.events if e.type.startswith("Sla")].count("SlaWarning") == 1
    assert SlaStore(desk.deps.store).state(key) == "done"


def test_a_claim_left_by_a_dead_check_is_taken_over_once_it_is_stale(
    desk: Desk, clock: Clock
) -> None:
    markers = SlaStore(desk.deps.store)
    key = MarkerKey(7, "response", 1, "warning")
    assert markers.claim(key, "first", clock.now)
    assert not markers.claim(key, "second", clock.now + timedelta(seconds=60))
    assert markers.claim(key, "second", clock.now + timedelta(minutes=4))
    markers.complete(key, "second", clock.now + timedelta(minutes=4))
    assert not markers.claim(key, "third", clock.now + timedelta(days=1))


# --- the sweep -----------------------------------------------------------------------------


def test_the_sweep_announces_what_a_lost_timer_missed_and_restarts_it(
    harness: Harness, events: RecordingPublisher
) -> None:
    ticket = harness.desk.ticket()  # no timer armed: as if Step Functions had lost it
    harness.at(100)
    assert announced(events) == []
    result = harness.monitor.sweep()
    assert (result.examined, result.announced, result.timers_started) == (1, 1, 2)
    assert announced(events) == [("SlaWarning", ticket.number, "response", 1)]
    assert harness.timers.waiting == {
        f"ticket-{ticket.number}-response-v1",
        f"ticket-{ticket.number}-resolution-v1",
    }
    assert harness.monitor.sweep().examined == 0  # stored as warned: off AP7 until 120
    harness.at(100)  # the restarted timer's warning stage: already announced
    harness.at(120)
    assert announced(events)[-1] == ("SlaBreached", ticket.number, "response", 1)
    assert len(announced(events)) == 2


def test_the_sweep_leaves_a_ticket_alone_until_its_instant(
    harness: Harness, events: RecordingPublisher
) -> None:
    harness.desk.ticket()
    harness.at(89)
    assert harness.monitor.sweep().examined == 0
    assert harness.timers.waiting == set()
    assert announced(events) == []


def test_rearming_a_restarted_desk_gives_each_running_clock_its_timer(harness: Harness) -> None:
    first, second = harness.desk.ticket(), harness.desk.ticket()
    armed = harness.monitor.arm_due_before(harness.clock.now + timedelta(days=2))
    assert armed == 4
    assert len(harness.timers.waiting) == 4
    assert {n.split("-")[1] for n in harness.timers.waiting} == {
        str(first.number),
        str(second.number),
    }
