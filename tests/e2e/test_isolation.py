"""An end-user of one client never reaches another client's tickets, on any route.

The routes come from the OpenAPI document, so a route added later is tested too: a route this
test does not know how to call fails the test until it is taught (SAMPLE_BODIES).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

UPLOAD = {"filename": "f.txt", "content_type": "text/plain", "size": 6}
# A valid body per (method, path), so a refusal is about scope, never about the body.
SAMPLE_BODIES: dict[tuple[str, str], Any] = {
    ("post", "/api/tickets"): {"client_id": "{client_id}", "subject": "s", "body": "b"},
    ("patch", "/api/tickets/{number}"): {"status": "open"},
    ("post", "/api/tickets/{number}/actions"): {"body": "b", "visibility": "public"},
    ("put", "/api/tickets/{number}/presence"): {"activity": "viewing"},
    ("post", "/portal/api/tickets"): {"subject": "s", "body": "b"},
    ("post", "/portal/api/tickets/{number}/replies"): {"body": "b"},
    ("put", "/api/admin/settings"): {"name": "x", "version": 1},
    ("patch", "/api/admin/{collection}/{entity_id}"): {},
    ("post", "/api/tickets/{number}/timer"): {"mode": "doing"},
    ("post", "/api/tickets/{number}/timer/confirm"): {"minutes": 5},
    ("post", "/api/tickets/{number}/time-entries"): {
        "started_at": "2026-01-05T10:00:00Z",
        "minutes": 15,
    },
    ("patch", "/api/tickets/{number}/time-entries/{entry_id}"): {"minutes": 15},
    ("patch", "/api/calls/{call_id}"): {"notes": "n"},
    ("put", "/api/calls/{call_id}/script-answers"): {"script_id": "cs_x", "answers": {}},
    ("post", "/api/major-incidents/{incident_id}/problem"): {},
    ("post", "/api/problems"): {"client_id": "{client_id}", "subject": "s", "body": "b"},
    ("post", "/api/problems/{number}/links"): {"ticket_numbers": [1]},
    ("post", "/api/admin/call-scripts"): {"name": "x", "questions": [{"id": "q", "text": "Q?"}]},
    ("put", "/api/admin/call-scripts/{script_id}"): {
        "name": "x",
        "questions": [{"id": "q", "text": "Q?"}],
    },
    ("put", "/api/admin/cti/directory"): {"extensions": {}, "numbers": {}, "version": 1},
    ("post", "/api/mail/unmatched/{mail_id}/assign"): {"client_id": "{client_id}"},
    ("post", "/api/attachments"): UPLOAD,
    ("post", "/portal/api/attachments"): UPLOAD,
}
# The portal's own listings: an end-user may call them, and must find only their own tickets.
OWN_LISTINGS = {
    ("get", "/portal/api/me"),
    ("get", "/portal/api/tickets"),
    ("post", "/portal/api/tickets"),
    # What the portal's sign-in page shows before anyone signs in: name, logo, colours.
    ("get", "/portal/api/branding"),
    # An upload form under the end-user's own prefix: it touches nobody else's data.
    ("post", "/portal/api/attachments"),
}
DEV_ROUTES = ("/api/dev/",)


@pytest.fixture(scope="module")
def victim(
    stack: RunningStack,
    admin_email: str,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
) -> dict[str, Any]:
    """A ticket of client B, with its client, end-user and one entity of each kind."""
    _, person_b = end_users_of_two_clients
    with stack.client(admin_email) as admin:
        client_id = person_b["client_id"]
        people = admin.get("/api/admin/end-users", params={"client_id": client_id}).json()
        end_user_id = next(p["id"] for p in people["items"] if person_b["email"] in p["emails"])
        ticket = admin.post(
            "/api/tickets",
            json={
                "client_id": client_id,
                "end_user_id": end_user_id,
                "subject": "Confidential: payroll export",
                "body": "secret",
            },
        ).json()
        form = admin.post("/api/attachments", json=UPLOAD).json()
        stored = httpx.post(form["url"], data=form["fields"], files={"file": b"secret"})
        assert stored.is_success, stored.text
        reply = admin.post(
            f"/api/tickets/{ticket['number']}/actions",
            json={"body": "reply", "visibility": "public", "attachments": [form["key"]]},
        ).json()
        entity_ids = {"clients": client_id, "end-users": end_user_id}
        for collection in ("sites", "contracts", "assets"):
            items = admin.get(f"/api/admin/{collection}", params={"client_id": client_id})
            if items.json()["items"]:
                entity_ids[collection] = items.json()["items"][0]["id"]
    return {
        "number": ticket["number"],
        "action_id": reply["id"],
        "client_id": client_id,
        "end_user_id": end_user_id,
        "entity_ids": entity_ids,
    }


def _calls(openapi: dict[str, Any], victim: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(method, template, url, body) for every API route, aimed at client B's data."""
    calls = []
    for template, operations in openapi["paths"].items():
        if not template.startswith(("/api/", "/portal/api/")) or template.startswith(DEV_ROUTES):
            continue
        for method in operations:
            url = template.replace("{number}", str(victim["number"]))
            url = url.replace("{client_id}", victim["client_id"])
            url = url.replace("{end_user_id}", victim["end_user_id"])
            url = url.replace("{action_id}", victim["action_id"]).replace("{index}", "0")
            key_template = template
            if "{entity_id}" in template:
                collection = template.split("/")[3]
                entity_id = victim["entity_ids"].get(collection, "unknown-id")
                url = url.replace("{entity_id}", entity_id)
                key_template = "/api/admin/{collection}/{entity_id}"
            needs_body = "requestBody" in operations[method]
            key = (method, key_template)
            if needs_body and key not in SAMPLE_BODIES and not template.startswith("/api/admin/"):
                pytest.fail(f"teach this test a valid body for {method.upper()} {template}")
            body = SAMPLE_BODIES.get(key, {"name": "x"}) if needs_body else None
            if isinstance(body, dict) and body.get("client_id") == "{client_id}":
                body = {**body, "client_id": victim["client_id"]}
            calls.append((method, template, url, body))
    return calls


def test_end_user_gets_404_on_every_route_for_another_clients_data(
    stack: RunningStack,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
    victim: dict[str, Any],
) -> None:
    person_a, _ = end_users_of_two_clients
    with stack.client() as anonymous:
        openapi = anonymous.get("/openapi.json").json()
    calls = _calls(openapi, victim)
    assert len(calls) > 20  # the enumeration found the API, not an empty document
    refused = []
    with stack.client(person_a["email"]) as intruder:
        for method, template, url, body in calls:
            if (method, template) in OWN_LISTINGS:
                continue
            response = intruder.request(method.upper(), url, json=body)
            refused.append((method.upper(), template, response.status_code))
            assert response.status_code == 404, (method, template, response.text)
            assert "payroll" not in response.text and "secret" not in response.text
    assert any(t == "/portal/api/tickets/{number}" for _, t, _ in refused)
    assert any(t == "/api/tickets/{number}" for _, t, _ in refused)


def test_end_users_own_listing_never_contains_another_clients_ticket(
    stack: RunningStack,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
    victim: dict[str, Any],
) -> None:
    person_a, _ = end_users_of_two_clients
    with stack.client(person_a["email"]) as own:
        numbers: list[int] = []
        cursor = None
        while True:
            page = own.get(
                "/portal/api/tickets",
                params={"limit": 100, **({"cursor": cursor} if cursor else {})},
            ).json()
            numbers += [t["number"] for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert victim["number"] not in numbers
        me = own.get("/portal/api/me").json()
        assert me["client_id"] == person_a["client_id"]


def test_end_user_raises_a_ticket_and_sees_public_replies_only(
    stack: RunningStack,
    admin_email: str,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    person_a, _ = end_users_of_two_clients
    with stack.client(person_a["email"]) as end_user, stack.client(admin_email) as agent:
        raised = end_user.post(
            "/portal/api/tickets", json={"subject": "Cannot print payslips", "body": "Since 9am"}
        )
        assert raised.status_code == 201, raised.text
        number = raised.json()["number"]
        seen_by_agent = agent.get(f"/api/tickets/{number}").json()
        assert seen_by_agent["client_id"] == person_a["client_id"]
        assert seen_by_agent["source"] == "portal"
        agent.post(
            f"/api/tickets/{number}/actions",
            json={"body": "Internal: driver issue on PRN-02", "visibility": "private"},
        )
        agent.post(
            f"/api/tickets/{number}/actions",
            json={"body": "We have reinstalled the printer driver.", "visibility": "public"},
        )
        view = end_user.get(f"/portal/api/tickets/{number}").json()
        bodies = [a["body"] for a in view["actions"]]
        assert "We have reinstalled the printer driver." in bodies
        assert all("Internal" not in b for b in bodies)
        assert view["actions"][-1]["from_support"] is True
        reply = end_user.post(f"/portal/api/tickets/{number}/replies", json={"body": "Thanks!"})
        assert reply.status_code == 201
        conversation = agent.get(f"/api/tickets/{number}").json()["actions"]
        assert conversation[-1]["body"] == "Thanks!"
        assert conversation[-1]["author"]["kind"] == "end_user"


def test_end_user_cannot_raise_a_ticket_for_another_client(
    stack: RunningStack,
    end_users_of_two_clients: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    person_a, person_b = end_users_of_two_clients
    with stack.client(person_a["email"]) as end_user:
        response = end_user.post(
            "/portal/api/tickets",
            json={"subject": "x", "body": "y", "client_id": person_b["client_id"]},
        )
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "client_id"]


def test_agents_are_sent_to_the_console_not_the_portal(
    stack: RunningStack,
    admin_email: str,
) -> None:
    with stack.client(admin_email) as agent:
        assert agent.get("/portal/api/tickets").status_code == 403


def test_the_portal_finds_its_branding_by_host_before_sign_in(
    stack: RunningStack, admin_email: str, victim: dict[str, Any]
) -> None:
    with stack.client(admin_email) as admin:
        client = admin.get(f"/api/admin/clients/{victim['client_id']}")
        branding = {**client.json()["branding"], "host": "Support.Victim.Example"}
        changed = admin.patch(
            f"/api/admin/clients/{victim['client_id']}",
            json={"branding": branding},
            headers={"If-Match": str(client.json()["version"])},
        )
        assert changed.status_code == 200, changed.text
    with stack.client() as anonymous:
        by_host = anonymous.get("/portal/api/branding", params={"host": "support.victim.example"})
        by_id = anonymous.get("/portal/api/branding", params={"client": victim["client_id"]})
        unknown = anonymous.get("/portal/api/branding", params={"host": "nobody.example"})
        neither = anonymous.get("/portal/api/branding")
    assert by_host.status_code == 200, by_host.text
    assert by_host.json()["client_id"] == victim["client_id"]
    assert by_host.json()["branding"]["host"] == "support.victim.example"
    assert by_host.headers["cache-control"] == "public, max-age=300"
    assert by_id.json() == by_host.json()
    assert "payroll" not in by_host.text
    assert unknown.status_code == 404
    assert neither.status_code == 422 and "host" in neither.text
