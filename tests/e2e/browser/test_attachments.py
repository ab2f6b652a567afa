"""Files in a real browser: an end-user raises a ticket with a screenshot in the portal, the
agent downloads it in the console and answers with a file of their own, which the end-user
downloads in turn, then answers with a file alone. The bytes go browser -> bucket -> browser,
never through the API."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import sign_in

pytestmark = pytest.mark.e2e


def _download(page: Page, name: str, into: Path) -> bytes:
    with page.expect_download() as started:
        page.get_by_role("list", name="Attachments").get_by_role("button", name=name).click()
    saved = into / f"{uuid.uuid4().hex}-{name}"
    started.value.save_as(saved)
    assert started.value.suggested_filename == name
    return saved.read_bytes()


def test_files_travel_from_the_portal_to_the_console_and_back(
    open_page: Callable[..., Page],
    shoot: Callable[[Page, str], None],
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
    agents: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    person = end_users_of_two_clients[0]
    screenshot = tmp_path / "error dialog.png"
    screenshot.write_bytes(b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 64)
    subject = f"Outlook error on start {uuid.uuid4().hex[:6]}"

    portal = open_page("/portal/")
    sign_in(portal, person["name"])
    portal.get_by_role("link", name="Raise a ticket").click()
    form = portal.get_by_role("form", name="New ticket")
    form.get_by_label("Subject").fill(subject)
    form.get_by_label("What is happening?").fill("This dialog appears every morning.")
    form.get_by_label("Attach files").set_input_files(str(screenshot))
    expect(form.get_by_role("list", name="Files to send")).to_contain_text("error dialog.png")
    shoot(portal, "file-chosen")
    form.get_by_role("button", name="Send").click()
    expect(portal.get_by_role("heading", level=1)).to_contain_text(subject)
    number = portal.get_by_role("heading", level=1).inner_text().split()[0].lstrip("#")
    expect(portal.get_by_role("list", name="Attachments")).to_contain_text("error dialog.png")

    console = open_page(f"/tickets/{number}")
    sign_in(console, agents[0]["name"])
    expect(console.get_by_role("heading", level=1)).to_contain_text(subject)
    assert _download(console, "error dialog.png", tmp_path) == screenshot.read_bytes()

    guide = tmp_path / "outlook-safe-mode.txt"
    guide.write_text("Hold Ctrl while starting Outlook.\n")
    reply = console.get_by_role("form", name="Reply")
    reply.get_by_label("Message").fill("Please follow the attached steps.")
    reply.get_by_label("Attach files").set_input_files(str(guide))
    reply.get_by_role("button", name="Send reply").click()
    expect(reply.get_by_label("Message")).to_have_value("")
    shoot(console, "replied-with-file")

    portal.reload()
    answer = portal.get_by_role("article", name=f"Message from {agents[0]['name']}")
    expect(answer.get_by_role("list", name="Attachments")).to_contain_text("outlook-safe-mode.txt")
    with portal.expect_download() as started:
        answer.get_by_role("button", name="outlook-safe-mode.txt").click()
    saved = tmp_path / "downloaded-guide.txt"
    started.value.save_as(saved)
    assert saved.read_text() == "Hold Ctrl while starting Outlook.\n"
    shoot(portal, "reply-file")

    # The end-user answers with nothing but a photo: the file alone is enough to send.
    photo = tmp_path / "safe mode.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 16)
    answer_form = portal.get_by_role("form", name="Reply")
    send = answer_form.get_by_role("button", name="Send reply")
    expect(send).to_be_disabled()
    answer_form.get_by_label("Attach files").set_input_files(str(photo))
    send.click()
    mine = portal.get_by_role("article", name=f"Message from {person['name']}").last
    expect(mine.get_by_role("list", name="Attachments")).to_contain_text("safe mode.png")
