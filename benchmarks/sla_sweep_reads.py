"""sla_sweep_reads: DynamoDB items read by one SLA sweep with 100,000 open tickets of which 50
have an SLA instant that has passed, against those 50: the sweep reads AP7 (the sparse
`sla_due` index in instant order), so its reads follow the due tickets, not the open ones."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from benchmarks.local import moto_settings
from benchmarks.report import Figure
from mspdesk.adapters.events import RecordingPublisher
from mspdesk.domain.enums import Priority, SlaState, TicketStatus
from mspdesk.domain.models import (
    Calendar,
    Contract,
    SlaClock,
    SlaPlan,
    SlaTarget,
    StatusChange,
    Ticket,
    TicketSla,
)
from mspdesk.runtime import aws_client
from mspdesk.services.deps import Deps
from mspdesk.services.sla import SlaMonitor
from mspdesk.store import entities as kinds
from mspdesk.store.dynamo import DynamoStore, ReadCounter

TICKETS = 100_000
QUICK_TICKETS = 10_000
DUE = 50
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PLAN_ID, CALENDAR_ID, CONTRACT_ID = "sla_bench", "cal_bench", "con_bench"
# Calendar hours keep the generated instants and the sweep's recomputation in agreement.
RESPONSE, RESOLUTION = 8 * 60, 30 * 24 * 60


def run(quick: bool) -> list[Figure]:
    count = QUICK_TICKETS if quick else TICKETS
    with moto_settings("mspdesk-bench-sla-sweep") as settings:
        store = DynamoStore(aws_client("dynamodb", settings), settings.table_name)
        _terms(store)
        store.import_tickets([(t, ()) for t in open_tickets(count)])
        monitor = SlaMonitor(Deps(store, RecordingPublisher(), lambda: NOW))
        store.reads = ReadCounter()
        result = monitor.sweep()
        read = store.reads.items
        if (result.examined, result.announced) != (DUE, DUE):
            raise RuntimeError(
                f"the sweep examined {result.examined} and announced {result.announced} "
                f"tickets; {DUE} were due"
            )
    return [Figure("sla_sweep_reads", read, "items", DUE, "ratio <= 2")]


def open_tickets(count: int, seed: int = 5) -> Iterator[Ticket]:
    """Open P3 tickets answered in time, their resolution clocks running; the last DUE of
    them passed their resolution warning a few minutes ago, the others warn later."""
    rng = random.Random(seed)
    warning = RESOLUTION * 75 // 100
    for number in range(1, count + 1):
        if number > count - DUE:
            created = NOW - timedelta(minutes=warning + rng.randint(1, 60))
        else:
            created = NOW - timedelta(minutes=rng.randint(60, warning - 60))
        response_due = created + timedelta(minutes=RESPONSE)
        yield Ticket(
            number=number,
            client_id=f"cl_bench{rng.randrange(40):03d}",
            subject=f"Benchmark ticket {number}",
            status=TicketStatus.OPEN,
            priority=Priority.P3,
            contract_id=CONTRACT_ID,
            first_response_at=created + timedelta(minutes=20),
            status_history=[StatusChange(status=TicketStatus.OPEN, at=created)],
            sla=TicketSla(
                plan_id=PLAN_ID,
                response=SlaClock(
                    state=SlaState.MET,
                    due_at=response_due,
                    warn_at=created + timedelta(minutes=RESPONSE * 75 // 100),
                    stopped_at=created + timedelta(minutes=20),
                ),
                resolution=SlaClock(
                    state=SlaState.RUNNING,
                    due_at=created + timedelta(minutes=RESOLUTION),
                    warn_at=created + timedelta(minutes=warning),
                ),
            ),
            created_at=created,
            updated_at=created,
        )


def _terms(store: DynamoStore) -> None:
    """The contract, plan and calendar every benchmark ticket is under."""
    target = SlaTarget(
        response_minutes=RESPONSE, resolution_minutes=RESOLUTION, business_hours=False
    )
    store.save_entity(
        kinds.SLA_PLANS,
        SlaPlan(id=PLAN_ID, name="Bench", targets={p: target for p in Priority}),
    )
    store.save_entity(kinds.CALENDARS, Calendar(id=CALENDAR_ID, name="Bench"))
    store.save_entity(
        kinds.CONTRACTS,
        Contract(
            id=CONTRACT_ID,
            client_id="cl_bench000",
            name="Bench",
            starts_on=date(2026, 1, 1),
            sla_plan_id=PLAN_ID,
            calendar_id=CALENDAR_ID,
        ),
    )
