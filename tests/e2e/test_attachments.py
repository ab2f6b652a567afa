"""Files on tickets over real HTTP: the browser's presigned POST to the local stack's S3 (moto's
server), the ticket or reply naming the upload, and short-lived download links, for end-users
of one client only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

SCREENSHOT = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
NAME = "Écran bleu 14h05.png"


def _form(person: httpx.Client, api: str, data: bytes, name: str, content_type: str) -> Any:
    asked = person.post(
        f"{api}/attachments",
        json={"filename": name, "content_type": content_type, "size": len(data)},
    )
    assert asked.status_code == 201, asked.text
    return asked.json()


def _send(form: Any, data: bytes, name: str, content_type: str) -> None:
    stored = httpx.post(
        form["url"], data=form["fields"], files={"file": (name, data, content_type)}, timeout=30
    )
    assert stored.status_code in (200, 201, 204), stored.text


def _upload(
    person: httpx.Client, api: str, data: bytes, name: str, content_type: str = "image/png"
) -> str:
    """As the web app does it: ask for a form, POST the file straight to the bucket."""
    form = _form(person, api, data, name, content_type)
    _send(form, data, name, content_type)
    key: str = form["key"]
    return key


def _fetch(person: httpx.Client, path: str) -> tuple[dict[str, Any], httpx.Response]:
    link = person.get(path)
    assert link.status_code == 200, link.text
    found: dict[str, Any] = link.json()
    return found, httpx.get(found["url"], timeout=30)


def test_an_end_user_raises_a_ticket_with_a_file_and_both_sides_download_it(
    stack: RunningStack,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
    agent_emails: list[str],
) -> None:
    alice, bob = end_users_of_two_clients
    with (
        stack.client(alice["email"]) as portal,
        stack.client(bob["email"]) as other,
        stack.client(agent_emails[0]) as agent,
    ):
        form = _form(portal, "/portal/api", SCREENSHOT, NAME, "image/png")
        _send(form, SCREENSHOT, NAME, "image/png")
        key = form["key"]
        raised = portal.post(
            "/portal/api/tickets",
            json={"subject": "Blue screen", "body": "Screenshot attached.", "attachments": [key]},
        )
        assert raised.status_code == 201, raised.text
        number = raised.json()["number"]

        detail = portal.get(f"/portal/api/tickets/{number}").json()
        first = detail["actions"][0]
        assert first["attachments"] == [
            {
                "index": 0,
                "filename": NAME,
                "content_type": "image/png",
                "size": len(SCREENSHOT),
                "available": True,
            }
        ]
        path = f"/tickets/{number}/actions/{first['id']}/attachments/0"
        link, file = _fetch(portal, f"/portal/api{path}")
        assert file.status_code == 200
        assert file.content == SCREENSHOT
        assert link["filename"] == NAME
        assert file.headers["content-disposition"].startswith("attachment;")

        _, seen_by_agent = _fetch(agent, f"/api{path}")
        assert seen_by_agent.content == SCREENSHOT
        # The upload form still works for a while, but what the ticket holds stays the same.
        _send(form, b"something else", NAME, "image/png")
        _, again = _fetch(agent, f"/api{path}")
        assert again.content == SCREENSHOT

        # Another client's end-user learns nothing: not the file, not the ticket.
        assert other.get(f"/portal/api{path}").status_code == 404
        # Nor may anyone attach someone else's upload to their own ticket.
        stolen = other.post(
            "/portal/api/tickets",
            json={"subject": "Mine", "body": "Look.", "attachments": [key]},
        )
        assert stolen.status_code == 422
        assert "attachments" in stolen.text


def test_an_agent_reply_and_a_private_note_carry_files_the_end_user_sees_only_on_the_reply(
    stack: RunningStack,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
    agent_emails: list[str],
) -> None:
    alice, _ = end_users_of_two_clients
    with stack.client(alice["email"]) as portal, stack.client(agent_emails[0]) as agent:
        number = portal.post(
            "/portal/api/tickets", json={"subject": "VPN drops", "body": "Every hour."}
        ).json()["number"]
        guide = _upload(agent, "/api", b"Step 1: reinstall.\n", "vpn-guide.txt", "text/plain")
        log = _upload(agent, "/api", b"internal log\n", "debug.log", "text/plain")
        reply = agent.post(
            f"/api/tickets/{number}/actions",
            json={"body": "Try this guide.", "attachments": [guide]},
        )
        note = agent.post(
            f"/api/tickets/{number}/actions",
            json={"body": "Our log.", "visibility": "private", "attachments": [log]},
        )
        assert reply.status_code == note.status_code == 201, note.text
        assert reply.json()["meta"]["attachments"][0]["filename"] == "vpn-guide.txt"

        actions = portal.get(f"/portal/api/tickets/{number}").json()["actions"]
        shown = [a for a in actions if a["attachments"]]
        assert [a["attachments"][0]["filename"] for a in shown] == ["vpn-guide.txt"]
        _, file = _fetch(
            portal, f"/portal/api/tickets/{number}/actions/{reply.json()['id']}/attachments/0"
        )
        assert file.content == b"Step 1: reinstall.\n"
        hidden = f"/portal/api/tickets/{number}/actions/{note.json()['id']}/attachments/0"
        assert portal.get(hidden).status_code == 404


def test_uploads_that_break_the_rules_are_refused_naming_the_field(
    stack: RunningStack,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    alice, _ = end_users_of_two_clients
    with stack.client(alice["email"]) as portal:
        too_big = portal.post(
            "/portal/api/attachments",
            json={"filename": "backup.zip", "content_type": "application/zip", "size": 10**9},
        )
        assert too_big.status_code == 422
        assert "size" in too_big.text

        asked = portal.post(
            "/portal/api/attachments",
            json={"filename": "never-sent.txt", "content_type": "text/plain", "size": 5},
        ).json()
        not_uploaded = portal.post(
            "/portal/api/tickets",
            json={"subject": "Files", "body": "See file.", "attachments": [asked["key"]]},
        )
        assert not_uploaded.status_code == 422
        assert "has not been uploaded" in not_uploaded.text

        line_break = portal.post(
            "/portal/api/attachments",
            json={"filename": "a\r\nBcc: x.txt", "content_type": "text/plain", "size": 5},
        )
        assert line_break.status_code == 422
        assert "filename" in line_break.text

        bad_type = portal.post(
            "/portal/api/attachments",
            json={"filename": "x", "content_type": "not a type", "size": 5},
        )
        assert bad_type.status_code == 422
        assert "content_type" in bad_type.text


def test_a_reply_may_be_just_a_file_but_not_nothing(
    stack: RunningStack,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
    agent_emails: list[str],
) -> None:
    alice, _ = end_users_of_two_clients
    with stack.client(alice["email"]) as portal, stack.client(agent_emails[0]) as agent:
        number = portal.post(
            "/portal/api/tickets", json={"subject": "Printer jam", "body": "Again."}
        ).json()["number"]
        photo = _upload(portal, "/portal/api", SCREENSHOT, "jam.png")
        only_file = portal.post(
            f"/portal/api/tickets/{number}/replies", json={"attachments": [photo]}
        )
        assert only_file.status_code == 201, only_file.text
        assert only_file.json()["attachments"][0]["filename"] == "jam.png"

        for person, path in (
            (portal, f"/portal/api/tickets/{number}/replies"),
            (agent, f"/api/tickets/{number}/actions"),
        ):
            empty = person.post(path, json={"body": "  \n"})
            assert empty.status_code == 422, empty.text
            assert empty.json()["detail"][0]["loc"] == ["body", "body"]
        actions = portal.get(f"/portal/api/tickets/{number}").json()["actions"]
        assert len(actions) == 2  # the ticket's first message and the photo, nothing empty
