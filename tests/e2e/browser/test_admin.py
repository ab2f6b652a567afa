"""The admin screens in a real browser: a routing rule made in the UI routes the next ticket,
and a client's branding changed in the UI is what its portal wears."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import every, sign_in
from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

TRIAGE_TIMEOUT_MS = 20_000  # the rule is applied by triage, on the event's delivery thread


@pytest.fixture(scope="session")
def admin(accounts: list[dict[str, Any]]) -> dict[str, Any]:
    return next(a for a in accounts if a["role"] == "admin")


@pytest.fixture(scope="session")
def admin_api(stack: RunningStack, admin: dict[str, Any]) -> Iterator[httpx.Client]:
    with stack.client(admin["email"]) as client:
        yield client


def test_a_routing_rule_made_in_the_ui_sets_the_priority_of_a_matching_ticket(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    admin: dict[str, Any],
    admin_api: httpx.Client,
) -> None:
    keyword = f"flux{uuid.uuid4().hex[:6]}"
    name = f"Flux capacitor faults are P1 ({keyword})"
    page = open_page("/admin/routing-rules")
    sign_in(page, admin["name"])
    page.get_by_role("link", name="New routing rule").click()
    form = page.get_by_role("form", name="New routing rule")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Order").fill("0")
    form.get_by_label("Keywords").fill(keyword)
    form.get_by_label("Set priority").select_option("P1")
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Routing rule: {name}")
    shoot(page, "rule-created")
    rule = next(r for r in every(admin_api, "/api/admin/routing-rules") if r["name"] == name)
    assert rule["conditions"]["keywords"] == [keyword]
    assert (rule["order"], rule["actions"]["priority"]) == (0, "P1")

    try:
        client = every(admin_api, "/api/admin/clients")[0]
        created = admin_api.post(
            "/api/tickets",
            json={
                "client_id": client["id"],
                "subject": f"The {keyword} in the server room is making a noise",
                "body": "Raised by the browser tests.",
            },
        )
        assert created.status_code == 201, created.text
        number = created.json()["number"]
        page.goto(f"/tickets/{number}")
        triage = page.get_by_role("region", name="Triage")
        expect(triage).to_contain_text(f"rule: {name}", timeout=TRIAGE_TIMEOUT_MS)
        expect(
            page.get_by_role("form", name="Ticket fields").get_by_label("Priority")
        ).to_have_value("P1")
        shoot(page, "routed")
        assert admin_api.get(f"/api/tickets/{number}").json()["priority"] == "P1"
    finally:
        admin_api.patch(
            f"/api/admin/routing-rules/{rule['id']}",
            json={"active": False},
            headers={"If-Match": f'"{rule["version"]}"'},
        )


def test_an_admin_rebrands_a_client_and_its_portal_shows_it(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    admin: dict[str, Any],
    admin_api: httpx.Client,
    accounts: list[dict[str, Any]],
) -> None:
    person = [a for a in accounts if a["role"] == "end-user"][-1]
    client = admin_api.get(f"/api/admin/clients/{person['client_id']}").json()
    brand = f"{client['name']} Help {uuid.uuid4().hex[:4]}"

    page = open_page(f"/admin/clients/{client['id']}")
    sign_in(page, admin["name"])
    form = page.get_by_role("form", name=re.compile(r"^Client: "))
    # The API's refusal lands at the field it names.
    host = form.get_by_label("Portal host")
    host.fill("not a host name")
    form.get_by_role("button", name="Save changes").click()
    expect(host).to_have_attribute("aria-invalid", "true")
    expect(host).to_have_accessible_description(re.compile("not a domain name"))
    expect(form.get_by_role("alert")).to_have_count(0)  # nothing else went wrong
    shoot(page, "field-error")

    host.fill("")
    form.get_by_label("Portal name").fill(brand)
    form.get_by_label("Primary colour").fill("#7a1fa2")
    form.get_by_role("button", name="Save changes").click()
    expect(form.get_by_role("status")).to_have_text("Saved")
    expect(host).not_to_have_attribute("aria-invalid", "true")
    saved = admin_api.get(f"/api/admin/clients/{client['id']}").json()["branding"]
    assert (saved["display_name"], saved["primary_colour"], saved["host"]) == (
        brand,
        "#7a1fa2",
        None,
    )

    portal = open_page("/portal/")
    sign_in(portal, person["name"])
    banner = portal.get_by_role("banner")
    expect(banner).to_contain_text(brand)
    expect(banner).to_have_css("background-color", "rgb(122, 31, 162)")
    expect(portal).to_have_title(brand)
    shoot(portal, "rebranded")
