"""The queue (AP2): every filter and pair of filters, paged small, returns each matching ticket
exactly once in SLA-due-then-age order, reading about as many items as it shows."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mspdesk.domain.enums import Priority, Role, TicketStatus
from mspdesk.domain.errors import InvalidInput, OutOfScope
from mspdesk.domain.models import CalendarFields, SlaPlanFields, StatusChange, Ticket
from mspdesk.domain.scope import Scope
from mspdesk.domain.sla import compute_sla
from mspdesk.store.dynamo import DynamoStore, QueueFilter, ticket_item
from tests.unit.builders import ADMIN, PLAN_BODY, shared_table

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FAR = datetime.max.replace(tzinfo=UTC)
PLAN = SlaPlanFields.model_validate(PLAN_BODY)
CALENDAR = CalendarFields(name="Office")
CLIENTS = ("cl_a", "cl_b", "cl_c")
AGENTS = ("ag_1", "ag_2", "ag_3", None)
TEAMS = ("team_x", "team_y", None)
STATUSES = (
    [TicketStatus.NEW] * 3
    + [TicketStatus.OPEN] * 4
    + [TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.WAITING_ON_SUPPLIER]
    + [TicketStatus.RESOLVED, TicketStatus.CLOSED]
)
PAGE = 4

# Every value a filter may take here; "unassigned" and "none" are values the API accepts.
VALUES: dict[str, list[Any]] = {
    "client_id": list(CLIENTS),
    "status": list(TicketStatus),
    "agent_id": ["ag_1", "ag_2", "ag_3", "unassigned"],
    "team_id": ["team_x", "team_y", "unassigned"],
    "priority": [p.value for p in Priority],
    "sla": ["running", "warning", "breached", "paused", "met", "none"],
}


def make_tickets(count: int) -> list[Ticket]:
    """Tickets over three clients with every status, assignee, priority and SLA state.

    Creation times fall on a half-hour grid so that many tickets tie on age and the
    ticket number has to break the tie.
    """
    rng = random.Random(20260302)
    tickets = []
    for number in range(1, count + 1):
        created = NOW - timedelta(minutes=30 * rng.randint(0, 100))
        status = rng.choice(STATUSES)
        history = [StatusChange(status=TicketStatus.NEW, at=created)]
        if status is not TicketStatus.NEW:
            history.append(
                StatusChange(status=status, at=min(NOW, created + timedelta(minutes=10)))
            )
        done = status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        ticket = Ticket(
            number=number,
            client_id=rng.choice(CLIENTS),
            subject=f"Ticket {number}",
            status=status,
            priority=rng.choice(list(Priority)),
            agent_id=rng.choice(AGENTS),
            team_id=rng.choice(TEAMS),
            first_response_at=created + timedelta(minutes=5) if rng.random() < 0.3 else None,
            resolved_at=history[-1].at if done else None,
            status_history=history,
            created_at=created,
            updated_at=created,
        )
        if rng.random() < 0.8:  # the others belong to clients without an SLA
            ticket = ticket.model_copy(update={"sla": compute_sla(ticket, PLAN, CALENDAR, NOW)})
        tickets.append(ticket)
    return tickets


def matches(ticket: Ticket, filters: QueueFilter) -> bool:
    def assignee(value: str | None) -> str:
        return value or "unassigned"

    state = ticket.queue_sla_state.value if ticket.queue_sla_state else "none"
    return (
        (ticket.status.is_open if filters.status is None else ticket.status is filters.status)
        and filters.client_id in (None, ticket.client_id)
        and filters.agent_id in (None, assignee(ticket.agent_id))
        and filters.team_id in (None, assignee(ticket.team_id))
        and filters.priority in (None, ticket.priority.value)
        and filters.sla in (None, state)
    )


def expected(tickets: list[Ticket], filters: QueueFilter) -> list[int]:
    chosen = [t for t in tickets if matches(t, filters)]
    chosen.sort(key=lambda t: (t.queue_due_at or FAR, t.created_at, t.number))
    return [t.number for t in chosen]


def put_all(client: Any, table_name: str, tickets: list[Ticket]) -> None:
    """Write tickets as the store lays them out, 25 to a batch (the API's limit)."""
    for start in range(0, len(tickets), 25):
        batch = [{"PutRequest": {"Item": ticket_item(t)}} for t in tickets[start : start + 25]]
        client.batch_write_item(RequestItems={table_name: batch})


def read_every_page(store: DynamoStore, filters: QueueFilter, limit: int = PAGE) -> list[int]:
    numbers: list[int] = []
    cursor = None
    for _ in range(200):
        page = store.queue(ADMIN, filters, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        numbers += [t.number for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return numbers
    raise AssertionError("the queue never ended")


@pytest.fixture(scope="module")
def tickets() -> list[Ticket]:
    return make_tickets(96)


@pytest.fixture(scope="module")
def queue_table(moto_endpoint: str, tickets: list[Ticket]) -> Iterator[tuple[Any, str]]:
    """One table for the whole module: the tests only read it."""
    with shared_table(moto_endpoint) as (client, table_name):
        put_all(client, table_name, tickets)
        yield client, table_name


@pytest.fixture
def queue_store(queue_table: tuple[Any, str]) -> DynamoStore:
    """A fresh store on the shared table, so that its read counter starts at zero."""
    return DynamoStore(*queue_table)


def test_the_data_covers_every_filter_value(tickets: list[Ticket]) -> None:
    for name, values in VALUES.items():
        for value in values:
            found = [
                t for t in tickets if matches(t, QueueFilter(**{"status": t.status, name: value}))
            ]
            assert found, f"no ticket for {name}={value}"


def test_the_unfiltered_queue_holds_every_open_ticket_once_in_sla_order(
    queue_store: DynamoStore, tickets: list[Ticket]
) -> None:
    numbers = read_every_page(queue_store, QueueFilter())
    assert numbers == expected(tickets, QueueFilter())
    assert len(numbers) == sum(t.status.is_open for t in tickets)


@pytest.mark.parametrize(
    ("name", "value"), [(name, value) for name, values in VALUES.items() for value in values]
)
def test_one_filter_pages_through_every_match_once_reading_only_the_page(
    queue_store: DynamoStore, tickets: list[Ticket], name: str, value: Any
) -> None:
    filters = QueueFilter(**{name: value})
    want = expected(tickets, filters)
    got: list[int] = []
    cursor = None
    while True:
        before = queue_store.reads.items
        page = queue_store.queue(ADMIN, filters, limit=PAGE, cursor=cursor)
        # A single filter has an index of its own: a page reads what it shows, no more.
        assert queue_store.reads.items - before <= PAGE
        got += [t.number for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert got == want


def value_pairs(first: str, second: str) -> list[tuple[Any, Any]]:
    """Pairs in which every value of either filter takes part at least once."""
    a, b = VALUES[first], VALUES[second]
    size = max(len(a), len(b))
    return [(a[i % len(a)], b[i % len(b)]) for i in range(size)]


@pytest.mark.parametrize(("first", "second"), list(itertools.combinations(VALUES, 2)))
def test_two_filters_page_through_every_match_once_in_order(
    queue_store: DynamoStore, tickets: list[Ticket], first: str, second: str
) -> None:
    for a, b in value_pairs(first, second):
        filters = QueueFilter(**{first: a, second: b})
        assert read_every_page(queue_store, filters) == expected(tickets, filters), filters


def test_a_big_page_equals_the_small_pages_joined(
    queue_store: DynamoStore, tickets: list[Ticket]
) -> None:
    filters = QueueFilter(team_id="unassigned")
    assert read_every_page(queue_store, filters, limit=100) == read_every_page(
        queue_store, filters, limit=3
    )


@pytest.mark.parametrize(
    "other",
    [
        QueueFilter(client_id="cl_b"),
        QueueFilter(status=TicketStatus.OPEN),
        QueueFilter(client_id="cl_a", priority="P1"),
        QueueFilter(),
    ],
)
def test_a_cursor_from_one_filter_is_refused_by_another(
    queue_store: DynamoStore, other: QueueFilter
) -> None:
    first = queue_store.queue(ADMIN, QueueFilter(client_id="cl_a"), limit=2)
    assert first.next_cursor is not None
    with pytest.raises(InvalidInput) as refused:
        queue_store.queue(ADMIN, other, limit=2, cursor=first.next_cursor)
    assert refused.value.field == "cursor"


def test_an_end_user_has_no_queue(queue_store: DynamoStore) -> None:
    end_user = Scope(role=Role.END_USER, principal_id="eu_1", client_id="cl_a")
    with pytest.raises(OutOfScope):
        queue_store.queue(end_user, QueueFilter(client_id="cl_a"))


def test_a_sparse_filter_pages_completely_past_the_first_read_round(
    store: DynamoStore, dynamodb: Any
) -> None:
    """A filter expression that matches little early in its index and more late must not
    drop the matches left in the last response when the page fills up."""
    due_order = [
        Ticket(
            number=number,
            client_id="cl_a",
            subject=f"Ticket {number}",
            status=TicketStatus.OPEN,
            # P1 near the head and again at the tail of the client's queue.
            priority=Priority.P1 if number in (3, 50, 104, 106, 107, 108) else Priority.P3,
            created_at=NOW - timedelta(minutes=200 - number),
        )
        for number in range(1, 111)
    ]
    put_all(dynamodb, store.table_name, due_order)
    filters = QueueFilter(client_id="cl_a", priority="P1")
    assert read_every_page(store, filters, limit=5) == [3, 50, 104, 106, 107, 108]
    assert read_every_page(store, filters, limit=2) == [3, 50, 104, 106, 107, 108]
