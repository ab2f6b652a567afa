"""An end-user sees their own client's tickets and nothing of any other client's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from mspdesk.domain.enums import PresenceActivity, Visibility
from mspdesk.domain.errors import NotFound, OutOfScope, TicketNotFound
from mspdesk.domain.models import Ticket
from mspdesk.services.admin import lookup
from mspdesk.services.tickets import ActionInput, TicketPatch
from mspdesk.store.dynamo import QueueFilter
from mspdesk.store.entities import CLIENTS, CONTRACTS, END_USERS
from tests.unit.builders import Desk, FixedClock, build_desk, shared_deps

Read = Callable[[Desk, Ticket], Any]

READS_OF_BOBS_TICKET: dict[str, Read] = {
    "store.get_ticket": lambda d, t: d.deps.store.get_ticket(t.number, d.alice_scope),
    "store.get_ticket_record": lambda d, t: d.deps.store.get_ticket_record(
        t.number, d.alice_scope, d.deps.clock()
    ),
    "store.client_tickets": lambda d, t: d.deps.store.client_tickets(d.client_b.id, d.alice_scope),
    "store.end_user_tickets": lambda d, t: d.deps.store.end_user_tickets(
        d.bob.id, d.client_b.id, d.alice_scope
    ),
    "store.queue": lambda d, t: d.deps.store.queue(
        d.alice_scope, QueueFilter(client_id=d.client_b.id)
    ),
    "tickets.detail": lambda d, t: d.tickets.detail(d.alice_scope, t.number),
    "tickets.add_action": lambda d, t: d.tickets.add_action(
        d.alice_scope, t.number, ActionInput(body="Let me in")
    ),
    "tickets.update": lambda d, t: d.tickets.update(
        d.alice_scope, t.number, t.version, TicketPatch(priority="P1")
    ),
    "tickets.heartbeat": lambda d, t: d.tickets.heartbeat(
        d.alice_scope, t.number, PresenceActivity.VIEWING
    ),
    "tickets.leave": lambda d, t: d.tickets.leave(d.alice_scope, t.number),
    "tickets.queue": lambda d, t: d.tickets.queue(d.alice_scope, QueueFilter(), 10, None),
    "admin.get client": lambda d, t: d.admin.get(d.alice_scope, lookup("clients"), d.client_b.id),
    "admin.get end-user": lambda d, t: d.admin.get(d.alice_scope, lookup("end-users"), d.bob.id),
    "admin.list end-users": lambda d, t: d.admin.list(
        d.alice_scope, lookup("end-users"), d.client_b.id, 10, None
    ),
    "store.get_entity agent": lambda d, t: d.deps.store.get_entity(
        END_USERS, d.bob.id, d.alice_scope
    ),
}


@dataclass
class World:
    """One desk for the module: every test reads it or is refused, none changes it."""

    desk: Desk
    bobs_ticket: Ticket
    alices_ticket: Ticket


@pytest.fixture(scope="module")
def world(moto_endpoint: str) -> Iterator[World]:
    clock = FixedClock()
    with shared_deps(moto_endpoint, clock) as deps:
        desk = build_desk(deps)
        bobs = desk.ticket(client_id=desk.client_b.id, end_user_id=desk.bob.id)
        alices = desk.ticket()
        clock.now += timedelta(minutes=1)
        desk.tickets.add_action(
            desk.agent_scope,
            alices.number,
            ActionInput(body="VIP, handle with care", visibility=Visibility.PRIVATE),
        )
        yield World(desk, bobs, alices)


@pytest.fixture
def desk(world: World) -> Desk:
    return world.desk


@pytest.fixture
def bobs_ticket(world: World) -> Ticket:
    return world.bobs_ticket


@pytest.mark.parametrize("read", list(READS_OF_BOBS_TICKET))
def test_an_end_user_cannot_reach_another_clients_ticket(
    desk: Desk, bobs_ticket: Ticket, read: str
) -> None:
    with pytest.raises(NotFound) as refused:
        READS_OF_BOBS_TICKET[read](desk, bobs_ticket)
    # OutOfScope is a NotFound: the answer never says that the ticket exists.
    assert isinstance(refused.value, TicketNotFound | OutOfScope)


def test_an_unknown_ticket_and_another_clients_ticket_look_the_same(
    desk: Desk, bobs_ticket: Ticket
) -> None:
    with pytest.raises(TicketNotFound) as other_clients:
        desk.tickets.detail(desk.alice_scope, bobs_ticket.number)
    with pytest.raises(TicketNotFound) as missing:
        desk.tickets.detail(desk.alice_scope, 999_999)
    assert str(other_clients.value).replace(str(bobs_ticket.number), "N") == str(
        missing.value
    ).replace("999999", "N")


def test_an_end_user_listing_another_clients_end_user_under_their_own_client_gets_nothing(
    desk: Desk, bobs_ticket: Ticket
) -> None:
    page = desk.deps.store.end_user_tickets(desk.bob.id, desk.client_a.id, desk.alice_scope)
    assert page.items == []


def test_an_end_user_reads_their_own_clients_tickets_without_private_actions(
    world: World,
) -> None:
    desk, ticket = world.desk, world.alices_ticket
    store, scope = desk.deps.store, desk.alice_scope
    assert store.get_ticket(ticket.number, scope).number == ticket.number
    assert [t.number for t in store.client_tickets(desk.client_a.id, scope).items] == [
        ticket.number
    ]
    assert [
        t.number for t in store.end_user_tickets(desk.alice.id, desk.client_a.id, scope).items
    ] == [ticket.number]
    detail = desk.tickets.detail(scope, ticket.number)
    assert detail.actions
    assert all(a.visibility is Visibility.PUBLIC for a in detail.actions)
    assert "VIP, handle with care" not in {a.body for a in detail.actions}


def test_an_end_user_may_read_their_own_client_but_no_staff_records(desk: Desk) -> None:
    store, scope = desk.deps.store, desk.alice_scope
    assert store.get_entity(CLIENTS, desk.client_a.id, scope).id == desk.client_a.id
    assert store.get_entity(CONTRACTS, desk.contract_a.id, scope).id == desk.contract_a.id
    with pytest.raises(OutOfScope):
        desk.admin.get(scope, lookup("agents"), desk.agent.id)
    with pytest.raises(OutOfScope):
        desk.admin.get(scope, lookup("sla-plans"), desk.plan.id)
