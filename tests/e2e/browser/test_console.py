"""The agent console in a real browser: the queue, a ticket with its context, replies,
collisions between two agents, and stale changes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import every, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def vip(agent_api: httpx.Client) -> dict[str, Any]:
    """A VIP end-user with pop-up notes and an asset that has a remote-access link."""
    for client in every(agent_api, "/api/admin/clients"):
        assets = every(agent_api, "/api/admin/assets", client_id=client["id"])
        linked = {a["end_user_id"] for a in assets if a["remote_access"] and a["end_user_id"]}
        for person in every(agent_api, "/api/admin/end-users", client_id=client["id"]):
            if person["vip"] and person["popup_notes"] and person["id"] in linked:
                return person
    raise AssertionError("the demo data has no VIP with pop-up notes and a linked asset")


def raise_ticket(api: httpx.Client, person: dict[str, Any], subject: str) -> dict[str, Any]:
    response = api.post(
        "/api/tickets",
        json={
            "client_id": person["client_id"],
            "end_user_id": person["id"],
            "subject": subject,
            "body": "Raised by the browser tests.",
        },
    )
    response.raise_for_status()
    ticket: dict[str, Any] = response.json()
    return ticket


def open_ticket(open_page: Callable[..., Page], agent: dict[str, Any], number: int) -> Page:
    page = open_page(f"/tickets/{number}")
    sign_in(page, agent["name"])
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"#{number}")
    return page


def test_agent_filters_by_client_opens_a_vip_ticket_replies_and_the_portal_shows_it(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    agent_api: httpx.Client,
    agents: list[dict[str, Any]],
    vip: dict[str, Any],
) -> None:
    client = agent_api.get(f"/api/admin/clients/{vip['client_id']}").json()
    subject = f"Outlook keeps asking for a password {uuid.uuid4().hex[:6]}"
    ticket = raise_ticket(agent_api, vip, subject)
    detail = agent_api.get(f"/api/tickets/{ticket['number']}").json()

    page = open_page("/")
    sign_in(page, agents[0]["name"])
    page.get_by_label("Client").select_option(label=client["name"])
    rows = page.get_by_role("grid", name="Tickets").locator("tbody tr")
    expect(rows.filter(has_text=subject)).to_have_count(1)
    expect(rows.filter(has_not_text=client["name"])).to_have_count(0)
    assert f"client_id={client['id']}" in page.url
    shoot(page, "queue-by-client")

    page.get_by_role("link", name=subject).click()
    notes = page.get_by_role("alert", name="Notes for this ticket")
    expect(notes).to_contain_text("VIP")
    for note in vip["popup_notes"]:
        expect(notes).to_contain_text(note)
    panel = page.get_by_role("complementary", name="Client context")
    expect(panel).to_contain_text(client["name"])
    expect(panel).to_contain_text(detail["context"]["contract"]["name"])
    expect(panel).to_contain_text(detail["context"]["sla_plan"]["name"])
    asset = next(a for a in detail["context"]["assets"] if a["remote_access"])
    access = asset["remote_access"][0]
    launch = panel.get_by_role(
        "link", name=f"Connect to {asset['name']} with {access['label'] or access['kind']}"
    )
    expect(launch.first).to_have_attribute("href", access["launch_url"])
    shoot(page, "ticket-context")

    reply = f"I have reset your Outlook profile; try now. ({uuid.uuid4().hex[:6]})"
    form = page.get_by_role("form", name="Reply")
    form.get_by_label("Message").fill(reply)
    form.get_by_role("button", name="Send reply").click()
    conversation = page.get_by_role("list", name="Conversation")
    expect(conversation.get_by_role("article").filter(has_text=reply)).to_contain_text(
        "Public reply"
    )
    shoot(page, "replied")

    portal = open_page("/portal/")
    sign_in(portal, vip["name"])
    brand = client["branding"]["display_name"] or client["name"]
    expect(portal.get_by_role("banner")).to_contain_text(brand)
    portal.get_by_role("link", name=subject).click()
    message = portal.get_by_role("list", name="Conversation").get_by_role("article")
    expect(message.filter(has_text=reply)).to_contain_text("support")
    shoot(portal, "portal-sees-reply")


def test_a_second_agent_sees_the_first_agents_presence_within_two_seconds(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    agent_api: httpx.Client,
    agents: list[dict[str, Any]],
    vip: dict[str, Any],
) -> None:
    number = raise_ticket(agent_api, vip, f"Presence {uuid.uuid4().hex[:6]}")["number"]
    first, second = agents
    first_short = re.sub(r"^(\S+).*?(\S)\S*$", r"\1 \2.", first["name"])
    second_short = re.sub(r"^(\S+).*?(\S)\S*$", r"\1 \2.", second["name"])

    one = open_ticket(open_page, first, number)
    two = open_ticket(open_page, second, number)
    banner = two.get_by_role("status", name="Who else is here")
    expect(banner).to_contain_text(f"{first_short} is viewing", timeout=2000)
    expect(one.get_by_role("status", name="Who else is here")).to_contain_text(
        f"{second_short} is viewing", timeout=2000
    )

    one.get_by_role("form", name="Reply").get_by_label("Message").fill("Looking at it now")
    expect(banner).to_contain_text(f"{first_short} is replying", timeout=2000)
    shoot(two, "sees-replying")


def test_a_stale_change_says_changed_by_someone_else_and_is_reapplied_on_request(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    agent_api: httpx.Client,
    agents: list[dict[str, Any]],
    vip: dict[str, Any],
) -> None:
    number = raise_ticket(agent_api, vip, f"Conflict {uuid.uuid4().hex[:6]}")["number"]
    one = open_ticket(open_page, agents[0], number)
    two = open_ticket(open_page, agents[1], number)
    fields_one = one.get_by_role("form", name="Ticket fields")
    fields_two = two.get_by_role("form", name="Ticket fields")

    fields_two.get_by_label("Status").select_option(label="Waiting on customer")
    fields_one.get_by_label("Priority").select_option("P1")
    with one.expect_response(lambda r: r.request.method == "PATCH") as saved_first:
        fields_one.get_by_role("button", name="Save changes").click()
    assert saved_first.value.ok

    fields_two.get_by_role("button", name="Save changes").click()
    conflict = fields_two.get_by_role("alert")
    expect(conflict).to_contain_text("Changed by someone else")
    expect(conflict).to_contain_text("Priority is now P1")
    expect(fields_two.get_by_label("Priority")).to_have_value("P1")
    expect(fields_two.get_by_label("Status")).to_have_value("waiting_on_customer")
    assert agent_api.get(f"/api/tickets/{number}").json()["status"] != "waiting_on_customer"
    shoot(two, "conflict")

    conflict.get_by_role("button", name="Re-apply my changes").click()
    expect(conflict).to_have_count(0)
    saved = agent_api.get(f"/api/tickets/{number}").json()
    assert (saved["status"], saved["priority"]) == ("waiting_on_customer", "P1")


def test_a_change_saved_after_a_note_came_in_goes_through_without_a_conflict(
    open_page: Callable[..., Page],
    agent_api: httpx.Client,
    agents: list[dict[str, Any]],
    vip: dict[str, Any],
) -> None:
    """A note moves the version on but touches no field: nothing of anyone's is at stake."""
    number = raise_ticket(agent_api, vip, f"Busy {uuid.uuid4().hex[:6]}")["number"]
    page = open_ticket(open_page, agents[0], number)
    fields = page.get_by_role("form", name="Ticket fields")
    fields.get_by_label("Priority").select_option("P1")
    noted = agent_api.post(
        f"/api/tickets/{number}/actions", json={"body": "Called the user", "visibility": "private"}
    )
    assert noted.status_code == 201, noted.text

    with page.expect_response(
        lambda r: r.request.method == "PATCH" and r.status == 200
    ) as saved_response:
        fields.get_by_role("button", name="Save changes").click()
    assert saved_response.value.ok
    expect(fields.get_by_role("button", name="Save changes")).to_be_disabled()
    expect(fields.get_by_role("alert")).to_have_count(0)
    assert agent_api.get(f"/api/tickets/{number}").json()["priority"] == "P1"


def test_the_queue_moves_by_keyboard_counts_sla_down_and_shows_new_tickets_without_reload(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    agent_api: httpx.Client,
    agents: list[dict[str, Any]],
    vip: dict[str, Any],
) -> None:
    page = open_page(f"/?client_id={vip['client_id']}")
    sign_in(page, agents[0]["name"])
    rows = page.get_by_role("grid", name="Tickets").locator("tbody tr")
    expect(rows.first).to_be_visible()

    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("k")
    page.keyboard.press("ArrowDown")
    second = rows.nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    selected_number = second.locator("td").first.inner_text()

    badge = rows.locator(".sla").filter(has_text=re.compile(r"\d+s (left|over)")).first
    before = badge.inner_text()
    expect(badge).not_to_have_text(before, timeout=2500)

    subject = f"Printer on fire {uuid.uuid4().hex[:6]}"
    raise_ticket(agent_api, vip, subject)
    expect(rows.filter(has_text=subject)).to_have_count(1, timeout=10_000)
    expect(page.locator('tbody tr[aria-selected="true"] td').first).to_have_text(selected_number)
    shoot(page, "new-ticket-polled")

    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Filter")).to_be_focused()
    page.keyboard.type(subject)
    expect(rows).to_have_count(1)
    page.get_by_role("searchbox", name="Filter").blur()
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(subject)


def test_a_saved_view_restores_its_filters_after_a_reload(
    open_page: Callable[..., Page], agents: list[dict[str, Any]]
) -> None:
    page = open_page("/")
    sign_in(page, agents[0]["name"])
    page.get_by_label("Priority").select_option("P1")
    page.get_by_label("View name").fill("Fires")
    page.get_by_role("button", name="Save view").click()
    page.get_by_role("button", name="Clear filters").click()
    expect(page.get_by_label("Priority")).to_have_value("")

    page.reload()
    views = page.get_by_role("region", name="Saved views")
    views.get_by_role("button", name="Fires", exact=True).click()
    expect(page.get_by_label("Priority")).to_have_value("P1")
    rows = page.get_by_role("grid", name="Tickets").locator("tbody tr")
    expect(rows.filter(has_not_text="P1")).to_have_count(0)


def test_an_unknown_ticket_shows_not_found(
    open_page: Callable[..., Page], agents: list[dict[str, Any]]
) -> None:
    page = open_page("/tickets/999999999")
    sign_in(page, agents[0]["name"])
    expect(page.get_by_role("heading", name="Ticket not found")).to_be_visible()
