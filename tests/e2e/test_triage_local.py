"""AI triage on the local stack, over real HTTP: the seeded history is indexed at start, and a
new ticket is triaged before an agent opens it."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

# Triage runs on the event's delivery thread; this bounds how long the test waits for it.
WAIT_SECONDS = 15


def _first(agent: httpx.Client, path: str, name: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = agent.get(path, params={"limit": 100}).json()["items"]
    return next(i for i in items if i["name"] == name)


def _triaged(agent: httpx.Client, number: int) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        detail: dict[str, Any] = agent.get(f"/api/tickets/{number}").json()
        if detail.get("triage"):
            return detail
        time.sleep(0.05)  # polling for the asynchronous consumer, not timing it
    raise AssertionError(f"ticket {number} was not triaged")


def test_a_new_ticket_is_triaged_from_the_seeded_history(
    stack: RunningStack, admin_email: str
) -> None:
    with stack.client(admin_email) as agent:
        client = _first(agent, "/api/admin/clients", "Harbour Law LLP")
        email = _first(agent, "/api/admin/categories", "Email")
        created = agent.post(
            "/api/tickets",
            json={
                "client_id": client["id"],
                "subject": "Outlook keeps asking for my password",
                "body": "Since this morning Outlook asks me to sign in again every few minutes.",
            },
        )
        assert created.status_code == 201, created.text
        detail = _triaged(agent, created.json()["number"])
    triage = detail["triage"]
    assert triage["method"] == "vector"
    assert len(triage["neighbours"]) == 5
    assert all(0 < n["similarity"] <= 1 for n in triage["neighbours"])
    assert triage["suggested"]["category_id"] == email["id"]
    assert triage["estimated_minutes"] > 0
    if triage["outcome"] == "applied":
        assert detail["category_id"] == email["id"]
        assert detail["agent_id"] == triage["applied"].get("agent_id", detail["agent_id"])


def test_a_routing_rule_settles_what_it_sets(stack: RunningStack, admin_email: str) -> None:
    with stack.client(admin_email) as agent:
        client = _first(agent, "/api/admin/clients", "Harbour Law LLP")
        infrastructure = _first(agent, "/api/admin/teams", "Infrastructure")
        created = agent.post(
            "/api/tickets",
            json={
                "client_id": client["id"],
                "subject": "Server down at the office",
                "body": "Nobody can open the case files share this morning.",
            },
        )
        detail = _triaged(agent, created.json()["number"])
    assert detail["priority"] == "P1"
    assert detail["team_id"] == infrastructure["id"]
    assert set(detail["triage"]["rules"]) >= {"priority", "team_id"}


def test_triage_stats_report_accuracy_per_method(stack: RunningStack, admin_email: str) -> None:
    with stack.client(admin_email) as agent:
        stats = agent.get("/api/triage/stats")
        assert stats.status_code == 200, stats.text
        bad = agent.get("/api/triage/stats", params={"from": "2026-11-01T00:00:00"})
    assert bad.status_code == 422
    assert "from" in bad.text
    body = stats.json()
    assert set(body) >= {"overall", "methods", "clients"}
