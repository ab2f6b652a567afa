"""Problems from the ticket itself, in a real browser: raise one from a ticket, link another
ticket to it by number, and find it in the list of Problems with both linked."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_an_agent_raises_a_problem_from_a_ticket_and_links_another_to_it(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    agent_api: httpx.Client,
    agents: list[dict[str, Any]],
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    tag = uuid.uuid4().hex[:6]
    first_client, second_client = (p["client_id"] for p in end_users_of_two_clients)
    first, second = (
        agent_api.post(
            "/api/tickets",
            json={"client_id": client_id, "subject": f"Teams calls drop {tag}", "body": "b"},
        ).json()["number"]
        for client_id in (first_client, second_client)
    )

    page = open_page(f"/tickets/{first}")
    sign_in(page, agents[0]["name"])
    panel = page.get_by_role("region", name="Problem")
    panel.get_by_text("Problem", exact=True).click()
    panel.get_by_role("button", name="Raise a Problem from this ticket").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Problem: Teams calls drop {tag}")
    problem = int(page.get_by_role("heading", level=1).inner_text().split()[0].lstrip("#"))
    expect(page.get_by_role("list", name=f"Tickets linked to Problem #{problem}")).to_contain_text(
        f"#{first}"
    )

    page.goto(f"/tickets/{second}")
    panel = page.get_by_role("region", name="Problem")
    panel.get_by_text("Problem", exact=True).click()
    link = panel.get_by_role("form", name="Link to a Problem")
    link.get_by_label("Problem number").fill(f"#{problem}")
    link.get_by_role("button", name="Link").click()
    expect(panel).to_contain_text(f"Linked to Problem #{problem}")
    shoot(page, "linked")

    page.goto("/incidents")
    listed = (
        page.get_by_role("region", name="Problems")
        .get_by_role("listitem")
        .filter(has_text=f"#{problem} ")
    )
    expect(listed).to_contain_text("2 linked")
    shoot(page, "problems")

    # Resolved, the Problem leaves the open list (its tickets are resolved with it) and is
    # found among the resolved ones.
    version = agent_api.get(f"/api/tickets/{problem}").json()["version"]
    resolved = agent_api.patch(
        f"/api/tickets/{problem}", json={"status": "resolved"}, headers={"If-Match": str(version)}
    )
    assert resolved.status_code == 200, resolved.text
    page.reload()
    problems = page.get_by_role("region", name="Problems")
    loaded = problems.get_by_role("list", name="Open Problems").or_(
        problems.get_by_text("No open Problems.")
    )
    expect(loaded).to_be_visible()
    expect(problems).not_to_contain_text(f"#{problem} ")
    problems.get_by_label("Resolved Problems instead of open ones").check()
    expect(
        problems.get_by_role("list", name="Resolved Problems")
        .get_by_role("listitem")
        .filter(has_text=f"#{problem} ")
    ).to_contain_text("Resolved")
    shoot(page, "resolved-problems")
