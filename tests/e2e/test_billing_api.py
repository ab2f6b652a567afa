"""Timers, time entries, the billing preview and invoice drafts over real HTTP against the
local stack (the paths outside checks rely on included)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def setup(
    stack: RunningStack, admin_email: str, agent_emails: list[str], accounts: list[dict[str, Any]]
) -> dict[str, Any]:
    """A new client with a 1 h monthly contract, and a ticket of theirs."""
    with stack.client(admin_email) as admin:
        client = admin.post("/api/admin/clients", json={"name": "Billing Test Ltd"}).json()
        plan = admin.get("/api/admin/sla-plans").json()["items"][0]
        calendar = admin.post(
            "/api/admin/calendars",
            json={
                "name": "Every hour",
                "time_zone": "UTC",
                "week": {str(d): [{"start": "00:00", "end": "00:00"}] for d in range(1, 8)},
            },
        )
        assert calendar.status_code == 201, calendar.text
        contract = admin.post(
            "/api/admin/contracts",
            json={
                "client_id": client["id"],
                "name": "Managed hour",
                "starts_on": "2020-01-01",
                "sla_plan_id": plan["id"],
                "calendar_id": calendar.json()["id"],
                "allowance_hours": "1",
                "rates": {"remote": "100.00"},
                "rounding_minutes": 1,
                "minimum_charge_minutes": 0,
            },
        )
        assert contract.status_code == 201, contract.text
        ticket = admin.post(
            "/api/tickets", json={"client_id": client["id"], "subject": "Slow laptop", "body": "x"}
        ).json()
    agent = next(e for e in agent_emails if e != admin_email)
    return {"client": client, "ticket": ticket["number"], "agent": agent, "admin": admin_email}


def _period(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m")


def test_time_entries_preview_run_approve_and_export(
    stack: RunningStack, setup: dict[str, Any]
) -> None:
    number, client_id = setup["ticket"], setup["client"]["id"]
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    period = _period(started)
    with stack.client(setup["agent"]) as agent, stack.client(setup["admin"]) as admin:
        for minutes in (45, 30):
            made = agent.post(
                f"/api/tickets/{number}/time-entries",
                json={"started_at": started.isoformat(), "minutes": minutes, "note": "fixed"},
            )
            assert made.status_code == 201, made.text
            started += timedelta(minutes=minutes)
        preview = agent.get(f"/api/clients/{client_id}/billing/preview", params={"period": period})
        assert preview.status_code == 200, preview.text
        lines = preview.json()["billing_lines"]
        # 60 minutes covered (45, then 15 of the 30), the other 15 billable at £100/h.
        assert [(x["billing_class"], x["billed_minutes"]) for x in lines] == [
            ("covered", 45),
            ("covered", 15),
            ("billable", 15),
        ]
        assert lines[0]["reason"] == "covered: 0.25 h of 1 h monthly allowance left"
        assert preview.json()["totals"]["total"] == "25.00"

        run = agent.post(f"/api/invoices/{client_id}/{period}/run")
        assert run.status_code == 200, run.text
        listed = agent.get("/api/invoices", params={"period": period}).json()["items"]
        assert client_id in {d["client_id"] for d in listed}

        exported = agent.get(f"/api/invoices/{client_id}/{period}/export", params={"format": "csv"})
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert [(r["billing_class"], r["amount"]) for r in rows] == [("billable", "25.00")]
        as_json = agent.get(f"/api/invoices/{client_id}/{period}/export", params={"format": "json"})
        assert as_json.json()["total"] == "25.00"

        version = run.json()["version"]
        assert agent.post(f"/api/invoices/{client_id}/{period}/approve").status_code == 403
        approved = admin.post(
            f"/api/invoices/{client_id}/{period}/approve", headers={"If-Match": str(version)}
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved"

        entries = agent.get(f"/api/tickets/{number}/time-entries").json()
        locked = agent.patch(
            f"/api/tickets/{number}/time-entries/{entries[0]['id']}", json={"minutes": 10}
        )
        assert locked.status_code == 403
        late = agent.post(
            f"/api/tickets/{number}/time-entries",
            json={"started_at": entries[0]["started_at"], "minutes": 5},
        )
        assert late.status_code == 201
        assert late.json()["billing_period"] > period


def test_timer_seen_from_a_second_tab_stops_into_a_proposal_and_confirms(
    stack: RunningStack, setup: dict[str, Any]
) -> None:
    number = setup["ticket"]
    with stack.client(setup["agent"]) as tab_one, stack.client(setup["agent"]) as tab_two:
        tab_one.get(f"/api/tickets/{number}")  # a viewing team's timer starts here
        started = tab_one.post(f"/api/tickets/{number}/timer", json={"mode": "doing"})
        assert started.status_code == 201, started.text
        seen = tab_two.get(f"/api/tickets/{number}/timer").json()
        assert seen["id"] == started.json()["id"]
        assert tab_two.post(f"/api/tickets/{number}/timer/pause").json()["state"] == "paused"
        assert tab_one.get(f"/api/tickets/{number}/timer").json()["state"] == "paused"
        stopped = tab_one.post(f"/api/tickets/{number}/timer/stop").json()
        assert stopped["proposal"]["minutes"] >= 1
        entry = tab_two.post(
            f"/api/tickets/{number}/timer/confirm", json={"minutes": 12, "note": "checked"}
        )
        assert entry.status_code == 201, entry.text
        assert (entry.json()["minutes"], entry.json()["note"]) == (12, "checked")
        assert tab_one.get(f"/api/tickets/{number}/timer").status_code == 404


def test_end_users_get_404_on_billing_and_timer_routes(
    stack: RunningStack,
    setup: dict[str, Any],
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    person, _ = end_users_of_two_clients
    client_id, number = setup["client"]["id"], setup["ticket"]
    with stack.client(person["email"]) as end_user:
        for response in (
            end_user.get(f"/api/clients/{client_id}/billing/preview"),
            end_user.get("/api/invoices"),
            end_user.get("/api/timers"),
            end_user.post(f"/api/tickets/{number}/timer", json={"mode": "doing"}),
        ):
            assert response.status_code == 404, response.text


def test_invalid_period_is_refused(stack: RunningStack, setup: dict[str, Any]) -> None:
    with stack.client(setup["agent"]) as agent:
        response = agent.get("/api/invoices", params={"period": "2026-13"})
        assert response.status_code == 422
