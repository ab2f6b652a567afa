"""Concurrent changes to one ticket: one write wins per version, and no change is lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import pytest

from mspdesk.domain.enums import Priority, Visibility
from mspdesk.domain.errors import VersionConflict
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import ActionInput, TicketPatch
from tests.unit.builders import ADMIN, Desk, build_desk

T = TypeVar("T")


@pytest.fixture
def desk(deps: Deps) -> Desk:
    return build_desk(deps)


def together(calls: list[Callable[[], T]]) -> list[T | Exception]:
    """Run `calls` on threads released at the same moment; each result or its error."""
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | Exception:
        gate.wait()
        try:
            return call()
        except Exception as error:  # the caller inspects what each call raised
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_agents_updating_the_same_version_one_wins_the_other_is_told(desk: Desk) -> None:
    ticket = desk.ticket()
    patches = [TicketPatch(priority=Priority.P1), TicketPatch(agent_id=desk.agent.id)]
    outcomes = together(
        [
            partial(desk.tickets.update, desk.agent_scope, ticket.number, ticket.version, p)
            for p in patches
        ]
    )
    conflicts = [o for o in outcomes if isinstance(o, VersionConflict)]
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert len(conflicts) == 1
    assert conflicts[0].current == ticket.version + 1
    stored = desk.deps.store.get_ticket(ticket.number, ADMIN, consistent=True)
    assert stored == winners[0]
    # The loser re-reads and applies its change on top: nothing is lost.
    loser = patches[outcomes.index(conflicts[0])]
    desk.tickets.update(desk.agent_scope, ticket.number, stored.version, loser)
    final = desk.deps.store.get_ticket(ticket.number, ADMIN, consistent=True)
    assert final.priority is Priority.P1
    assert final.agent_id == desk.agent.id
    assert final.version == ticket.version + 2


def test_actions_added_during_concurrent_updates_are_never_lost(desk: Desk) -> None:
    ticket = desk.ticket()
    priorities = [Priority.P1, Priority.P2, Priority.P4]

    def retrying_update(priority: Priority) -> Any:
        for _ in range(20):
            current = desk.deps.store.get_ticket(ticket.number, ADMIN, consistent=True)
            try:
                return desk.tickets.update(
                    desk.agent_scope, ticket.number, current.version, TicketPatch(priority=priority)
                )
            except VersionConflict:
                continue
        raise AssertionError("an update never got through")

    notes = [f"note {i}" for i in range(6)]
    calls: list[Callable[[], Any]] = [
        *(
            partial(
                desk.tickets.add_action,
                desk.agent_scope,
                ticket.number,
                ActionInput(body=body, visibility=Visibility.PRIVATE),
            )
            for body in notes
        ),
        *(partial(retrying_update, p) for p in priorities),
    ]
    outcomes = together(calls)
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    record = desk.deps.store.get_ticket_record(ticket.number, ADMIN, desk.deps.clock())
    bodies = [a.body for a in record.actions]
    assert sorted(b for b in bodies if b.startswith("note")) == notes
    # Every write moved the version on by one: none overwrote another.
    assert record.ticket.version == 1 + len(notes) + len(priorities)
