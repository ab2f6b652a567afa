"""The agent console's working tools in a real browser: the triage suggestion and its accept,
the ticket timer and the time entry it writes, and the phone's screen pop from a signed CTI
webhook through answer and hang-up."""

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

TRIAGE_TIMEOUT_MS = 20_000  # triage runs on the event's delivery thread after the ticket lands


@pytest.fixture(scope="session")
def admin_api(stack: RunningStack, admin_email: str) -> Iterator[httpx.Client]:
    with stack.client(admin_email) as client:
        yield client


def client_named(api: httpx.Client, name: str) -> dict[str, Any]:
    return next(c for c in every(api, "/api/admin/clients") if c["name"] == name)


def raise_ticket(api: httpx.Client, client_id: str, subject: str, body: str) -> int:
    response = api.post(
        "/api/tickets", json={"client_id": client_id, "subject": subject, "body": body}
    )
    assert response.status_code == 201, response.text
    number: int = response.json()["number"]
    return number


@pytest.fixture
def suggest_only(admin_api: httpx.Client) -> Iterator[None]:
    """Triage suggests instead of applying while the test runs (the threshold raised to
    0.99), and the MSP's settings go back as they were afterwards."""
    before = admin_api.get("/api/admin/settings").json()
    raised = {**before, "triage": {**before["triage"], "confidence_threshold": 0.99}}
    assert admin_api.put("/api/admin/settings", json=raised).status_code == 200
    try:
        yield
    finally:
        current = admin_api.get("/api/admin/settings").json()
        restored = {**before, "version": current["version"]}
        assert admin_api.put("/api/admin/settings", json=restored).status_code == 200


@pytest.mark.usefixtures("suggest_only")
def test_the_triage_suggestion_shows_its_neighbours_and_is_accepted(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    admin_api: httpx.Client,
    agents: list[dict[str, Any]],
) -> None:
    client = client_named(admin_api, "Harbour Law LLP")
    # Near the seeded history, but not near enough for 99% confidence.
    number = raise_ticket(
        admin_api,
        client["id"],
        f"Question about the invoice layout for the board meeting {uuid.uuid4().hex[:4]}",
        "Question about the invoice layout for the board meeting, please could someone look.",
    )
    page = open_page(f"/tickets/{number}")
    sign_in(page, agents[0]["name"])
    triage = page.get_by_role("region", name="Triage")
    expect(triage).to_contain_text("Suggested: not applied yet", timeout=TRIAGE_TIMEOUT_MS)
    expect(triage).to_contain_text(re.compile(r"confidence \d+%"))
    neighbours = triage.get_by_role("list", name="Similar past tickets").get_by_role("listitem")
    expect(neighbours).to_have_count(5)
    expect(neighbours.first).to_contain_text(re.compile(r"#\d+ \d+% similar"))
    first = neighbours.first.get_by_role("link")
    expect(first).to_have_attribute("href", re.compile(r"^/tickets/\d+$"))
    shoot(page, "suggested")

    record = admin_api.get(f"/api/tickets/{number}").json()["triage"]
    assert record["outcome"] == "suggested", record
    category = next(
        c["name"]
        for c in every(admin_api, "/api/admin/categories")
        if c["id"] == record["suggested"]["category_id"]
    )
    triage.get_by_role("button", name="Accept suggestion").click()
    expect(triage).to_contain_text(f"Accepted by {agents[0]['name']}")
    fields = page.get_by_role("form", name="Ticket fields")
    expect(fields.get_by_label("Category")).to_have_value(record["suggested"]["category_id"])
    expect(triage.get_by_role("button", name="Accept suggestion")).to_have_count(0)
    shoot(page, "accepted")
    ticket = admin_api.get(f"/api/tickets/{number}").json()
    assert ticket["category_id"] == record["suggested"]["category_id"], category
    assert ticket["triage"]["accepted_by"] is not None


def test_starting_and_stopping_the_timer_writes_a_priced_time_entry(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    admin_api: httpx.Client,
    accounts: list[dict[str, Any]],
) -> None:
    # An agent whose teams time "doing": opening the ticket starts no viewing timer.
    doing = {t["id"] for t in every(admin_api, "/api/admin/teams") if t["timer_mode"] == "doing"}
    agent = next(
        a
        for a in every(admin_api, "/api/admin/agents")
        if a["role"] == "agent" and a["team_ids"] and set(a["team_ids"]) <= doing
    )
    client = client_named(admin_api, "Harbour Law LLP")
    number = raise_ticket(
        admin_api, client["id"], f"Timer {uuid.uuid4().hex[:6]}", "Timed by the browser tests."
    )
    page = open_page(f"/tickets/{number}")
    sign_in(page, agent["name"])
    time_panel = page.get_by_role("region", name="Time")
    expect(time_panel).to_contain_text("No timer running")

    time_panel.get_by_role("button", name="Start timer").click()
    expect(time_panel).to_contain_text("Doing · running")
    clock = time_panel.get_by_role("timer", name="Timer")
    expect(clock).not_to_have_text("00:00", timeout=2500)  # it runs in the page
    time_panel.get_by_role("button", name="Stop").click()
    entry = time_panel.get_by_role("form", name="Time entry")
    expect(entry.get_by_label("Minutes")).to_have_value("1")
    entry.get_by_label("Note").fill("Checked the mailbox rules")
    shoot(page, "proposal")
    entry.get_by_role("button", name="Save time entry").click()

    entries = time_panel.get_by_role("list", name="Time entries").get_by_role("listitem")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("1 min remote")
    expect(entries.first).to_contain_text(re.compile(r"Covered|Billable|Chargeable|Non-billable"))
    expect(time_panel).to_contain_text("No timer running")
    shoot(page, "entry")
    saved = admin_api.get(f"/api/tickets/{number}").json()["time_entries"]
    assert [(e["minutes"], e["note"], e["agent_id"]) for e in saved] == [
        (1, "Checked the mailbox rules", agent["id"])
    ]


def test_a_cti_new_call_pops_the_caller_in_the_console(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    stack: RunningStack,
    admin_api: httpx.Client,
    agents: list[dict[str, Any]],
) -> None:
    client = client_named(admin_api, "Harbour Law LLP")
    phone = f"+441632960{secrets.randbelow(900) + 100}"
    caller = admin_api.post(
        "/api/admin/end-users",
        json={
            "client_id": client["id"],
            "name": f"Caller {uuid.uuid4().hex[:4]}",
            "phones": [phone],
            "job_title": "Office manager",
        },
    ).json()
    contracts = [
        c["name"] for c in every(admin_api, "/api/admin/contracts", client_id=client["id"])
    ]
    secret = httpx.get(f"{stack.base_url}/api/dev/settings").json()["webhooks"]["generic"]["secret"]
    agent = agents[0]

    page = open_page("/")
    sign_in(page, agent["name"])
    # The socket is registered once the server said hello: a pop sent now reaches this page.
    expect(page.get_by_role("status").filter(has_text="Phone")).to_have_attribute(
        "data-state", "ready"
    )
    call_id = f"browser-{uuid.uuid4().hex[:8]}"
    post_call(stack, secret, "newCall", call_id, caller=phone, **{"user[]": agent["email"]})

    pop = page.get_by_role("dialog", name=re.compile(f"Incoming call from {caller['name']}"))
    expect(pop).to_be_visible()
    expect(pop).to_contain_text(client["name"])
    expect(pop).to_contain_text(re.compile("|".join(re.escape(n) for n in contracts)))
    expect(pop).to_contain_text("Office manager")
    for note in client["popup_notes"]:
        expect(pop).to_contain_text(note)
    expect(pop.get_by_role("group", name="Log this call on")).to_be_visible()
    shoot(page, "ringing")

    post_call(stack, secret, "answer", call_id, caller=phone, answeringNumber=agent["email"])
    on_call = page.get_by_role("dialog", name=re.compile(f"On call with {caller['name']}"))
    expect(on_call.get_by_role("timer", name="Call time")).to_be_visible()
    on_call.get_by_label("Call notes").fill("Scanner on the second floor is offline.")
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/api/calls/" in r.url):
        on_call.get_by_label("Call notes").blur()
    shoot(page, "answered")

    post_call(stack, secret, "hangup", call_id, caller=phone, cause="normalClearing")
    ended = page.get_by_role("dialog", name=re.compile("ended"))
    open_ticket = ended.get_by_role("button", name=re.compile(r"Open ticket #\d+"))
    expect(open_ticket).to_be_visible(timeout=10_000)
    shoot(page, "hung-up")
    open_ticket.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Phone call from {caller['name']}"
    )
    call = (
        page.get_by_role("list", name="Conversation")
        .get_by_role("article")
        .filter(has_text="Scanner on the second floor is offline.")
    )
    expect(call.first).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
