"""api_get_ticket: GET /api/tickets/{number} through the local stack (uvicorn, the FastAPI app,
moto's server), p50 and p99, against a bare boto3 GetItem of the same ticket item through the
same moto server. The ticket has a full context panel: client, contract, SLA plan and calendar,
end-user, assets, recent tickets and a thread of actions."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from benchmarks.local import moto_settings, serve
from benchmarks.report import Figure, percentile
from mspdesk.adapters.events import RecordingPublisher
from mspdesk.domain.enums import ActionKind, Priority, Role, Visibility
from mspdesk.domain.models import utcnow
from mspdesk.domain.scope import Scope
from mspdesk.runtime import aws_client, build_deps
from mspdesk.services.admin import BY_PATH, AdminService
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import ActionInput, TicketInput, TicketService
from mspdesk.store.table import PK, SK

REQUESTS = 1000
QUICK_REQUESTS = 100
WARMUP = 50
ASSETS = 3
RECENT_TICKETS = 5
ACTIONS = 8
AGENT_EMAIL = "sam.agent@msp.example"


@dataclass(frozen=True)
class Scenario:
    number: int
    actions: int


def run(quick: bool) -> list[Figure]:
    requests = QUICK_REQUESTS if quick else REQUESTS
    with moto_settings("mspdesk-bench-api") as settings:
        deps = build_deps(settings, RecordingPublisher())
        scenario = _seed(deps)
        from functions.api.app import create_app

        app = create_app(settings, deps)
        dynamodb = aws_client("dynamodb", settings)
        key = {PK: {"S": f"TICKET#{scenario.number}"}, SK: {"S": "TICKET"}}
        with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
            token = http.post("/api/dev/token", json={"email": AGENT_EMAIL})
            token.raise_for_status()
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

            def get_ticket() -> None:
                response = http.get(f"/api/tickets/{scenario.number}", headers=headers)
                response.raise_for_status()
                _check_detail(response.json(), scenario)

            def get_item() -> None:
                found = dynamodb.get_item(TableName=settings.table_name, Key=key)
                if found.get("Item", {}).get(PK) != key[PK]:
                    raise RuntimeError("GetItem did not return the ticket")

            api_ms, get_item_ms = _interleaved(get_ticket, get_item, requests)
    return [
        Figure(
            "api_get_ticket",
            percentile(api_ms, 50),
            "ms",
            percentile(get_item_ms, 50),
            "ratio <= 3",
        ),
        Figure(
            "api_get_ticket_p99",
            percentile(api_ms, 99),
            "ms",
            percentile(get_item_ms, 99),
            "ratio <= 3",
        ),
    ]


def _interleaved(
    first: Callable[[], None], second: Callable[[], None], count: int
) -> tuple[list[float], list[float]]:
    """Milliseconds of each call, alternating so that both see the same machine noise; both
    are warmed up first (connection pools, the token cache, lazy imports)."""
    for _ in range(WARMUP):
        first()
        second()
    a: list[float] = []
    b: list[float] = []
    for _ in range(count):
        for call, out in ((first, a), (second, b)):
            started = time.perf_counter()
            call()
            out.append((time.perf_counter() - started) * 1000)
    return a, b


def _check_detail(body: dict[str, Any], scenario: Scenario) -> None:
    """The figure counts only complete answers: the ticket with its thread and full panel."""
    context = body.get("context") or {}
    if (
        body.get("number") != scenario.number
        or len(body.get("actions", [])) != scenario.actions
        or context.get("contract") is None
        or context.get("sla_plan") is None
        or context.get("end_user") is None
        or len(context.get("assets", [])) != ASSETS
        or len(context.get("recent_tickets", [])) != RECENT_TICKETS
    ):
        raise RuntimeError(f"incomplete ticket detail: {sorted(body)}")


def _seed(deps: Deps) -> Scenario:
    """A client with its contract terms, an end-user with assets and recent tickets, and the
    ticket under test with a thread of actions, all made through the services."""
    admin = AdminService(deps)
    system = Scope.system()

    def create(path: str, body: dict[str, Any]) -> str:
        return admin.create(system, BY_PATH[path], body).id

    calendar_id = create("calendars", {"name": "UK office hours", "time_zone": "Europe/London"})
    minutes = {"P1": (60, 240), "P2": (120, 480), "P3": (240, 1440), "P4": (480, 2880)}
    plan_id = create(
        "sla-plans",
        {
            "name": "Managed",
            "targets": {
                p: {"response_minutes": r, "resolution_minutes": s} for p, (r, s) in minutes.items()
            },
        },
    )
    client_id = create(
        "clients",
        {
            "name": "Acme Engineering Ltd",
            "email_domains": ["acme.example"],
            "popup_notes": ["Call the office manager before any reboot."],
        },
    )
    create(
        "contracts",
        {
            "client_id": client_id,
            "name": "Managed support",
            "starts_on": (utcnow().date() - timedelta(days=90)).isoformat(),
            "sla_plan_id": plan_id,
            "calendar_id": calendar_id,
            "allowance_hours": "10",
        },
    )
    end_user_id = create(
        "end-users",
        {
            "client_id": client_id,
            "name": "Jo Bloggs",
            "emails": ["jo.bloggs@acme.example"],
            "phones": ["+441623123456"],
            "job_title": "Office manager",
        },
    )
    for i in range(ASSETS):
        create(
            "assets",
            {
                "client_id": client_id,
                "end_user_id": end_user_id,
                "name": f"ACME-WS{i:02d}",
                "serial_number": f"SN{i:06d}",
                "remote_access": [{"kind": "splashtop", "target": f"device-{i}"}],
            },
        )
    create("agents", {"name": "Sam Agent", "email": AGENT_EMAIL, "role": Role.AGENT.value})

    agent = deps.store.principal_by_email(AGENT_EMAIL)
    assert agent is not None
    scope = Scope(role=Role.AGENT, principal_id=agent.id, name="Sam Agent")
    tickets = TicketService(deps)
    for i in range(RECENT_TICKETS):
        tickets.create(
            scope,
            TicketInput(
                client_id=client_id,
                end_user_id=end_user_id,
                subject=f"Earlier problem {i}",
                body="The printer on the first floor shows an error again.",
            ),
        )
    ticket = tickets.create(
        scope,
        TicketInput(
            client_id=client_id,
            end_user_id=end_user_id,
            subject="Outlook keeps asking for a password",
            body="Since this morning Outlook asks for my password every few minutes.\n" * 5,
            priority=Priority.P2,
        ),
    )
    for i in range(ACTIONS - 1):
        tickets.add_action(
            scope,
            ticket.number,
            ActionInput(
                body=f"Update {i}: checked the account and the credential manager.\n" * 3,
                visibility=Visibility.PUBLIC if i % 2 == 0 else Visibility.PRIVATE,
                kind=ActionKind.NOTE,
            ),
        )
    return Scenario(number=ticket.number, actions=ACTIONS)
