"""The HTTP contract that outside checks rely on, over real HTTP against the local stack."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e


def _raise(agent: httpx.Client, client_id: str, subject: str, **extra: Any) -> dict[str, Any]:
    response = agent.post(
        "/api/tickets",
        json={"client_id": client_id, "subject": subject, "body": "Details.", **extra},
    )
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def test_health_and_openapi_are_served(stack: RunningStack) -> None:
    with stack.client() as anonymous:
        assert anonymous.get("/health").status_code == 200
        paths = anonymous.get("/openapi.json").json()["paths"]
    for path in (
        "/api/tickets",
        "/api/tickets/{number}",
        "/portal/api/tickets",
        "/portal/api/tickets/{number}",
        "/api/dev/token",
        "/api/dev/accounts",
    ):
        assert path in paths


def test_dev_accounts_list_admins_agents_and_end_users_with_their_client(
    accounts: list[dict[str, Any]],
) -> None:
    roles = {a["role"] for a in accounts}
    assert roles == {"admin", "agent", "end-user"}
    assert all(a["client_id"] for a in accounts if a["role"] == "end-user")
    assert all(a["client_id"] is None for a in accounts if a["role"] != "end-user")


def test_unknown_account_gets_no_token_and_no_token_gets_401(stack: RunningStack) -> None:
    assert (
        httpx.post(
            f"{stack.base_url}/api/dev/token", json={"email": "nobody@nowhere.example"}
        ).status_code
        == 401
    )
    with stack.client() as anonymous:
        assert anonymous.get("/api/tickets").status_code == 401
        forged = {"Authorization": "Bearer not.a.token"}
        assert anonymous.get("/api/tickets", headers=forged).status_code == 401


def test_agent_raises_a_ticket_and_sees_it_in_the_queue_with_its_context(
    stack: RunningStack, admin_email: str, end_users_of_two_clients: tuple[dict[str, Any], ...]
) -> None:
    person = end_users_of_two_clients[0]
    with stack.client(admin_email) as agent:
        end_user_id = _end_user_id(agent, person)
        created = _raise(
            agent,
            person["client_id"],
            "Laptop will not boot",
            end_user_id=end_user_id,
            priority="P2",
        )
        assert created["number"] > 0 and created["version"] == 1
        assert created["status"] == "new" and created["priority"] == "P2"

        numbers = _all_numbers(agent, {"client_id": person["client_id"]})
        assert created["number"] in numbers

        detail = agent.get(f"/api/tickets/{created['number']}").json()
        assert detail["subject"] == "Laptop will not boot"
        assert detail["actions"][0]["body"] == "Details."
        context = detail["context"]
        assert context["client"]["id"] == person["client_id"]
        assert context["end_user"]["id"] == end_user_id
        assert context["contract"] is not None
        assert all(t["number"] != created["number"] for t in context["recent_tickets"])
        assert len(context["recent_tickets"]) <= 5
        assert isinstance(context["assets"], list)
        assert detail["presence"] == []
        assert detail["sla"]["response"]["due_at"] is not None


def test_stale_version_gets_409_and_changes_nothing(
    stack: RunningStack, admin_email: str, end_users_of_two_clients: tuple[dict[str, Any], ...]
) -> None:
    client_id = end_users_of_two_clients[0]["client_id"]
    with stack.client(admin_email) as agent:
        ticket = _raise(agent, client_id, "Printer offline")
        number = ticket["number"]
        first = agent.patch(
            f"/api/tickets/{number}",
            json={"priority": "P1"},
            headers={"If-Match": str(ticket["version"])},
        )
        assert first.status_code == 200 and first.json()["version"] == 2
        stale = agent.patch(
            f"/api/tickets/{number}",
            json={"status": "resolved"},
            headers={"If-Match": str(ticket["version"])},
        )
        assert stale.status_code == 409
        assert stale.json()["current_version"] == 2
        after = agent.get(f"/api/tickets/{number}").json()
        assert after["status"] == "new" and after["priority"] == "P1"
        missing = agent.patch(f"/api/tickets/{number}", json={"priority": "P4"})
        assert missing.status_code == 428


def test_two_concurrent_updates_with_one_version_exactly_one_wins(
    stack: RunningStack,
    agent_emails: list[str],
    end_users_of_two_clients: tuple[dict[str, Any], ...],
) -> None:
    client_id = end_users_of_two_clients[0]["client_id"]
    with stack.client(agent_emails[0]) as first_agent, stack.client(agent_emails[1]) as second:
        ticket = _raise(first_agent, client_id, "Shared drive missing")
        number, version = ticket["number"], ticket["version"]
        barrier = threading.Barrier(2)
        results: dict[str, httpx.Response] = {}

        def change(name: str, client: httpx.Client, patch: dict[str, str]) -> None:
            barrier.wait()
            results[name] = client.patch(
                f"/api/tickets/{number}", json=patch, headers={"If-Match": str(version)}
            )

        threads = [
            threading.Thread(target=change, args=("a", first_agent, {"priority": "P1"})),
            threading.Thread(target=change, args=("b", second, {"status": "open"})),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        codes = sorted(r.status_code for r in results.values())
        assert codes == [200, 409]
        winner = next(name for name, r in results.items() if r.status_code == 200)
        final = first_agent.get(f"/api/tickets/{number}").json()
        assert final["version"] == version + 1
        if winner == "a":
            assert (final["priority"], final["status"]) == ("P1", "new")
        else:
            assert (final["priority"], final["status"]) == ("P3", "open")
        changes = [a for a in final["actions"] if a["kind"] in ("status_change", "field_change")]
        assert len(changes) == 1


def test_bad_input_gets_422_naming_the_field_and_creates_nothing(
    stack: RunningStack, admin_email: str, end_users_of_two_clients: tuple[dict[str, Any], ...]
) -> None:
    client_id = end_users_of_two_clients[1]["client_id"]
    with stack.client(admin_email) as agent:
        before = _all_numbers(agent, {"client_id": client_id})
        bad_priority = agent.post(
            "/api/tickets",
            json={"client_id": client_id, "subject": "x", "body": "y", "priority": "P9"},
        )
        assert bad_priority.status_code == 422
        assert ["body", "priority"] in [d["loc"] for d in bad_priority.json()["detail"]]
        no_client = agent.post(
            "/api/tickets", json={"client_id": "cl_nope", "subject": "x", "body": "y"}
        )
        assert no_client.status_code == 422
        assert no_client.json()["detail"][0]["loc"] == ["body", "client_id"]
        empty_subject = agent.post(
            "/api/tickets", json={"client_id": client_id, "subject": "", "body": "y"}
        )
        assert empty_subject.status_code == 422
        assert ["body", "subject"] in [d["loc"] for d in empty_subject.json()["detail"]]
        bad_filter = agent.get("/api/tickets", params={"status": "sleeping"})
        assert bad_filter.status_code == 422
        assert bad_filter.json()["detail"][0]["loc"] == ["query", "status"]
        bad_cursor = agent.get("/api/tickets", params={"cursor": "garbage"})
        assert bad_cursor.status_code == 422
        assert _all_numbers(agent, {"client_id": client_id}) == before


def test_oversized_body_gets_413(stack: RunningStack, admin_email: str) -> None:
    with stack.client(admin_email) as agent:
        huge = {"client_id": "x", "subject": "big", "body": "a" * 2_000_000}
        assert agent.post("/api/tickets", json=huge).status_code == 413


def test_a_retry_with_the_same_idempotency_key_makes_one_ticket(
    stack: RunningStack, admin_email: str, end_users_of_two_clients: tuple[dict[str, Any], ...]
) -> None:
    client_id = end_users_of_two_clients[0]["client_id"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with stack.client(admin_email) as agent:
        body = {"client_id": client_id, "subject": "Email bouncing", "body": "NDR attached"}
        first = agent.post("/api/tickets", json=body, headers=key)
        again = agent.post("/api/tickets", json=body, headers=key)
        assert first.status_code == again.status_code == 201
        assert first.json()["number"] == again.json()["number"]
        subjects = [t["subject"] for t in _all_tickets(agent, {"client_id": client_id})]
        assert subjects.count("Email bouncing") == 1


def test_queue_filters_and_paging_return_every_match_exactly_once(
    stack: RunningStack, admin_email: str, end_users_of_two_clients: tuple[dict[str, Any], ...]
) -> None:
    client_id = end_users_of_two_clients[1]["client_id"]
    with stack.client(admin_email) as agent:
        made = {
            _raise(agent, client_id, f"Paging check {i}", priority="P4")["number"] for i in range(7)
        }
        seen: list[int] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"client_id": client_id, "priority": "P4", "limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = agent.get("/api/tickets", params=params).json()
            assert len(page["items"]) <= 3
            assert all(t["client_id"] == client_id and t["priority"] == "P4" for t in page["items"])
            seen += [t["number"] for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen))
        assert made <= set(seen)


def test_presence_shows_who_else_is_on_a_ticket(
    stack: RunningStack,
    agent_emails: list[str],
    end_users_of_two_clients: tuple[dict[str, Any], ...],
) -> None:
    client_id = end_users_of_two_clients[0]["client_id"]
    with stack.client(agent_emails[0]) as first, stack.client(agent_emails[1]) as second:
        number = _raise(first, client_id, "Collision check")["number"]
        assert (
            first.put(f"/api/tickets/{number}/presence", json={"activity": "replying"}).json()[
                "others"
            ]
            == []
        )
        others = second.put(f"/api/tickets/{number}/presence", json={"activity": "viewing"}).json()[
            "others"
        ]
        assert [(o["activity"]) for o in others] == ["replying"]
        first_name = others[0]["agent_name"]
        seen_by_second = second.get(f"/api/tickets/{number}").json()["presence"]
        assert first_name in {p["agent_name"] for p in seen_by_second}
        assert first.delete(f"/api/tickets/{number}/presence").status_code == 204
        others = second.put(f"/api/tickets/{number}/presence", json={}).json()["others"]
        assert others == []


def _end_user_id(agent: httpx.Client, account: dict[str, Any]) -> str:
    people = agent.get(
        "/api/admin/end-users", params={"client_id": account["client_id"], "limit": 100}
    ).json()["items"]
    return str(next(p["id"] for p in people if account["email"] in p["emails"]))


def _all_tickets(agent: httpx.Client, params: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        response = agent.get("/api/tickets", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        out += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return out


def _all_numbers(agent: httpx.Client, params: dict[str, Any]) -> set[int]:
    return {t["number"] for t in _all_tickets(agent, params)}
