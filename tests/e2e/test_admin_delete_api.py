"""The admin API's deletes over real HTTP: 204, then 404; 409 on a stale If-Match; 403 for an
agent, 404 for an end-user; no DELETE at all for what history names. And an end-user's assets
listed by end_user_id."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

DELETABLE = {
    "/api/admin/assets/{entity_id}",
    "/api/admin/routing-rules/{entity_id}",
    "/api/admin/call-scripts/{script_id}",
}


@pytest.fixture(scope="module")
def agent_email(accounts: list[dict[str, Any]]) -> str:
    email: str = next(a["email"] for a in accounts if a["role"] == "agent")
    return email


@pytest.fixture(scope="module")
def person(
    stack: RunningStack, admin_email: str, end_users_of_two_clients: tuple[dict[str, Any], ...]
) -> dict[str, Any]:
    """An end-user's account with their id."""
    account = end_users_of_two_clients[0]
    with stack.client(admin_email) as admin:
        people = admin.get(
            "/api/admin/end-users", params={"client_id": account["client_id"], "limit": 100}
        ).json()["items"]
    found = next(p for p in people if account["email"] in p["emails"])
    return {**account, "id": found["id"]}


def _asset(admin: httpx.Client, person: dict[str, Any]) -> dict[str, Any]:
    response = admin.post(
        "/api/admin/assets",
        json={
            "client_id": person["client_id"],
            "name": f"PC-{uuid.uuid4().hex[:6]}",
            "end_user_id": person["id"],
            "remote_access": [{"kind": "rdp", "target": "pc.example.local", "label": "RDP"}],
        },
    )
    assert response.status_code == 201, response.text
    asset: dict[str, Any] = response.json()
    return asset


def test_delete_routes_exist_only_for_what_no_history_names(stack: RunningStack) -> None:
    with stack.client() as anonymous:
        paths = anonymous.get("/openapi.json").json()["paths"]
    with_delete = {
        path
        for path, operations in paths.items()
        if path.startswith("/api/admin/") and "delete" in operations
    }
    assert with_delete == DELETABLE


def test_an_admin_deletes_an_asset_once_and_a_stale_version_is_refused(
    stack: RunningStack, admin_email: str, person: dict[str, Any]
) -> None:
    with stack.client(admin_email) as admin:
        asset = _asset(admin, person)
        url = f"/api/admin/assets/{asset['id']}"
        renamed = admin.patch(url, json={"name": asset["name"] + "-b"}).json()
        stale = admin.delete(url, headers={"If-Match": f'"{asset["version"]}"'})
        assert stale.status_code == 409
        assert stale.json()["current_version"] == renamed["version"]
        assert admin.get(url).status_code == 200

        deleted = admin.delete(url, headers={"If-Match": f'"{renamed["version"]}"'})
        assert (deleted.status_code, deleted.content) == (204, b"")
        assert admin.get(url).status_code == 404
        assert admin.delete(url).status_code == 404


def test_an_end_users_assets_are_listed_by_end_user_id(
    stack: RunningStack, admin_email: str, person: dict[str, Any]
) -> None:
    with stack.client(admin_email) as admin:
        asset = _asset(admin, person)
        listed = admin.get("/api/admin/assets", params={"end_user_id": person["id"]})
        assert listed.status_code == 200
        found = next(a for a in listed.json()["items"] if a["id"] == asset["id"])
        assert found["remote_access"][0]["launch_url"] == "rdp://full%20address=s:pc.example.local"
        assert all(a["end_user_id"] == person["id"] for a in listed.json()["items"])
        assert admin.get("/api/admin/assets", params={"end_user_id": "eu_nobody"}).status_code == (
            404
        )
        assert admin.delete(f"/api/admin/assets/{asset['id']}").status_code == 204


def test_an_admin_deletes_a_routing_rule_and_a_call_script(
    stack: RunningStack, admin_email: str
) -> None:
    with stack.client(admin_email) as admin:
        rule = admin.post(
            "/api/admin/routing-rules",
            json={
                "name": "Temporary",
                "order": 999,
                "active": False,
                "actions": {"priority": "P4"},
            },
        ).json()
        assert admin.delete(f"/api/admin/routing-rules/{rule['id']}").status_code == 204
        assert admin.get(f"/api/admin/routing-rules/{rule['id']}").status_code == 404

        script = admin.post(
            "/api/admin/call-scripts",
            json={
                "name": "Temporary",
                "active": False,
                "questions": [{"id": "q", "text": "Q?"}],
            },
        ).json()
        url = f"/api/admin/call-scripts/{script['id']}"
        assert admin.delete(url, headers={"If-Match": '"99"'}).status_code == 409
        assert admin.delete(url, headers={"If-Match": f'"{script["version"]}"'}).status_code == 204
        assert admin.get(url).status_code == 404
        assert admin.delete(url).status_code == 404
        assert script["id"] not in [s["id"] for s in admin.get("/api/admin/call-scripts").json()]


def test_an_agent_gets_403_and_an_end_user_404_and_nothing_is_deleted(
    stack: RunningStack, admin_email: str, agent_email: str, person: dict[str, Any]
) -> None:
    with stack.client(admin_email) as admin:
        asset = _asset(admin, person)
        script = admin.post(
            "/api/admin/call-scripts",
            json={"name": "Kept", "active": False, "questions": [{"id": "q", "text": "Q?"}]},
        ).json()
        urls = [f"/api/admin/assets/{asset['id']}", f"/api/admin/call-scripts/{script['id']}"]
        with stack.client(agent_email) as agent, stack.client(person["email"]) as end_user:
            for url in urls:
                assert agent.delete(url).status_code == 403
                assert end_user.delete(url).status_code == 404
        for url in urls:
            assert admin.get(url).status_code == 200
            assert admin.delete(url).status_code == 204


def test_what_history_names_offers_no_delete(stack: RunningStack, admin_email: str) -> None:
    with stack.client(admin_email) as admin:
        client = admin.get("/api/admin/clients", params={"limit": 1}).json()["items"][0]
        refused = admin.delete(f"/api/admin/clients/{client['id']}")
        assert refused.status_code == 405
        assert admin.get(f"/api/admin/clients/{client['id']}").json() == client
