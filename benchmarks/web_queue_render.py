"""web_queue_render: milliseconds from navigating to the agent console (`/`) to its queue's first
page shown, with 10,000 open tickets, in headless Chromium; against fetching that page's JSON
alone (GET /api/tickets?limit=25, the same token) from the same browser. Median of several runs.

The stack is the local one (moto's server, the FastAPI app under uvicorn) serving the build of
`make web` as the local server does. "Shown" is the first animation frame whose document holds
the page's rows; the clock is the page's own (performance.now() counts from the navigation's
start), so the figure includes the HTML, config.json, the scripts and the queue's own request,
as an agent's tab reloads the console: after a warm-up navigation the scripts come from the
browser's cache and the reference lists (clients, agents, teams, categories) from the tab's,
re-read in the background once the queue is shown. Navigations and reference fetches
alternate, so both see the same machine, and each starts on a stack with nothing left to do
(the reference from a quiet page of the same origin). A fresh tab's time is printed beside.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.local import moto_settings, serve
from benchmarks.queue_first_page import AGENTS, CLIENTS, TEAMS, _write, open_tickets
from benchmarks.report import Figure
from mspdesk.adapters.events import RecordingPublisher
from mspdesk.domain.enums import Role
from mspdesk.domain.scope import Scope
from mspdesk.local.web import WEB_DIST, mount_web
from mspdesk.runtime import aws_client, build_deps
from mspdesk.services.admin import BY_PATH, AdminService
from mspdesk.services.deps import Deps

TICKETS = 10_000
QUICK_TICKETS = 1_000
RUNS = 9
QUICK_RUNS = 3
FRESH_TABS = 3  # printed beside the figure, not part of it
PAGE = 25  # the console's queue page (web/src/console/Queue.tsx)
CHROMIUM = Path("/usr/bin/chromium")
AGENT_EMAIL = "queue.bench@msp.example"
SESSION_KEY = "mspdesk.console.token"  # web/src/console/ConsoleApp.tsx
TIMEOUT_MS = 60_000
QUIET = "/config.json"  # a same-origin document that runs nothing
DRAIN_SECONDS = 1.5  # longer than the stack takes for any one request the console makes

# The queue's rows in the document, read at every animation frame: performance.now() once the
# first page is there (the numbers checked afterwards), else 0 to keep waiting.
SHOWN = f"""() => document.querySelectorAll('table[aria-label="Tickets"] tbody tr').length >= {PAGE}
    ? performance.now() : 0"""
FETCH_ALONE = f"""async (token) => {{
    const started = performance.now();
    const response = await fetch("/api/tickets?limit={PAGE}", {{
        headers: {{ Accept: "application/json", Authorization: `Bearer ${{token}}` }},
    }});
    const page = await response.json();
    if (!response.ok || page.items.length !== {PAGE}) throw new Error("bad page");
    return performance.now() - started;
}}"""
ROW_NUMBERS = """() => [...document.querySelectorAll('table[aria-label="Tickets"] tbody tr')]
    .map((row) => Number(row.querySelector("td")?.textContent))"""


def run(quick: bool) -> list[Figure]:
    if not (WEB_DIST / "index.html").is_file():
        raise FileNotFoundError(f"{WEB_DIST}/index.html is missing: run `make web` first")
    if not CHROMIUM.exists():
        raise FileNotFoundError("no Chromium: apt-get install -y chromium")
    runs = QUICK_RUNS if quick else RUNS
    with moto_settings("mspdesk-bench-web") as settings:
        deps = build_deps(settings, RecordingPublisher())
        tickets = _seed(deps, QUICK_TICKETS if quick else TICKETS)
        _write(aws_client("dynamodb", settings), settings.table_name, tickets)
        from functions.api.app import create_app

        app = create_app(settings, deps)
        mount_web(app, WEB_DIST)
        with serve(app) as base_url:
            shown_ms, fetch_ms = _measure(base_url, runs)
    return [
        Figure(
            "web_queue_render",
            round(statistics.median(shown_ms), 1),
            "ms",
            round(statistics.median(fetch_ms), 1),
            "ratio <= 3",
        )
    ]


def _seed(deps: Deps, count: int) -> list[Any]:
    """The queue benchmark's open tickets, their clients, agents and teams made through the
    admin service (the console names them), and the agent who signs in."""
    admin = AdminService(deps)
    system = Scope.system()

    def create(path: str, body: dict[str, Any]) -> str:
        return admin.create(system, BY_PATH[path], body).id

    teams = [create("teams", {"name": f"Team {i}"}) for i in range(TEAMS)]
    agents = [
        create("agents", {"name": f"Agent {i:02d}", "email": f"agent{i:02d}@msp.example"})
        for i in range(AGENTS)
    ]
    clients = [create("clients", {"name": f"Client {i:03d} Ltd"}) for i in range(CLIENTS)]
    create("agents", {"name": "Queue Bench", "email": AGENT_EMAIL, "role": Role.AGENT.value})

    def index(value: str | None) -> int:
        return int("".join(c for c in value or "" if c.isdigit()) or 0)

    out = []
    for ticket in open_tickets(count):
        out.append(
            ticket.model_copy(
                update={
                    "client_id": clients[index(ticket.client_id)],
                    "agent_id": agents[index(ticket.agent_id)] if ticket.agent_id else None,
                    "team_id": teams[index(ticket.team_id)] if ticket.team_id else None,
                }
            )
        )
    random.Random(3).shuffle(out)  # written in no particular order, as they arrive
    return out


def _measure(base_url: str, runs: int) -> tuple[list[float], list[float]]:
    import httpx
    from playwright.sync_api import sync_playwright

    answer = httpx.post(f"{base_url}/api/dev/token", json={"email": AGENT_EMAIL}, timeout=30)
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    shown: list[float] = []
    alone: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            context = browser.new_context(
                base_url=base_url, viewport={"width": 1400, "height": 900}
            )
            # Signed in as an agent's tab is: the token in the tab's session storage.
            context.add_init_script(
                f"sessionStorage.setItem({json.dumps(SESSION_KEY)}, {json.dumps(token)})"
            )
            errors: list[str] = []
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            for attempt in range(runs + 1):  # the first warms the browser's cache and the API
                took = _fetch_alone(page, token)
                at = _open(page)
                if attempt == 0:
                    _check_rows(page.evaluate(ROW_NUMBERS), base_url, token)
                    continue
                shown.append(at)
                alone.append(took)
            # For the record, not the figure: a tab opened afresh reads the reference lists
            # before it can name anything. The measured tab leaves the console first: left
            # open, it would poll the queue (every 4 s) beside the new tab's first requests.
            # The median of a few new tabs, each closed before the next.
            page.goto(QUIET)
            fresh_ms: list[float] = []
            for _ in range(FRESH_TABS):
                fresh = context.new_page()
                fresh.on("pageerror", lambda error: errors.append(str(error)))
                _fetch_alone(fresh, token)
                fresh_ms.append(_open(fresh))
                fresh.close()
            print(
                f"web_queue_render: a new tab shows the queue in "
                f"{statistics.median(fresh_ms):.0f} ms (median of {FRESH_TABS}), "
                f"{statistics.median(fresh_ms) / statistics.median(alone):.2f}x the page's "
                "JSON alone",
                file=sys.stderr,
            )
            if errors:
                raise RuntimeError(f"uncaught errors in the console: {errors}")
        finally:
            browser.close()
    return shown, alone


def _fetch_alone(page: Any, token: str) -> float:
    """From a quiet page of the same origin (config.json: no scripts, no polling), once the
    stack has finished what the console left it (requests the browser abandoned on leaving):
    milliseconds to fetch the queue's first page."""
    page.goto(QUIET)
    time.sleep(DRAIN_SECONDS)
    return float(page.evaluate(FETCH_ALONE, token))


def _open(page: Any) -> float:
    """Navigate to the queue; milliseconds until its first page is shown. Returns once the
    page's work after that (re-reading the reference lists in the background) is over too."""
    page.goto("/", wait_until="commit")
    at = page.wait_for_function(SHOWN, polling="raf", timeout=TIMEOUT_MS).json_value()
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    return float(at)


def _check_rows(numbers: list[int], base_url: str, token: str) -> None:
    """The figure counts only the right page: the rows are the API's first page, in order."""
    import httpx

    page = httpx.get(
        f"{base_url}/api/tickets",
        params={"limit": PAGE},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    expected = [t["number"] for t in page["items"]]
    if numbers[:PAGE] != expected:
        raise RuntimeError(
            f"the console shows {numbers[:5]}..., the API's page is {expected[:5]}..."
        )


if __name__ == "__main__":
    # Until the registry lists it: python -m benchmarks.web_queue_render [--quick]
    for figure in run("--quick" in sys.argv[1:]):
        print(figure.line(), flush=True)
