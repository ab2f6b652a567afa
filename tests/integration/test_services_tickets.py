"""Ticket use cases through the services, against moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from mspdesk.adapters.events import RecordingPublisher
from mspdesk.domain.enums import (
    ActionKind,
    Priority,
    SlaState,
    TicketSource,
    TicketStatus,
    Visibility,
)
from mspdesk.domain.errors import Forbidden, InvalidInput, TicketNotFound, VersionConflict
from mspdesk.domain.models import Ticket
from mspdesk.services.admin import lookup
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import ActionInput, TicketInput, TicketPatch
from tests.conftest import Clock
from tests.unit.builders import ADMIN, Desk, build_desk, end_user_scope, make, shared_deps


@pytest.fixture
def desk(deps: Deps) -> Desk:
    return build_desk(deps)


@pytest.fixture(scope="module")
def settled(moto_endpoint: str) -> Iterator[Desk]:
    """A desk shared by the tests whose every write is refused."""
    with shared_deps(moto_endpoint) as deps:
        yield build_desk(deps)


def minutes(clock: Clock, count: float) -> None:
    clock.now += timedelta(minutes=count)


# --- create --------------------------------------------------------------------------------


def test_an_agent_raises_a_ticket_under_the_clients_contract_with_running_clocks(
    desk: Desk, clock: Clock, events: RecordingPublisher
) -> None:
    ticket = desk.ticket(priority=Priority.P2, team_id=desk.team.id, agent_id=desk.agent.id)
    assert ticket.status is TicketStatus.NEW
    assert ticket.contract_id == desk.contract_a.id
    assert ticket.sla.plan_id == desk.plan.id
    assert ticket.sla.response is not None
    assert ticket.sla.response.state is SlaState.RUNNING
    assert ticket.sla.response.due_at == clock.now + timedelta(minutes=60)
    stored = desk.deps.store.get_ticket(ticket.number, ADMIN)
    assert stored == ticket
    record = desk.deps.store.get_ticket_record(ticket.number, ADMIN, clock.now)
    assert [(a.kind, a.visibility, a.body) for a in record.actions] == [
        (ActionKind.NOTE, Visibility.PUBLIC, "Smoke is coming out of the second floor printer.")
    ]
    created = [e for e in events.events if e.type == "TicketCreated"]
    assert len(created) == 1
    assert created[0].client_id == desk.client_a.id
    assert created[0].detail["number"] == ticket.number


def test_ticket_numbers_follow_each_other(desk: Desk) -> None:
    numbers = [desk.ticket().number for _ in range(3)]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_a_ticket_of_a_client_without_contract_has_no_sla(desk: Desk) -> None:
    ticket = desk.ticket(client_id=desk.client_b.id, end_user_id=desk.bob.id)
    assert ticket.contract_id is None
    assert ticket.queue_sla_state is None


def test_an_end_user_raises_tickets_for_their_own_client_only(desk: Desk) -> None:
    raised = desk.tickets.create(
        desk.alice_scope,
        TicketInput(subject="Cannot log in", body="Password expired", agent_id=desk.agent.id),
        source=TicketSource.PORTAL,
    )
    assert (raised.client_id, raised.end_user_id) == (desk.client_a.id, desk.alice.id)
    assert raised.agent_id is None  # end-users do not assign
    with pytest.raises(InvalidInput) as refused:
        desk.tickets.create(
            desk.alice_scope,
            TicketInput(client_id=desk.client_b.id, subject="Hi", body="Let me in"),
        )
    assert refused.value.field == "client_id"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"client_id": "cl_nobody"}, "client_id"),
        ({"end_user_id": "eu_nobody"}, "end_user_id"),
        ({"team_id": "team_nobody"}, "team_id"),
        ({"agent_id": "ag_nobody"}, "agent_id"),
        ({"category_id": "cat_nobody"}, "category_id"),
    ],
)
def test_a_ticket_naming_something_unknown_is_refused_by_field(
    settled: Desk, fields: dict[str, Any], field: str
) -> None:
    desk = settled
    with pytest.raises(InvalidInput) as refused:
        desk.ticket(**fields)
    assert refused.value.field == field


def test_a_ticket_for_another_clients_end_user_is_refused(settled: Desk) -> None:
    desk = settled
    with pytest.raises(InvalidInput) as refused:
        desk.ticket(end_user_id=desk.bob.id)
    assert refused.value.field == "end_user_id"


def test_a_ticket_cannot_be_assigned_to_an_inactive_agent(desk: Desk) -> None:
    desk.admin.update(ADMIN, lookup("agents"), desk.other_agent.id, {"active": False}, None)
    with pytest.raises(InvalidInput) as refused:
        desk.ticket(agent_id=desk.other_agent.id)
    assert refused.value.field == "agent_id"


def test_an_inactive_client_takes_no_new_tickets(desk: Desk) -> None:
    desk.admin.update(ADMIN, lookup("clients"), desk.client_b.id, {"active": False}, None)
    with pytest.raises(InvalidInput) as refused:
        desk.ticket(client_id=desk.client_b.id, end_user_id=desk.bob.id)
    assert refused.value.field == "client_id"


def test_a_retried_create_with_the_same_idempotency_key_makes_one_ticket(
    desk: Desk, events: RecordingPublisher
) -> None:
    data = TicketInput(
        client_id=desk.client_a.id, end_user_id=desk.alice.id, subject="Retry", body="Once"
    )
    first = desk.tickets.create(desk.agent_scope, data, idempotency_key="req-1")
    again = desk.tickets.create(desk.agent_scope, data, idempotency_key="req-1")
    assert again.number == first.number
    page = desk.deps.store.client_tickets(desk.client_a.id, ADMIN, limit=10)
    assert [t.number for t in page.items] == [first.number]
    assert events.types().count("TicketCreated") == 1
    other = desk.tickets.create(desk.agent_scope, data, idempotency_key="req-2")
    assert other.number != first.number


def test_the_same_idempotency_key_from_two_people_makes_two_tickets(desk: Desk) -> None:
    data = TicketInput(subject="Same key", body="Different people")
    mine = desk.tickets.create(desk.alice_scope, data, idempotency_key="k")
    theirs = desk.tickets.create(desk.bob_scope, data, idempotency_key="k")
    assert mine.number != theirs.number
    assert theirs.client_id == desk.client_b.id


# --- update --------------------------------------------------------------------------------


def test_raising_the_priority_retargets_the_sla_from_the_tickets_creation(
    desk: Desk, clock: Clock, events: RecordingPublisher
) -> None:
    created_at = clock.now
    ticket = desk.ticket()
    minutes(clock, 20)
    raised = desk.tickets.update(
        desk.agent_scope, ticket.number, ticket.version, TicketPatch(priority=Priority.P1)
    )
    assert raised.version == ticket.version + 1
    assert raised.sla.response is not None
    assert raised.sla.response.due_at == created_at + timedelta(minutes=30)
    assert raised.sla.response.state is SlaState.RUNNING
    record = desk.deps.store.get_ticket_record(ticket.number, ADMIN, clock.now)
    change = [a for a in record.actions if a.kind is ActionKind.FIELD_CHANGE]
    assert len(change) == 1
    assert change[0].visibility is Visibility.PRIVATE
    assert change[0].meta == {"field": "priority", "from": "P3", "to": "P1"}
    updated = [e for e in events.events if e.type == "TicketUpdated"]
    assert [e.detail["changes"] for e in updated] == [{"priority": "P1"}]


def test_an_update_with_a_stale_version_is_refused(desk: Desk) -> None:
    ticket = desk.ticket()
    desk.tickets.update(desk.agent_scope, ticket.number, ticket.version, TicketPatch(priority="P2"))
    with pytest.raises(VersionConflict) as conflict:
        desk.tickets.update(
            desk.agent_scope, ticket.number, ticket.version, TicketPatch(priority="P4")
        )
    assert conflict.value.current == ticket.version + 1
    assert desk.deps.store.get_ticket(ticket.number, ADMIN).priority is Priority.P2


def test_an_update_that_changes_nothing_writes_and_publishes_nothing(
    desk: Desk, events: RecordingPublisher
) -> None:
    ticket = desk.ticket()
    same = desk.tickets.update(
        desk.agent_scope, ticket.number, ticket.version, TicketPatch(priority=ticket.priority)
    )
    assert same.version == ticket.version
    assert "TicketUpdated" not in events.types()


def test_assigning_and_unassigning_an_agent(desk: Desk) -> None:
    ticket = desk.ticket()
    assigned = desk.tickets.update(
        desk.agent_scope, ticket.number, ticket.version, TicketPatch(agent_id=desk.agent.id)
    )
    assert assigned.agent_id == desk.agent.id
    cleared = desk.tickets.update(
        desk.agent_scope, ticket.number, assigned.version, TicketPatch(agent_id=None)
    )
    assert cleared.agent_id is None


def test_status_and_priority_cannot_be_emptied(settled: Desk) -> None:
    desk = settled
    ticket = desk.ticket()
    for patch, field in (
        (TicketPatch(status=None), "status"),
        (TicketPatch(priority=None), "priority"),
    ):
        with pytest.raises(InvalidInput) as refused:
            desk.tickets.update(desk.agent_scope, ticket.number, ticket.version, patch)
        assert refused.value.field == field


def test_waiting_on_the_customer_pauses_the_sla_and_the_wait_does_not_count(
    desk: Desk, clock: Clock
) -> None:
    created_at = clock.now
    ticket = desk.ticket()  # P3: response due in 120 minutes
    minutes(clock, 30)
    waiting = desk.tickets.update(
        desk.agent_scope,
        ticket.number,
        ticket.version,
        TicketPatch(status=TicketStatus.WAITING_ON_CUSTOMER),
    )
    assert waiting.queue_sla_state is SlaState.PAUSED
    minutes(clock, 300)  # far past the original due time
    back = desk.tickets.update(
        desk.agent_scope, ticket.number, waiting.version, TicketPatch(status=TicketStatus.OPEN)
    )
    assert back.sla.response is not None
    assert back.sla.response.state is SlaState.RUNNING
    assert back.sla.response.due_at == created_at + timedelta(minutes=120 + 300)


def test_resolving_and_reopening_a_ticket(desk: Desk, clock: Clock) -> None:
    ticket = desk.ticket()
    minutes(clock, 10)
    resolved = desk.tickets.update(
        desk.agent_scope, ticket.number, ticket.version, TicketPatch(status="resolved")
    )
    assert resolved.resolved_at == clock.now
    assert resolved.sla.resolution is not None
    assert resolved.sla.resolution.state is SlaState.MET
    minutes(clock, 60 * 24)
    reopened = desk.tickets.update(
        desk.agent_scope, ticket.number, resolved.version, TicketPatch(status="open")
    )
    assert reopened.resolved_at is None
    assert reopened.sla.resolution is not None
    assert reopened.sla.resolution.state is SlaState.RUNNING  # the day resolved does not count
    assert [c.status for c in reopened.status_history] == ["new", "resolved", "open"]


def test_an_end_user_cannot_change_a_ticket(settled: Desk) -> None:
    desk = settled
    ticket = desk.ticket()
    with pytest.raises(TicketNotFound):
        desk.tickets.update(
            desk.alice_scope, ticket.number, ticket.version, TicketPatch(priority="P1")
        )


def test_an_end_user_marks_their_ticket_resolved_and_a_reply_reopens_it(
    desk: Desk, clock: Clock, events: RecordingPublisher
) -> None:
    ticket = desk.ticket()
    with pytest.raises(TicketNotFound):  # another client's end-user learns nothing
        desk.tickets.resolve_for_requester(desk.bob_scope, ticket.number)
    colleague = desk.admin.create(
        ADMIN,
        lookup("end-users"),
        {"client_id": desk.client_a.id, "name": "Carol", "emails": ["carol@acme.example"]},
    )
    with pytest.raises(Forbidden):  # sees the company's tickets, closes only her own
        desk.tickets.resolve_for_requester(end_user_scope(colleague), ticket.number)
    minutes(clock, 30)
    resolved = desk.tickets.resolve_for_requester(desk.alice_scope, ticket.number)
    assert (resolved.status, resolved.resolved_at) == (TicketStatus.RESOLVED, clock.now)
    assert resolved.sla.resolution is not None
    assert resolved.sla.resolution.state is SlaState.MET
    (update,) = [e for e in events.events if e.type == "TicketUpdated"]
    assert (update.detail["changes"], update.detail["was"]) == (
        {"status": "resolved"},
        {"status": "new"},
    )
    change = desk.tickets.detail(ADMIN, ticket.number).actions[-1]
    assert (change.kind, change.author.kind) == (ActionKind.STATUS_CHANGE, "end_user")

    with pytest.raises(InvalidInput) as again:
        desk.tickets.resolve_for_requester(desk.alice_scope, ticket.number)
    assert again.value.field == "status"
    reopened, _ = desk.tickets.add_action(
        desk.alice_scope, ticket.number, ActionInput(body="It broke again")
    )
    assert reopened.status is TicketStatus.OPEN


# --- actions -------------------------------------------------------------------------------


def test_the_first_public_agent_reply_stops_the_response_clock_and_opens_the_ticket(
    desk: Desk, clock: Clock, events: RecordingPublisher
) -> None:
    ticket = desk.ticket()
    minutes(clock, 15)
    noted, _ = desk.tickets.add_action(
        desk.agent_scope,
        ticket.number,
        ActionInput(body="Checked the logs", visibility=Visibility.PRIVATE),
    )
    assert noted.first_response_at is None  # a private note is no reply
    assert noted.status is TicketStatus.NEW
    minutes(clock, 15)
    replied, action = desk.tickets.add_action(
        desk.agent_scope, ticket.number, ActionInput(body="On my way", kind=ActionKind.EMAIL_OUT)
    )
    assert replied.first_response_at == clock.now
    assert replied.status is TicketStatus.OPEN
    assert replied.sla.response is not None
    assert replied.sla.response.state is SlaState.MET
    assert action.author.id == desk.agent.id
    added = [e for e in events.events if e.type == "ActionAdded"]
    assert [e.detail["visibility"] for e in added] == ["private", "public"]


def test_an_end_user_reply_reopens_a_ticket_waiting_on_them(desk: Desk) -> None:
    ticket = desk.ticket()
    waiting = desk.tickets.update(
        desk.agent_scope, ticket.number, ticket.version, TicketPatch(status="waiting_on_customer")
    )
    reopened, action = desk.tickets.add_action(
        desk.alice_scope, waiting.number, ActionInput(body="Here is the screenshot")
    )
    assert reopened.status is TicketStatus.OPEN
    assert action.author.kind == "end_user"


def test_an_end_user_cannot_add_private_notes_or_write_on_a_closed_ticket(desk: Desk) -> None:
    ticket = desk.ticket()
    with pytest.raises(InvalidInput) as refused:
        desk.tickets.add_action(
            desk.alice_scope,
            ticket.number,
            ActionInput(body="psst", visibility=Visibility.PRIVATE),
        )
    assert refused.value.field == "visibility"
    closed = desk.tickets.update(
        desk.agent_scope, ticket.number, ticket.version, TicketPatch(status="closed")
    )
    with pytest.raises(InvalidInput) as refused:
        desk.tickets.add_action(desk.alice_scope, closed.number, ActionInput(body="One more"))
    assert refused.value.field == "number"


# --- detail --------------------------------------------------------------------------------


def test_an_agent_sees_the_whole_ticket_with_its_client_context(desk: Desk, clock: Clock) -> None:
    asset = make(
        desk.admin,
        "assets",
        {"client_id": desk.client_a.id, "name": "ALICE-PC", "end_user_id": desk.alice.id},
    )
    older = [desk.ticket(subject=f"Older {i}") for i in range(6)]
    ticket = desk.ticket()
    desk.tickets.add_action(
        desk.agent_scope, ticket.number, ActionInput(body="Internal", visibility="private")
    )
    detail = desk.tickets.detail(desk.agent_scope, ticket.number)
    assert detail.ticket.number == ticket.number
    assert len(detail.actions) == 2
    assert detail.context is not None
    assert detail.context.client.id == desk.client_a.id
    assert detail.context.contract is not None
    assert detail.context.contract.id == desk.contract_a.id
    assert detail.context.sla_plan is not None
    assert detail.context.sla_plan.id == desk.plan.id
    assert detail.context.end_user is not None
    assert detail.context.end_user.id == desk.alice.id
    assert [a.id for a in detail.context.assets] == [asset.id]
    recent = [t.number for t in detail.context.recent_tickets]
    assert recent == [t.number for t in reversed(older)][:5]  # newest first, not itself


def test_an_end_user_sees_only_the_public_side_of_their_ticket(desk: Desk, clock: Clock) -> None:
    ticket = desk.ticket()
    minutes(clock, 1)
    desk.tickets.add_action(
        desk.agent_scope,
        ticket.number,
        ActionInput(body="Client is difficult", visibility="private"),
    )
    minutes(clock, 1)
    desk.tickets.add_action(desk.agent_scope, ticket.number, ActionInput(body="Fixed it"))
    detail = desk.tickets.detail(desk.alice_scope, ticket.number)
    assert [a.body for a in detail.actions] == [
        "Smoke is coming out of the second floor printer.",
        "Fixed it",
    ]
    assert all(a.visibility is Visibility.PUBLIC for a in detail.actions)
    assert detail.context is None
    assert detail.time_entries == []
    assert detail.presence == []


def test_the_portal_lists_the_end_users_client_tickets_newest_first(desk: Desk) -> None:
    first = desk.ticket(subject="First")
    second = desk.ticket(subject="Second")
    desk.ticket(client_id=desk.client_b.id, end_user_id=desk.bob.id)
    page = desk.tickets.portal_list(desk.alice_scope, limit=10, cursor=None)
    assert [t.number for t in page.items] == [second.number, first.number]


def test_every_change_publishes_its_event(desk: Desk, events: RecordingPublisher) -> None:
    events.events.clear()
    ticket: Ticket = desk.ticket()
    updated = desk.tickets.update(
        desk.agent_scope, ticket.number, ticket.version, TicketPatch(priority="P1")
    )
    desk.tickets.add_action(desk.agent_scope, updated.number, ActionInput(body="Reply"))
    assert events.types() == ["TicketCreated", "TicketUpdated", "ActionAdded"]
    assert {e.client_id for e in events.events} == {desk.client_a.id}
    assert [e.detail["version"] for e in events.events] == [1, 2, 3]
