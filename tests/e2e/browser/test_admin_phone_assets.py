"""The admin screens for the phone and for assets in a real browser: a call script made in the
UI pops with a call from its client and its answer lands on the call's ticket; an asset with an
RDP link made in the UI is offered on its user's ticket; the calls list shows the call with its
ticket; the phone directory, a delete, and an end-user's deactivation work from the UI."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import every, post_call, sign_in
from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

LOGGED_TIMEOUT_MS = 10_000  # the hang-up is logged on its ticket on the event's thread


@pytest.fixture(scope="module")
def admin(accounts: list[dict[str, Any]]) -> dict[str, Any]:
    return next(a for a in accounts if a["role"] == "admin")


@pytest.fixture(scope="module")
def admin_api(stack: RunningStack, admin: dict[str, Any]) -> Iterator[httpx.Client]:
    with stack.client(admin["email"]) as client:
        yield client


@pytest.fixture
def caller(admin_api: httpx.Client) -> dict[str, Any]:
    """A new end-user with a phone number of their own, at a client the other phone tests
    leave alone."""
    client = next(
        c for c in every(admin_api, "/api/admin/clients") if c["name"] != "Harbour Law LLP"
    )
    person = admin_api.post(
        "/api/admin/end-users",
        json={
            "client_id": client["id"],
            "name": f"Robin {uuid.uuid4().hex[:4]}",
            "phones": [f"+441632960{secrets.randbelow(900) + 100}"],
        },
    )
    assert person.status_code == 201, person.text
    return {**person.json(), "client": client}


def test_a_call_script_and_an_asset_made_in_the_ui_reach_the_call_the_ticket_and_the_calls_list(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    stack: RunningStack,
    admin: dict[str, Any],
    admin_api: httpx.Client,
    caller: dict[str, Any],
) -> None:
    client = caller["client"]
    script_name = f"Outage at {client['name']} {uuid.uuid4().hex[:4]}"
    asset_name = f"PC-{uuid.uuid4().hex[:6].upper()}"
    host = f"{asset_name.lower()}.corp.example"
    cleanup: list[str] = []
    try:
        # The call script: two questions, "no" to the first ends it.
        page = open_page("/admin/call-scripts")
        sign_in(page, admin["name"])
        page.get_by_role("link", name="New call script").click()
        form = page.get_by_role("form", name="New call script")
        form.get_by_label(re.compile(r"^Name\b")).fill(script_name)
        form.get_by_role("group", name="Clients").get_by_label(client["name"], exact=True).check()
        first = form.get_by_role("group", name="Question 1")
        first.get_by_label(re.compile(r"^Question\b")).fill("Is the whole office affected?")
        first.get_by_label("Answer", exact=True).select_option("yes_no")
        form.get_by_role("button", name="Add a question").click()
        second = form.get_by_role("group", name="Question 2")
        second.get_by_label(re.compile(r"^Question\b")).fill("How many people cannot work?")
        first.get_by_label("If “no”, go to").select_option("end")
        shoot(page, "script-form")
        form.get_by_role("button", name="Create").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Call script: {script_name}")
        script = next(
            s for s in admin_api.get("/api/admin/call-scripts").json() if s["name"] == script_name
        )
        cleanup.append(f"/api/admin/call-scripts/{script['id']}")
        assert script["client_ids"] == [client["id"]]
        assert [(q["id"], q["kind"], q["branches"]) for q in script["questions"]] == [
            ("q1", "yes_no", {"no": "end"}),
            ("q2", "text", {}),
        ]

        # The asset, used by the caller, with an RDP link.
        page.goto(f"/admin/assets?client_id={client['id']}")
        page.get_by_role("link", name="New asset").click()
        form = page.get_by_role("form", name="New asset")
        form.get_by_label(re.compile(r"^Name\b")).fill(asset_name)
        form.get_by_label(re.compile(r"^Kind\b")).fill("laptop")
        form.get_by_label("Used by").select_option(label=caller["name"])
        form.get_by_role("button", name="Add remote-access link").click()
        form.get_by_label("Tool 1").select_option("rdp")
        form.get_by_label("Device id, host or URL 1").fill(host)
        form.get_by_label("Link label 1").fill("RDP")
        form.get_by_role("button", name="Create").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Asset: {asset_name}")
        launch = f"rdp://full%20address=s:{host}"
        connect = page.get_by_role("link", name=f"Connect to {asset_name} with RDP")
        expect(connect).to_have_attribute("href", launch)
        saved = page.get_by_role("form", name=f"Asset: {asset_name}")
        expect(saved.get_by_label("Used by")).to_have_value(caller["id"])
        asset_id = page.url.rsplit("/", 1)[1]
        cleanup.append(f"/api/admin/assets/{asset_id}")
        shoot(page, "asset-saved")
        page.goto(f"/admin/assets?client_id={client['id']}&end_user_id={caller['id']}")
        assets = page.get_by_role("table", name="Assets")
        expect(assets.get_by_role("link", name=asset_name, exact=True)).to_be_visible()
        expect(assets.get_by_role("link", name=f"Connect to {asset_name} with RDP")).to_be_visible()
        expect(assets.get_by_role("row")).to_have_count(2)  # the header and this one

        # The agent's ticket for the caller offers the link.
        raised = admin_api.post(
            "/api/tickets",
            json={
                "client_id": client["id"],
                "end_user_id": caller["id"],
                "subject": "Cannot reach the file server",
                "body": "Raised by the browser tests.",
            },
        )
        assert raised.status_code == 201, raised.text
        page.goto(f"/tickets/{raised.json()['number']}")
        expect(
            page.get_by_role("link", name=f"Connect to {asset_name} with RDP")
        ).to_have_attribute("href", launch)
        shoot(page, "ticket-asset")

        # A call from the caller pops with the script; "no" ends it; hang-up logs it.
        expect(page.get_by_role("status").filter(has_text="Phone")).to_have_attribute(
            "data-state", "ready"
        )
        secret = httpx.get(f"{stack.base_url}/api/dev/settings").json()["webhooks"]["generic"][
            "secret"
        ]
        call_id = f"browser-{uuid.uuid4().hex[:8]}"
        phone = caller["phones"][0]
        post_call(stack, secret, "newCall", call_id, caller=phone, **{"user[]": admin["email"]})
        pop = page.get_by_role("dialog", name=re.compile(f"Incoming call from {caller['name']}"))
        questions = pop.get_by_role("group", name=f"Call script: {script_name}")
        expect(questions).to_be_visible()
        post_call(stack, secret, "answer", call_id, caller=phone, answeringNumber=admin["email"])
        on_call = page.get_by_role("dialog", name=re.compile(f"On call with {caller['name']}"))
        with page.expect_response(lambda r: "/script-answers" in r.url and r.ok):
            on_call.get_by_label("Is the whole office affected?").select_option("no")
        expect(on_call).to_contain_text("Script complete.")
        shoot(page, "script-answered")
        post_call(stack, secret, "hangup", call_id, caller=phone, cause="normalClearing")
        ended = page.get_by_role("dialog", name=re.compile("ended"))
        open_ticket = ended.get_by_role("button", name=re.compile(r"Open ticket #\d+"))
        expect(open_ticket).to_be_visible(timeout=LOGGED_TIMEOUT_MS)
        label = open_ticket.text_content() or ""
        number = re.search(r"#(\d+)", label)
        assert number, label

        # The calls list shows the call, with its ticket.
        page.goto("/calls")
        row = (
            page.get_by_role("table", name="Calls")
            .get_by_role("row")
            .filter(has_text=caller["name"])
        )
        expect(row).to_have_count(1)
        expect(row).to_contain_text(client["name"])
        expect(row).to_contain_text("Ended")
        expect(row.get_by_role("link", name=f"#{number[1]}")).to_have_attribute(
            "href", f"/tickets/{number[1]}"
        )
        shoot(page, "calls-list")
        row.get_by_role("link", name=f"#{number[1]}").click()
        conversation = page.get_by_role("list", name="Conversation")
        expect(conversation).to_contain_text(f"Call script: {script_name}")
        expect(conversation).to_contain_text("Is the whole office affected? no")

        # Deleted from the UI, the asset leaves the ticket's panel.
        page.goto(f"/admin/assets/{asset_id}")
        page.get_by_role("button", name="Delete…").click()
        page.get_by_role("group", name="Confirm delete").get_by_role(
            "button", name="Yes, delete it"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Assets")
        assert admin_api.get(f"/api/admin/assets/{asset_id}").status_code == 404
        cleanup.remove(f"/api/admin/assets/{asset_id}")
    finally:
        for url in cleanup:
            admin_api.delete(url)


def test_an_admin_maps_an_extension_in_the_phone_directory_and_a_bad_number_is_marked(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    admin: dict[str, Any],
    admin_api: httpx.Client,
) -> None:
    extension = f"9{secrets.randbelow(9000) + 1000}"
    agent = every(admin_api, "/api/admin/agents")[0]
    before = admin_api.get("/api/admin/cti/directory").json()
    new_extension = len(before["extensions"]) + 1  # the rows' labels count from 1
    new_number = len(before["numbers"]) + 1
    page = open_page("/admin/phone-directory")
    sign_in(page, admin["name"])
    form = page.get_by_role("form", name="Phone directory")
    form.get_by_role("button", name="Add extension").click()
    form.get_by_label(f"Extension {new_extension}", exact=True).fill(extension)
    form.get_by_label(f"Agent for extension {new_extension}").select_option(agent["id"])
    form.get_by_role("button", name="Add number").click()
    bad = form.get_by_label(f"Number {new_number}", exact=True)
    bad.fill("not a number")
    form.get_by_label(f"Team for number {new_number}").select_option(index=1)
    form.get_by_role("button", name="Save changes").click()
    expect(bad).to_have_attribute("aria-invalid", "true")
    shoot(page, "bad-number")

    form.get_by_role("button", name=f"Remove number {new_number}").click()
    form.get_by_role("button", name="Save changes").click()
    expect(form.get_by_role("status")).to_have_text("Saved")
    shoot(page, "saved")
    try:
        assert (
            admin_api.get("/api/admin/cti/directory").json()["extensions"][extension] == agent["id"]
        )
    finally:
        current = admin_api.get("/api/admin/cti/directory").json()
        current["extensions"].pop(extension, None)
        admin_api.put("/api/admin/cti/directory", json=current)

    page.get_by_role("button", name="Index main numbers again").click()
    expect(page.get_by_role("status").filter(has_text="Indexed")).to_contain_text("clients")


def test_an_end_user_is_deactivated_and_reactivated_never_deleted(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    admin: dict[str, Any],
    admin_api: httpx.Client,
    caller: dict[str, Any],
) -> None:
    page = open_page(f"/admin/end-users/{caller['id']}")
    sign_in(page, admin["name"])
    expect(page.get_by_role("heading", level=1)).to_have_text(f"End-user: {caller['name']}")
    expect(page.get_by_role("button", name=re.compile("^Delete"))).to_have_count(0)
    page.get_by_role("button", name="Deactivate end-user").click()
    expect(page.get_by_role("note")).to_contain_text("Deactivated")
    shoot(page, "deactivated")
    assert admin_api.get(f"/api/admin/end-users/{caller['id']}").json()["active"] is False
    page.get_by_role("button", name="Reactivate end-user").click()
    expect(page.get_by_role("button", name="Deactivate end-user")).to_be_visible()
    assert admin_api.get(f"/api/admin/end-users/{caller['id']}").json()["active"] is True
