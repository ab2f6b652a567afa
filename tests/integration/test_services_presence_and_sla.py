"""Who else is on a ticket (presence), and the sweep that keeps SLA states true over time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mspdesk.adapters.events import RecordingPublisher
from mspdesk.domain.enums import PresenceActivity, SlaState
from mspdesk.services.deps import Deps
from mspdesk.services.sla import SlaSweeper
from mspdesk.services.tickets import PRESENCE_TTL, ActionInput, TicketPatch
from mspdesk.store.dynamo import QueueFilter
from tests.conftest import Clock
from tests.unit.builders import ADMIN, Desk, agent_scope, build_desk


@pytest.fixture
def desk(deps: Deps) -> Desk:
    return build_desk(deps)


def test_an_agent_sees_the_other_agents_on_a_ticket_but_not_themself(desk: Desk) -> None:
    ticket = desk.ticket()
    sam, kim = desk.agent_scope, agent_scope(desk.other_agent)
    assert desk.tickets.heartbeat(sam, ticket.number, PresenceActivity.VIEWING) == []
    others = desk.tickets.heartbeat(kim, ticket.number, PresenceActivity.REPLYING)
    assert [(p.agent_id, p.agent_name, p.activity) for p in others] == [
        (desk.agent.id, "Sam Agent", PresenceActivity.VIEWING)
    ]
    seen_by_sam = desk.tickets.heartbeat(sam, ticket.number, PresenceActivity.VIEWING)
    assert [(p.agent_id, p.activity) for p in seen_by_sam] == [
        (desk.other_agent.id, PresenceActivity.REPLYING)
    ]


def test_a_heartbeat_reads_who_is_there_not_the_conversation(desk: Desk) -> None:
    ticket = desk.ticket()
    sam, kim = desk.agent_scope, agent_scope(desk.other_agent)
    for n in range(30):
        desk.tickets.add_action(sam, ticket.number, ActionInput(body=f"Note {n}"))
    desk.tickets.heartbeat(kim, ticket.number, PresenceActivity.VIEWING)
    reads = desk.deps.store.reads
    before = reads.items, reads.calls
    assert len(desk.tickets.heartbeat(sam, ticket.number, PresenceActivity.VIEWING)) == 1
    # One Query: the ticket and Kim's presence (Sam's is written after), not the 31 actions.
    assert (reads.items - before[0], reads.calls - before[1]) == (2, 1)


def test_a_heartbeat_on_a_ticket_that_does_not_exist_is_a_404_and_leaves_nothing(
    desk: Desk,
) -> None:
    from mspdesk.domain.errors import TicketNotFound

    with pytest.raises(TicketNotFound):
        desk.tickets.heartbeat(desk.agent_scope, 999_999, PresenceActivity.VIEWING)
    with pytest.raises(TicketNotFound):
        desk.deps.store.ticket_presence(999_999, ADMIN, desk.deps.clock())


def test_presence_that_was_not_renewed_expires(desk: Desk, clock: Clock) -> None:
    ticket = desk.ticket()
    sam, kim = desk.agent_scope, agent_scope(desk.other_agent)
    desk.tickets.heartbeat(kim, ticket.number, PresenceActivity.VIEWING)
    clock.now += PRESENCE_TTL - timedelta(seconds=1)
    assert len(desk.tickets.heartbeat(sam, ticket.number, PresenceActivity.VIEWING)) == 1
    clock.now += timedelta(seconds=2)  # Kim's heartbeat is now more than 45 s old
    assert desk.tickets.heartbeat(sam, ticket.number, PresenceActivity.VIEWING) == []
    assert desk.tickets.detail(sam, ticket.number).presence[0].agent_id == desk.agent.id


def test_leaving_a_ticket_removes_the_agents_presence_at_once(desk: Desk) -> None:
    ticket = desk.ticket()
    sam, kim = desk.agent_scope, agent_scope(desk.other_agent)
    desk.tickets.heartbeat(kim, ticket.number, PresenceActivity.EDITING)
    desk.tickets.leave(kim, ticket.number)
    assert desk.tickets.heartbeat(sam, ticket.number, PresenceActivity.VIEWING) == []


def test_the_sweep_moves_a_ticket_to_warning_once_its_warn_time_passes(
    desk: Desk, clock: Clock, events: RecordingPublisher
) -> None:
    ticket = desk.ticket()  # P3: response warns at 90 minutes, due at 120
    quiet = desk.ticket(client_id=desk.client_b.id, end_user_id=desk.bob.id)  # no SLA
    sweeper = SlaSweeper(desk.deps)
    clock.now += timedelta(minutes=89)
    assert sweeper.sweep().changed == 0
    clock.now += timedelta(minutes=2)
    result = sweeper.sweep()
    assert (result.examined, result.changed) == (1, 1)
    stored = desk.deps.store.get_ticket(ticket.number, ADMIN)
    assert stored.queue_sla_state is SlaState.WARNING
    assert stored.version == ticket.version + 1
    warning = desk.tickets.queue(ADMIN, QueueFilter(sla=SlaState.WARNING.value), 10, None)
    assert [t.number for t in warning.items] == [ticket.number]
    running = desk.tickets.queue(ADMIN, QueueFilter(sla=SlaState.RUNNING.value), 10, None)
    assert ticket.number not in [t.number for t in running.items]
    assert sweeper.sweep().changed == 0  # nothing more until the breach
    changes = [e for e in events.events if e.type == "SlaStateChanged"]
    assert len(changes) == 1
    assert changes[0].detail == {
        "number": ticket.number,
        "version": ticket.version + 1,
        "from": SlaState.RUNNING,
        "to": SlaState.WARNING,
    }
    assert quiet.number not in {e.detail["number"] for e in changes}


def test_the_sweep_then_marks_the_breach(
    desk: Desk, clock: Clock, events: RecordingPublisher
) -> None:
    ticket = desk.ticket()
    sweeper = SlaSweeper(desk.deps)
    clock.now += timedelta(minutes=100)
    sweeper.sweep()
    clock.now += timedelta(minutes=30)
    sweeper.sweep()
    stored = desk.deps.store.get_ticket(ticket.number, ADMIN)
    assert stored.queue_sla_state is SlaState.BREACHED
    breached = desk.tickets.queue(ADMIN, QueueFilter(sla="breached"), 10, None)
    assert [t.number for t in breached.items] == [ticket.number]
    assert [e.detail["to"] for e in events.events if e.type == "SlaStateChanged"] == [
        SlaState.WARNING,
        SlaState.BREACHED,
    ]


def test_the_sweep_leaves_answered_resolved_and_paused_tickets_alone(
    desk: Desk, clock: Clock
) -> None:
    answered = desk.ticket()
    desk.tickets.add_action(desk.agent_scope, answered.number, ActionInput(body="On it"))
    resolved = desk.ticket()
    desk.tickets.update(
        desk.agent_scope, resolved.number, resolved.version, TicketPatch(status="resolved")
    )
    paused = desk.ticket()
    desk.tickets.update(
        desk.agent_scope, paused.number, paused.version, TicketPatch(status="waiting_on_customer")
    )
    clock.now += timedelta(minutes=200)  # past the response due time of all three
    sweeper = SlaSweeper(desk.deps)
    assert sweeper.sweep().changed == 0
    assert desk.deps.store.get_ticket(paused.number, ADMIN).queue_sla_state is SlaState.PAUSED
