"""The branded portal in a real browser: an end-user raises a ticket and sees only their own
company's tickets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import sign_in
from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e


def test_an_end_user_raises_a_ticket_and_cannot_open_another_clients_ticket_by_url(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    stack: RunningStack,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    ours, theirs = end_users_of_two_clients
    with stack.client(theirs["email"]) as other:
        foreign = other.post(
            "/portal/api/tickets",
            json={"subject": f"Their secret {uuid.uuid4().hex[:6]}", "body": "Not for you."},
        ).json()

    page = open_page("/portal/")
    sign_in(page, ours["name"])
    page.get_by_role("link", name="Raise a ticket").click()
    subject = f"The scanner will not scan {uuid.uuid4().hex[:6]}"
    form = page.get_by_role("form", name="New ticket")
    form.get_by_label("Subject").fill(subject)
    form.get_by_label("What is happening?").fill("It shows a paper jam but there is no paper.")
    form.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(subject)
    shoot(page, "raised")

    page.get_by_role("link", name="Your tickets").click()
    tickets = page.get_by_role("table", name="Tickets")
    expect(tickets.get_by_role("link", name=subject)).to_be_visible()
    expect(tickets).not_to_contain_text(foreign["subject"])

    page.goto(f"/portal/tickets/{foreign['number']}")
    expect(page.get_by_role("heading", name="Ticket not found")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(foreign["subject"])
    shoot(page, "foreign-not-found")


def test_the_portal_wears_the_clients_branding_after_sign_in(
    open_page: Callable[..., Page],
    stack: RunningStack,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    person = end_users_of_two_clients[0]
    with stack.client(person["email"]) as api:
        me = api.get("/portal/api/me").json()
    page = open_page("/portal/")
    sign_in(page, person["name"])
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text(me["branding"]["display_name"] or me["client_name"])
    colour = me["branding"]["primary_colour"].lower()
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    expect(banner).to_have_css("background-color", f"rgb({red}, {green}, {blue})")
    expect(page).to_have_title(me["branding"]["display_name"] or me["client_name"])


def test_the_sign_in_picker_on_a_clients_portal_path_lists_only_its_people(
    open_page: Callable[..., Page],
    accounts: list[dict[str, Any]],
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    ours, theirs = end_users_of_two_clients
    page = open_page(f"/portal/{ours['client_id']}/")
    picker = page.get_by_role("list", name="Demo accounts")
    expect(picker.get_by_role("button", name=ours["name"])).to_be_visible()
    expect(picker.get_by_role("button", name=theirs["name"])).to_have_count(0)
    staff = next(a for a in accounts if a["role"] != "end-user")
    expect(picker.get_by_role("button", name=staff["name"])).to_have_count(0)


def test_an_end_user_marks_their_ticket_resolved_and_the_desk_sees_it(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    stack: RunningStack,
    agent_api: httpx.Client,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    person = end_users_of_two_clients[0]
    with stack.client(person["email"]) as portal:
        number = portal.post(
            "/portal/api/tickets",
            json={"subject": f"Printer offline {uuid.uuid4().hex[:6]}", "body": "Since 9."},
        ).json()["number"]

    page = open_page(f"/portal/tickets/{number}")
    sign_in(page, person["name"])
    page.get_by_role("button", name="Mark as resolved").click()
    expect(page.get_by_text("Resolved · raised")).to_be_visible()
    expect(page.get_by_role("button", name="Mark as resolved")).to_have_count(0)
    shoot(page, "marked-resolved")
    assert agent_api.get(f"/api/tickets/{number}").json()["status"] == "resolved"
