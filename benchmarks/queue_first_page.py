"""queue_first_page: DynamoDB items read for the queue's first page with 10,000 open tickets,
against the page size; the whole queue and one client's queue."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.local import moto_settings
from benchmarks.report import Figure
from mspdesk.domain.enums import Priority, SlaState, TicketSource, TicketStatus
from mspdesk.domain.models import SlaClock, Ticket, TicketSla
from mspdesk.domain.scope import Scope
from mspdesk.runtime import aws_client
from mspdesk.store.dynamo import DynamoStore, QueueFilter, ReadCounter, ticket_item

TICKETS = 10_000
QUICK_TICKETS = 1_000
PAGE = 25
CLIENTS = 40
AGENTS = 12
TEAMS = 4
BATCH = 25  # BatchWriteItem's limit
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
OPEN = (
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.WAITING_ON_CUSTOMER,
    TicketStatus.WAITING_ON_SUPPLIER,
)


def run(quick: bool) -> list[Figure]:
    tickets = list(open_tickets(QUICK_TICKETS if quick else TICKETS))
    busiest = _client(0)
    with moto_settings("mspdesk-bench-queue") as settings:
        dynamodb = aws_client("dynamodb", settings)
        _write(dynamodb, settings.table_name, tickets)
        store = DynamoStore(dynamodb, settings.table_name)
        figures = []
        for name, filters, shown in (
            ("queue_first_page", QueueFilter(), tickets),
            (
                "queue_first_page_client",
                QueueFilter(client_id=busiest),
                [t for t in tickets if t.client_id == busiest],
            ),
        ):
            store.reads = ReadCounter()
            page = store.queue(Scope.system(), filters, limit=PAGE)
            read = store.reads.items
            _check_page([t.number for t in page.items], shown)
            figures.append(Figure(name, read, "items", PAGE, "ratio <= 2"))
    return figures


def open_tickets(count: int, seed: int = 7) -> Iterator[Ticket]:
    """A month of open tickets over many clients, most with running SLA clocks, some paused,
    breached or without a contract; the first client is the busiest."""
    rng = random.Random(seed)
    weights = [1 / (c + 1) for c in range(CLIENTS)]
    for number in range(1, count + 1):
        created = NOW - timedelta(minutes=rng.randint(5, 60 * 24 * 30))
        status = rng.choices(OPEN, weights=(3, 5, 2, 1))[0]
        assigned = rng.random() < 0.7
        yield Ticket(
            number=number,
            client_id=_client(rng.choices(range(CLIENTS), weights=weights)[0]),
            end_user_id=f"eu_bench{rng.randrange(2000):05d}",
            subject=f"Benchmark ticket {number}",
            status=status,
            priority=rng.choices(list(Priority), weights=(1, 3, 10, 4))[0],
            team_id=f"team_bench{rng.randrange(TEAMS)}" if assigned else None,
            agent_id=f"ag_bench{rng.randrange(AGENTS):02d}" if assigned else None,
            source=rng.choice(list(TicketSource)),
            contract_id=None if rng.random() < 0.1 else "con_bench",
            sla=_sla(rng, created, status),
            first_response_at=None
            if status is TicketStatus.NEW
            else created + timedelta(minutes=30),
            created_at=created,
            updated_at=created,
        )


def _client(index: int) -> str:
    return f"cl_bench{index:03d}"


def _sla(rng: random.Random, created: datetime, status: TicketStatus) -> TicketSla:
    if rng.random() < 0.1:
        return TicketSla()  # no contract, no clocks: sorted after every due ticket
    paused = status in (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.WAITING_ON_SUPPLIER)
    responded = status is not TicketStatus.NEW
    response_due = created + timedelta(hours=4)
    resolution_due = created + timedelta(minutes=rng.randint(60, 60 * 24 * 10))
    response = SlaClock(
        state=SlaState.MET if responded else _running_or_breached(response_due),
        due_at=response_due,
        stopped_at=created + timedelta(minutes=30) if responded else None,
    )
    resolution = SlaClock(
        state=SlaState.PAUSED if paused else _running_or_breached(resolution_due),
        due_at=resolution_due,
    )
    return TicketSla(plan_id="sla_bench", response=response, resolution=resolution)


def _running_or_breached(due: datetime) -> SlaState:
    return SlaState.BREACHED if due < NOW else SlaState.RUNNING


def _write(dynamodb: Any, table_name: str, tickets: Sequence[Ticket]) -> None:
    for start in range(0, len(tickets), BATCH):
        request: dict[str, Any] = {
            table_name: [
                {"PutRequest": {"Item": ticket_item(t)}} for t in tickets[start : start + BATCH]
            ]
        }
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems")


def _check_page(numbers: list[int], candidates: Sequence[Ticket]) -> None:
    """Items read count only for the right page: the first PAGE tickets in queue order."""
    order = sorted(candidates, key=lambda t: ticket_item(t)["q_sort"]["S"])
    expected = [t.number for t in order[:PAGE]]
    if numbers != expected:
        raise RuntimeError(f"wrong first page: {numbers[:5]}... expected {expected[:5]}...")
