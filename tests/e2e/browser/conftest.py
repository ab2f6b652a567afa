"""The web app in headless Chromium (Debian's, `apt-get install chromium`; Playwright's own
browser builds are never downloaded) against the local stack of tests/e2e/conftest.py, which
serves web/dist as `make dev` does. Screenshots go to .local/screenshots/."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from mspdesk.domain.cti_signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from tests.conftest import REPO
from tests.e2e.conftest import RunningStack

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / ".local" / "screenshots"


@pytest.fixture(scope="session")
def web(stack: RunningStack) -> str:
    """The stack's base URL, once it is known to serve the built web app."""
    page = httpx.get(f"{stack.base_url}/tickets/1", timeout=30)
    if page.status_code != 200 or '<div id="root">' not in page.text:
        pytest.fail(
            "the local stack does not serve the web app: build it (`make web`) and mount it "
            f"(mspdesk.local.web.mount_web); GET /tickets/1 answered {page.status_code}"
        )
    return stack.base_url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail("no Chromium: apt-get install -y chromium")
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
    )
    yield launched
    launched.close()


Open = Callable[[str], Page]


@pytest.fixture
def open_page(browser: Browser, web: str) -> Iterator[Callable[..., Page]]:
    """A page in a browser context of its own (its own sessionStorage, so its own sign-in)."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_(path: str = "/") -> Page:
        context = browser.new_context(base_url=web, viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Callable[[Page, str], None]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^a-z0-9_]+", "_", request.node.name.lower())

    def shoot_(page: Page, step: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"{test}-{step}.png", full_page=True)

    return shoot_


def sign_in(page: Page, name: str) -> None:
    """The local sign-in picker: choose the demo account by the person's name."""
    page.get_by_role("list", name="Demo accounts").get_by_role(
        "button", name=re.compile(re.escape(name))
    ).click()


@pytest.fixture(scope="session")
def agents(accounts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two staff accounts, for the tests that need two agents at once."""
    staff = [a for a in accounts if a["role"] in ("agent", "admin")]
    assert len(staff) >= 2
    return staff[:2]


@pytest.fixture(scope="session")
def agent_api(stack: RunningStack, agents: list[dict[str, Any]]) -> Iterator[httpx.Client]:
    with stack.client(agents[0]["email"]) as client:
        yield client


def every(client: httpx.Client, path: str, **query: str) -> list[dict[str, Any]]:
    """Every item of a cursor-paged list."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {**query, "limit": 100, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=params)
        response.raise_for_status()
        page = response.json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def post_call(stack: RunningStack, secret: str, event: str, call_id: str, **more: str) -> None:
    """A signed Zammad-style webhook, as a phone system bridge sends it."""
    body = urlencode(
        {
            "event": event,
            "from": more.pop("caller", ""),
            "to": "+441632960000",
            "direction": "in",
            "callId": call_id,
            **more,
        }
    )
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(secret, stamp, body.encode()),
    }
    response = httpx.post(f"{stack.base_url}/cti/generic", content=body, headers=headers)
    assert response.status_code == 200, response.text
