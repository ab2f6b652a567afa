"""GET /api/reference: the console's four name lists in one answer, over the API on moto."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from functions.api.app import create_app
from mspdesk.adapters.events import RecordingPublisher
from mspdesk.config import Settings
from mspdesk.services.deps import Deps
from mspdesk.store.dynamo import DynamoStore
from tests.conftest import Clock
from tests.unit.builders import Desk, NoScanClient, build_desk, make


@dataclass
class Api:
    http: TestClient
    desk: Desk
    db: NoScanClient

    def headers(self, email: str, **extra: str) -> dict[str, str]:
        answer = self.http.post("/api/dev/token", json={"email": email})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}", **extra}


@pytest.fixture
def api(
    store: DynamoStore, events: RecordingPublisher, clock: Clock, settings: Settings
) -> Iterator[Api]:
    db = NoScanClient(store.db)
    deps = Deps(DynamoStore(db, store.table_name), events, clock)
    desk = build_desk(deps)
    make(desk.admin, "agents", {"name": "Ada Admin", "email": "ada@msp.example", "role": "admin"})
    make(desk.admin, "clients", {"name": "aardvark Supplies", "active": False})
    make(desk.admin, "categories", {"name": "Accounts", "parent_id": desk.category.id})
    with TestClient(create_app(settings, deps)) as http:
        yield Api(http, desk, db)


def test_reference_lists_every_client_agent_team_and_category_by_name(api: Api) -> None:
    api.db.operations.clear()
    answer = api.http.get("/api/reference", headers=api.headers("sam@msp.example"))

    assert answer.status_code == 200, answer.text
    lists = answer.json()
    assert [c["name"] for c in lists["clients"]] == ["aardvark Supplies", "Acme Ltd", "Bravo plc"]
    assert [c["active"] for c in lists["clients"]] == [False, True, True]
    assert lists["clients"][1] == {"id": api.desk.client_a.id, "name": "Acme Ltd", "active": True}
    assert [a["name"] for a in lists["agents"]] == ["Ada Admin", "Kim Agent", "Sam Agent"]
    assert lists["teams"] == [{"id": api.desk.team.id, "name": "Service desk"}]
    assert [c["name"] for c in lists["categories"]] == ["Accounts", "Hardware"]
    # Names and ids only: no addresses, phones or skills in a list every screen holds.
    assert "msp.example" not in answer.text
    assert "scan" not in api.db.operations
    assert answer.headers["cache-control"] == "private, no-cache"


def test_reference_is_for_staff_and_does_not_exist_for_end_users(api: Api) -> None:
    admin = api.http.get("/api/reference", headers=api.headers("ada@msp.example"))
    end_user = api.http.get("/api/reference", headers=api.headers("alice@acme.example"))
    # Holding the staff's ETag (a shared browser cache) tells an end-user nothing either.
    guessing = api.http.get(
        "/api/reference",
        headers=api.headers("alice@acme.example", **{"If-None-Match": admin.headers["etag"]}),
    )
    anonymous = api.http.get("/api/reference")

    assert admin.status_code == 200
    assert end_user.status_code == 404
    assert "Acme" not in end_user.text
    assert guessing.status_code == 404
    assert "etag" not in guessing.headers
    assert anonymous.status_code == 401


def test_reference_answers_304_without_a_body_to_the_etag_it_sent(api: Api) -> None:
    first = api.http.get("/api/reference", headers=api.headers("sam@msp.example"))
    etag = first.headers["etag"]

    again = api.http.get(
        "/api/reference", headers=api.headers("sam@msp.example", **{"If-None-Match": etag})
    )
    weak = api.http.get(
        "/api/reference",
        headers=api.headers("sam@msp.example", **{"If-None-Match": f'"other", W/{etag}'}),
    )
    stale = api.http.get(
        "/api/reference", headers=api.headers("sam@msp.example", **{"If-None-Match": '"other"'})
    )

    assert etag.startswith('"') and etag.endswith('"')
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "private, no-cache"
    assert weak.status_code == 304
    assert stale.status_code == 200 and stale.json() == first.json()


def test_reference_etag_changes_when_an_admin_renames_a_client(api: Api) -> None:
    agent = api.headers("sam@msp.example")
    before = api.http.get("/api/reference", headers=agent)
    renamed = api.http.patch(
        f"/api/admin/clients/{api.desk.client_b.id}",
        json={"name": "Bravo Group plc"},
        headers=api.headers("ada@msp.example"),
    )
    assert renamed.status_code == 200, renamed.text

    after = api.http.get(
        "/api/reference", headers={**agent, "If-None-Match": before.headers["etag"]}
    )

    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert "Bravo Group plc" in [c["name"] for c in after.json()["clients"]]
