"""A small desk built through the admin service, shared by the service and store tests.

Kept here rather than in a conftest so that a test says which pieces it builds.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from mspdesk.adapters.events import RecordingPublisher
from mspdesk.config import Settings
from mspdesk.domain.enums import Role
from mspdesk.domain.models import (
    Agent,
    Calendar,
    Category,
    Client,
    Contract,
    EndUser,
    SlaPlan,
    Team,
    Ticket,
)
from mspdesk.domain.scope import Scope
from mspdesk.runtime import aws_client
from mspdesk.services.admin import AdminService, lookup
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import TicketInput, TicketService
from mspdesk.store.dynamo import DynamoStore
from mspdesk.store.table import create_table

MONDAY_MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
_shared_tables = itertools.count()

ADMIN = Scope(role=Role.ADMIN, principal_id="ag_admin", name="Ada Admin")

# Calendar-hour targets keep the SLA arithmetic of service tests obvious; the business-hour
# maths has its own unit tests.
PLAN_BODY: dict[str, Any] = {
    "name": "Standard",
    "warning_percent": 75,
    "targets": {
        "P1": {"response_minutes": 30, "resolution_minutes": 240, "business_hours": False},
        "P2": {"response_minutes": 60, "resolution_minutes": 480, "business_hours": False},
        "P3": {"response_minutes": 120, "resolution_minutes": 960, "business_hours": False},
        "P4": {"response_minutes": 480, "resolution_minutes": 2880, "business_hours": False},
    },
}


def agent_scope(agent: Agent) -> Scope:
    return Scope(role=agent.role, principal_id=agent.id, name=agent.name)


def end_user_scope(end_user: EndUser) -> Scope:
    return Scope(
        role=Role.END_USER,
        principal_id=end_user.id,
        name=end_user.name,
        client_id=end_user.client_id,
    )


@dataclass
class Desk:
    deps: Deps
    admin: AdminService
    tickets: TicketService
    client_a: Client
    client_b: Client
    alice: EndUser  # at client A
    bob: EndUser  # at client B
    agent: Agent
    other_agent: Agent
    team: Team
    category: Category
    plan: SlaPlan
    calendar: Calendar
    contract_a: Contract

    @property
    def agent_scope(self) -> Scope:
        return agent_scope(self.agent)

    @property
    def alice_scope(self) -> Scope:
        return end_user_scope(self.alice)

    @property
    def bob_scope(self) -> Scope:
        return end_user_scope(self.bob)

    def ticket(self, scope: Scope | None = None, **fields: Any) -> Ticket:
        """A ticket raised by `scope` (the agent by default) at client A for Alice."""
        body: dict[str, Any] = {
            "client_id": self.client_a.id,
            "end_user_id": self.alice.id,
            "subject": "Printer on fire",
            "body": "Smoke is coming out of the second floor printer.",
        }
        body.update(fields)
        return self.tickets.create(scope or self.agent_scope, TicketInput(**body))


def make(admin: AdminService, path: str, body: dict[str, Any]) -> Any:
    return admin.create(ADMIN, lookup(path), body)


def build_desk(deps: Deps) -> Desk:
    """Two clients, an end-user at each, two agents in a team, an SLA contract at client A."""
    admin = AdminService(deps)

    def create(path: str, body: dict[str, Any]) -> Any:
        return make(admin, path, body)

    client_a = create("clients", {"name": "Acme Ltd", "email_domains": ["acme.example"]})
    client_b = create("clients", {"name": "Bravo plc", "email_domains": ["bravo.example"]})
    team = create("teams", {"name": "Service desk"})
    category = create("categories", {"name": "Hardware"})
    agent = create(
        "agents", {"name": "Sam Agent", "email": "sam@msp.example", "team_ids": [team.id]}
    )
    other = create(
        "agents", {"name": "Kim Agent", "email": "kim@msp.example", "team_ids": [team.id]}
    )
    alice = create(
        "end-users",
        {"client_id": client_a.id, "name": "Alice", "emails": ["alice@acme.example"]},
    )
    bob = create(
        "end-users",
        {"client_id": client_b.id, "name": "Bob", "emails": ["bob@bravo.example"]},
    )
    plan = create("sla-plans", PLAN_BODY)
    calendar = create("calendars", {"name": "Office hours"})
    contract = create(
        "contracts",
        {
            "client_id": client_a.id,
            "name": "Managed 2026",
            "starts_on": date(2026, 1, 1).isoformat(),
            "sla_plan_id": plan.id,
            "calendar_id": calendar.id,
        },
    )
    return Desk(
        deps=deps,
        admin=admin,
        tickets=TicketService(deps),
        client_a=client_a,
        client_b=client_b,
        alice=alice,
        bob=bob,
        agent=agent,
        other_agent=other,
        team=team,
        category=category,
        plan=plan,
        calendar=calendar,
        contract_a=contract,
    )


class NoScanClient:
    """A DynamoDB client that records the operations called and refuses any Scan."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.operations: list[str] = []

    def scan(self, **_: Any) -> Any:
        raise AssertionError("a Scan ran in a request path")

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.operations.append(name)
            return attribute(*args, **kwargs)

        return call


class FixedClock:
    """A clock that stays where it is put (the module-wide desks never move it)."""

    def __init__(self, now: datetime = MONDAY_MORNING) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def shared_table(moto_endpoint: str) -> Iterator[tuple[Any, str]]:
    """A table of its own for a module whose tests only read it or are refused: building
    one desk for many tests keeps the suite fast."""
    settings = Settings(
        table_name=f"mspdesk-shared-{os.getpid()}-{next(_shared_tables)}",
        aws_endpoint_url=moto_endpoint,
        region="eu-west-2",
    )
    client = aws_client("dynamodb", settings)
    create_table(client, settings.table_name)
    try:
        yield client, settings.table_name
    finally:
        client.delete_table(TableName=settings.table_name)


@contextmanager
def shared_deps(moto_endpoint: str, clock: FixedClock | None = None) -> Iterator[Deps]:
    with shared_table(moto_endpoint) as (client, table_name):
        yield Deps(DynamoStore(client, table_name), RecordingPublisher(), clock or FixedClock())
