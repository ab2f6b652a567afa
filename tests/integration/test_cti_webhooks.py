"""Whole calls through each phone system's webhook over HTTP (the API app as `make dev` builds
it, with the phone routes installed), screen pops over the local WebSocket, signature and
replay rejection, and the agents' major-incident routes. Microsoft Graph is a local HTTP
server speaking Graph's wire format."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.sync.client import connect

from functions.api.app import create_app
from mspdesk.adapters.graph_calls import HttpCallRecords
from mspdesk.config import Settings
from mspdesk.domain.cti_signing import signature
from mspdesk.domain.enums import ActionKind
from mspdesk.local.stack import free_port
from mspdesk.services.admin import lookup
from mspdesk.store.dynamo import DynamoStore
from tests.conftest import Clock
from tests.integration.cti_harness import (
    ALICE_PHONE,
    BOB_PHONE,
    CAROL_PHONE,
    EXTENSION,
    SUPPORT_LINE,
    PhoneDesk,
    build_phone_desk,
)
from tests.unit.builders import ADMIN, MONDAY_MORNING, shared_table

TENANT, APP_ID, APP_SECRET = "tenant-1", "app-1", "app-secret"
RECORD_ID = "e523d2ed-2966-4b6b-925b-754a88034cc5"


class FakeGraph:
    """Microsoft Graph's token endpoint and call records, on 127.0.0.1."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        graph = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                return

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                graph.requests.append(f"POST {self.path}")
                form = self.rfile.read(int(self.headers["Content-Length"])).decode()
                if (
                    self.path == f"/login/{TENANT}/oauth2/v2.0/token"
                    and f"client_secret={APP_SECRET}" in form
                ):
                    self._send(
                        200, {"token_type": "Bearer", "expires_in": 3599, "access_token": "tok"}
                    )
                else:
                    self._send(401, {"error": "invalid_client"})

            def do_GET(self) -> None:
                graph.requests.append(f"GET {self.path}")
                path = urlsplit(self.path).path
                record = graph.records.get(path.rsplit("/", 1)[-1])
                if self.headers.get("Authorization") != "Bearer tok":
                    self._send(401, {"error": {"code": "InvalidAuthenticationToken"}})
                elif not path.startswith("/v1.0/communications/callRecords/") or record is None:
                    self._send(404, {"error": {"code": "NotFound"}})
                else:
                    self._send(200, record)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def graph_adapter(graph: FakeGraph) -> HttpCallRecords:
    return HttpCallRecords(
        login_url=f"{graph.url}/login",
        api_url=f"{graph.url}/v1.0",
        tenant_id=TENANT,
        client_id=APP_ID,
        client_secret=APP_SECRET,
    )


@contextmanager
def serve(phone: PhoneDesk, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, phone.desk.deps)
    app.state.cti = phone.context  # the phone routes create_app mounted serve this desk
    with TestClient(app) as client:
        yield client


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph()
    yield fake
    fake.close()


@pytest.fixture
def phone(store: DynamoStore, clock: Clock, settings: Settings, graph: FakeGraph) -> PhoneDesk:
    return build_phone_desk(store, clock, settings, graph=graph_adapter(graph))


@pytest.fixture
def http(phone: PhoneDesk, settings: Settings) -> Iterator[TestClient]:
    with serve(phone, settings) as client:
        yield client


@pytest.fixture
def secrets(http: TestClient) -> dict[str, Any]:
    found: dict[str, Any] = http.get("/api/dev/settings").json()["webhooks"]
    return found


@dataclass
class Quiet:
    """One desk for the tests whose requests are all refused: they must change nothing."""

    phone: PhoneDesk
    http: TestClient
    graph: FakeGraph
    secrets: dict[str, Any]


@pytest.fixture(scope="module")
def quiet(moto_endpoint: str) -> Iterator[Quiet]:
    with shared_table(moto_endpoint) as (client, table_name):
        settings = Settings(
            table_name=table_name,
            aws_endpoint_url=moto_endpoint,
            local_mode=True,
            dev_token_secret="test-secret-of-at-least-32-bytes-long",
            region="eu-west-2",
        )
        fake = FakeGraph()
        clock = Clock(MONDAY_MORNING)
        phone = build_phone_desk(
            DynamoStore(client, table_name), clock, settings, graph=graph_adapter(fake)
        )
        with serve(phone, settings) as http:
            found = http.get("/api/dev/settings").json()["webhooks"]
            yield Quiet(phone, http, fake, found)
        fake.close()


def token(http: TestClient, email: str) -> str:
    answer = http.post("/api/dev/token", json={"email": email})
    assert answer.status_code == 200, answer.text
    found: str = answer.json()["access_token"]
    return found


def bearer(http: TestClient, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(http, email)}"}


def signed(secret: str, body: str, clock: Clock, age: int = 0) -> dict[str, str]:
    ts = str(int(clock.now.timestamp()) - age)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Mspdesk-Timestamp": ts,
        "X-Mspdesk-Signature": signature(secret, ts, body.encode()),
    }


def zammad(event: str, call_id: str, caller: str = ALICE_PHONE, **more: str) -> str:
    return urlencode(
        {
            "event": event,
            "from": caller,
            "to": SUPPORT_LINE,
            "direction": "in",
            "callId": call_id,
            **more,
        }
    )


def calls_seen(http: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = http.get("/api/calls", headers=headers)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["items"]
    return found


def ticket(http: TestClient, headers: dict[str, str], number: int) -> dict[str, Any]:
    answer = http.get(f"/api/tickets/{number}", headers=headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


# --- local settings ---------------------------------------------------------------------------


def test_dev_settings_give_each_webhooks_secret_and_how_to_sign(quiet: Quiet) -> None:
    secrets = quiet.secrets
    generic = secrets["generic"]
    assert generic["url"].endswith("/cti/generic")
    assert len(generic["secret"]) >= 24
    assert generic["signing"]["message"] == "<timestamp>.<raw request body>"
    assert generic["signing"]["signature_header"] == "X-Mspdesk-Signature"
    assert generic["signing"]["replay_window_seconds"] == 300
    assert secrets["3cx"]["api_key"] and secrets["aircall"]["token"]
    assert secrets["teams"]["client_state"]


# --- generic (Zammad) ---------------------------------------------------------------------------


def test_a_whole_generic_call_pops_on_ringing_and_answer_and_is_logged_at_hang_up(
    http: TestClient, phone: PhoneDesk, secrets: dict[str, Any]
) -> None:
    secret, clock = secrets["generic"]["secret"], phone.clock
    sam = bearer(http, "sam@msp.example")
    with http.websocket_connect(f"/api/ws?token={token(http, 'sam@msp.example')}") as socket:
        assert socket.receive_json()["type"] == "hello"
        body = zammad("newCall", "z-1", **{"user[]": EXTENSION})
        assert (
            http.post("/cti/generic", content=body, headers=signed(secret, body, clock)).json()
            == {}
        )
        ringing = socket.receive_json()
        assert (ringing["type"], ringing["stage"]) == ("screen_pop", "ringing")
        assert ringing["caller"]["name"] == "Alice"
        assert ringing["client"]["name"] == "Acme Ltd"
        clock.now += timedelta(seconds=15)
        body = zammad("answer", "z-1", answeringNumber=EXTENSION)
        assert (
            http.post("/cti/generic", content=body, headers=signed(secret, body, clock)).status_code
            == 200
        )
        answered = socket.receive_json()
        assert answered["stage"] == "answered"
        assert answered["call"]["agent_id"] == phone.desk.agent.id
    call_id = answered["call"]["id"]
    assert (
        http.patch(
            f"/api/calls/{call_id}", json={"notes": "Password reset"}, headers=sam
        ).status_code
        == 200
    )
    clock.now += timedelta(minutes=4)
    body = zammad("hangup", "z-1", cause="normalClearing")
    assert (
        http.post("/cti/generic", content=body, headers=signed(secret, body, clock)).status_code
        == 200
    )
    call = http.get(f"/api/calls/{call_id}", headers=sam).json()
    assert call["state"] == "ended" and call["logged"] is True
    detail = ticket(http, sam, call["ticket_number"])
    assert detail["source"] == "phone"
    assert [a["kind"] for a in detail["actions"]].count(ActionKind.CALL.value) == 1
    assert [e["minutes"] for e in detail["time_entries"]] == [4]


def test_generic_webhook_refuses_a_bad_signature_and_changes_nothing(quiet: Quiet) -> None:
    http, phone, secrets = quiet.http, quiet.phone, quiet.secrets
    body = zammad("newCall", "z-2")
    before = len(phone.events.events)
    forged = signed("not-the-secret", body, phone.clock)
    assert http.post("/cti/generic", content=body, headers=forged).status_code == 401
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert http.post("/cti/generic", content=body, headers=unsigned).status_code == 401
    tampered = signed(secrets["generic"]["secret"], body, phone.clock)
    altered = body.replace("z-2", "z-3")
    assert http.post("/cti/generic", content=altered, headers=tampered).status_code == 401
    assert len(phone.events.events) == before
    assert calls_seen(http, bearer(http, "sam@msp.example")) == []


def test_generic_webhook_refuses_a_replay_and_a_stale_timestamp(
    http: TestClient, phone: PhoneDesk, secrets: dict[str, Any]
) -> None:
    secret = secrets["generic"]["secret"]
    body = zammad("newCall", "z-4")
    headers = signed(secret, body, phone.clock)
    assert http.post("/cti/generic", content=body, headers=headers).status_code == 200
    events = len(phone.events.events)
    replay = http.post("/cti/generic", content=body, headers=headers)
    assert replay.status_code == 401
    assert "replay" in replay.json()["message"]
    stale_body = zammad("hangup", "z-4", cause="normalClearing")
    stale = signed(secret, stale_body, phone.clock, age=301)
    assert http.post("/cti/generic", content=stale_body, headers=stale).status_code == 401
    assert len(phone.events.events) == events
    [call] = calls_seen(http, bearer(http, "sam@msp.example"))
    assert call["state"] == "ringing"


def test_generic_webhook_takes_zammads_json_variant(
    http: TestClient, phone: PhoneDesk, secrets: dict[str, Any]
) -> None:
    body = json.dumps(
        {
            "event": "newCall",
            "from": BOB_PHONE,
            "to": SUPPORT_LINE,
            "direction": "in",
            "callId": "j1",
        }
    )
    headers = {
        **signed(secrets["generic"]["secret"], body, phone.clock),
        "Content-Type": "application/json",
    }
    assert http.post("/cti/generic", content=body, headers=headers).status_code == 200
    [call] = calls_seen(http, bearer(http, "sam@msp.example"))
    assert call["end_user_id"] == phone.desk.bob.id


# --- 3CX --------------------------------------------------------------------------------------


def test_a_whole_3cx_call_looks_up_the_contact_and_journals_the_call(
    http: TestClient, phone: PhoneDesk, secrets: dict[str, Any]
) -> None:
    key = {"X-Api-Key": secrets["3cx"]["api_key"]}
    with http.websocket_connect(f"/api/ws?token={token(http, 'kim@msp.example')}") as socket:
        socket.receive_json()
        found = http.get("/cti/3cx/lookup", params={"number": "+441623555014"}, headers=key)
        assert found.status_code == 200
        [contact] = found.json()["contacts"]
        assert (contact["id"], contact["firstname"], contact["company"]) == (
            phone.desk.alice.id,
            "Alice",
            "Acme Ltd",
        )
        assert socket.receive_json()["stage"] == "ringing"
    start, end = phone.clock.now, phone.clock.now + timedelta(minutes=3)
    journal = urlencode(
        {
            "call_type": "Inbound",
            "number": "+441623555014",
            "agent": EXTENSION,
            "agent_email": "sam@msp.example",
            "duration": "150",
            "start_utc": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_utc": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    phone.clock.now = end
    logged = http.post(
        "/cti/3cx/journal",
        content=journal,
        headers={**key, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert logged.status_code == 200, logged.text
    sam = bearer(http, "sam@msp.example")
    [call] = calls_seen(http, sam)  # the lookup's call, finished by the journal
    assert call["id"] == logged.json()["call_id"]
    assert call["state"] == "ended" and call["agent_id"] == phone.desk.agent.id
    detail = ticket(http, sam, logged.json()["ticket_number"])
    assert [e["minutes"] for e in detail["time_entries"]] == [3]


def test_3cx_refuses_a_wrong_api_key(quiet: Quiet) -> None:
    http = quiet.http
    wrong = {"X-Api-Key": "guess"}
    assert (
        http.get("/cti/3cx/lookup", params={"number": ALICE_PHONE}, headers=wrong).status_code
        == 401
    )
    assert http.get("/cti/3cx/lookup", params={"number": ALICE_PHONE}).status_code == 401
    journal = urlencode({"call_type": "Inbound", "number": ALICE_PHONE, "duration": "60"})
    assert http.post("/cti/3cx/journal", content=journal, headers=wrong).status_code == 401
    assert calls_seen(http, bearer(http, "sam@msp.example")) == []


def test_3cx_lookup_of_an_unknown_number_finds_no_contact(
    http: TestClient, secrets: dict[str, Any]
) -> None:
    found = http.get(
        "/cti/3cx/lookup",
        params={"number": "020 7946 0999"},
        headers={"X-Api-Key": secrets["3cx"]["api_key"]},
    )
    assert found.json() == {"contacts": []}


# --- Aircall ----------------------------------------------------------------------------------


def aircall(event: str, tok: str, clock: Clock, **data: Any) -> dict[str, Any]:
    call = {
        "id": 4711,
        "direct_link": "https://api.aircall.io/v1/calls/4711",
        "direction": "inbound",
        "status": "initial",
        "missed_call_reason": None,
        "started_at": int(clock.now.timestamp()),
        "answered_at": None,
        "ended_at": None,
        "duration": 0,
        "voicemail": None,
        "raw_digits": "+44 114 555 0199",
        "user": None,
        "contact": None,
        "number": {"id": 58108, "digits": "+44 115 555 9000", "name": "Support", "country": "GB"},
        "teams": [],
        "comments": [],
        "tags": [],
        **data,
    }
    return {
        "resource": "call",
        "event": event,
        "timestamp": int(clock.now.timestamp()),
        "token": tok,
        "data": call,
    }


def test_a_whole_aircall_call_through_its_webhooks(
    http: TestClient, phone: PhoneDesk, secrets: dict[str, Any]
) -> None:
    tok, clock = secrets["aircall"]["token"], phone.clock
    user = {"id": 1, "name": "Sam Agent", "email": "sam@msp.example", "available": True}
    started = int(clock.now.timestamp())
    assert http.post("/cti/aircall", json=aircall("call.created", tok, clock)).json() == {
        "status": "ok"
    }
    clock.now += timedelta(seconds=10)
    answered = int(clock.now.timestamp())
    http.post(
        "/cti/aircall", json=aircall("call.answered", tok, clock, user=user, answered_at=answered)
    )
    clock.now += timedelta(minutes=7)
    ended = int(clock.now.timestamp())
    done = {
        "user": user,
        "answered_at": answered,
        "ended_at": ended,
        "status": "done",
        "started_at": started,
    }
    http.post("/cti/aircall", json=aircall("call.hungup", tok, clock, **done))
    http.post("/cti/aircall", json=aircall("call.ended", tok, clock, duration=430, **done))
    ignored = http.post("/cti/aircall", json=aircall("call.tagged", tok, clock, **done))
    assert ignored.json() == {"status": "ignored"}
    sam = bearer(http, "sam@msp.example")
    [call] = calls_seen(http, sam)
    assert call["end_user_id"] == phone.carol.id
    assert call["state"] == "ended" and call["logged"] is True
    detail = ticket(http, sam, call["ticket_number"])
    assert [(e["minutes"], e["agent_id"]) for e in detail["time_entries"]] == [
        (7, phone.desk.agent.id)
    ]


def test_aircall_refuses_a_wrong_token_and_changes_nothing(quiet: Quiet) -> None:
    http, phone = quiet.http, quiet.phone
    before = len(phone.events.events)
    assert (
        http.post("/cti/aircall", json=aircall("call.created", "guess", phone.clock)).status_code
        == 401
    )
    payload = aircall("call.created", "", phone.clock)
    del payload["token"]
    assert http.post("/cti/aircall", json=payload).status_code == 401
    assert len(phone.events.events) == before


# --- Microsoft Teams ------------------------------------------------------------------------------


def notification(client_state: str, record_id: str = RECORD_ID) -> dict[str, Any]:
    return {
        "value": [
            {
                "subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
                "subscriptionExpirationDateTime": "2026-03-05T10:00:00Z",
                "changeType": "created",
                "resource": f"communications/callRecords/{record_id}",
                "resourceData": {
                    "@odata.type": "#microsoft.graph.callrecord",
                    "@odata.id": f"communications/callRecords/{record_id}",
                    "id": record_id,
                },
                "clientState": client_state,
                "tenantId": TENANT,
            }
        ]
    }


def test_teams_validation_token_is_echoed_as_plain_text(quiet: Quiet) -> None:
    http = quiet.http
    answer = http.post("/cti/teams", params={"validationToken": "Validation: token <42>"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text == "Validation: token <42>"


def test_a_teams_call_record_is_fetched_from_graph_and_logged(
    http: TestClient, phone: PhoneDesk, graph: FakeGraph, secrets: dict[str, Any]
) -> None:
    graph.records[RECORD_ID] = {
        "id": RECORD_ID,
        "version": 1,
        "type": "peerToPeer",
        "modalities": ["audio"],
        "startDateTime": "2026-03-02T09:50:00Z",
        "endDateTime": "2026-03-02T09:58:00Z",
        "organizer_v2": {"id": "u1"},
        "sessions": [
            {
                "id": "s1",
                "startDateTime": "2026-03-02T09:50:20Z",
                "endDateTime": "2026-03-02T09:58:00Z",
                "caller": {"identity": {"phone": {"id": "+441155550123"}}},
                "callee": {
                    "identity": {
                        "user": {
                            "id": "u1",
                            "displayName": "Kim Agent",
                            "userPrincipalName": "kim@msp.example",
                        }
                    }
                },
            }
        ],
    }
    answer = http.post("/cti/teams", json=notification(secrets["teams"]["client_state"]))
    assert answer.status_code == 202, answer.text
    assert graph.requests[0] == f"POST /login/{TENANT}/oauth2/v2.0/token"
    assert graph.requests[1].startswith(f"GET /v1.0/communications/callRecords/{RECORD_ID}?")
    sam = bearer(http, "sam@msp.example")
    [call] = calls_seen(http, sam)
    assert (call["provider"], call["end_user_id"], call["agent_id"]) == (
        "teams",
        phone.desk.bob.id,
        phone.desk.other_agent.id,
    )
    detail = ticket(http, sam, call["ticket_number"])
    assert [e["minutes"] for e in detail["time_entries"]] == [8]
    again = http.post("/cti/teams", json=notification(secrets["teams"]["client_state"]))
    assert again.status_code == 202
    assert len(calls_seen(http, sam)) == 1


def test_teams_notification_with_a_wrong_client_state_is_refused_before_graph_is_asked(
    quiet: Quiet,
) -> None:
    http, graph = quiet.http, quiet.graph
    assert http.post("/cti/teams", json=notification("guess")).status_code == 401
    assert graph.requests == []
    assert calls_seen(http, bearer(http, "sam@msp.example")) == []


def test_teams_notification_is_refused_with_503_while_graph_refuses_us(
    http: TestClient, phone: PhoneDesk, graph: FakeGraph, secrets: dict[str, Any]
) -> None:
    answer = http.post("/cti/teams", json=notification(secrets["teams"]["client_state"], "missing"))
    assert answer.status_code == 503  # Graph redelivers; nothing was logged
    assert calls_seen(http, bearer(http, "sam@msp.example")) == []


# --- agents ---------------------------------------------------------------------------------------


def test_agents_see_a_major_incident_and_a_problem_update_reaches_every_client(
    http: TestClient, phone: PhoneDesk, secrets: dict[str, Any]
) -> None:
    secret, clock = secrets["generic"]["secret"], phone.clock
    sam = bearer(http, "sam@msp.example")
    for index, caller in enumerate((ALICE_PHONE, BOB_PHONE, CAROL_PHONE)):
        for stage, extra in (
            ("answer", {"answeringNumber": EXTENSION}),
            ("hangup", {"cause": "normalClearing"}),
        ):
            if stage == "hangup":
                [call] = [c for c in calls_seen(http, sam) if c["external_id"] == f"m-{index}"]
                notes = {"notes": "SharePoint sync fails with error 0x8004de40"}
                assert (
                    http.patch(f"/api/calls/{call['id']}", json=notes, headers=sam).status_code
                    == 200
                )
                clock.now += timedelta(minutes=1)
            body = zammad(stage, f"m-{index}", caller, **extra)
            assert (
                http.post(
                    "/cti/generic", content=body, headers=signed(secret, body, clock)
                ).status_code
                == 200
            )
    [incident] = http.get("/api/major-incidents", headers=sam).json()["items"]
    assert len(incident["client_ids"]) == 3
    assert "sharepoint sync" in incident["keywords"]
    problem = http.post(
        f"/api/major-incidents/{incident['id']}/problem",
        json={"client_id": phone.desk.client_a.id, "subject": "SharePoint sync outage"},
        headers=sam,
    )
    assert problem.status_code == 201, problem.text
    linked = problem.json()["linked"]
    assert len(linked) == 3
    number = problem.json()["number"]
    update = {"body": "Microsoft have fixed SharePoint sync.", "visibility": "public"}
    assert http.post(f"/api/tickets/{number}/actions", json=update, headers=sam).status_code == 201
    for each in linked:
        assert update["body"] in [a["body"] for a in ticket(http, sam, each)["actions"]]
    version = ticket(http, sam, number)["version"]
    resolved = http.patch(
        f"/api/tickets/{number}",
        json={"status": "resolved"},
        headers={**sam, "If-Match": str(version)},
    )
    assert resolved.status_code == 200, resolved.text
    assert {ticket(http, sam, each)["status"] for each in linked} == {"resolved"}
    assert http.get("/api/major-incidents", headers=sam).json()["items"] == []


def test_end_users_get_404_on_the_phone_routes_and_cannot_open_a_screen_pop_socket(
    quiet: Quiet,
) -> None:
    http = quiet.http
    alice = bearer(http, "alice@acme.example")
    for path in (
        "/api/calls",
        "/api/major-incidents",
        "/api/admin/call-scripts",
        "/api/problems/1",
    ):
        assert http.get(path, headers=alice).status_code == 404, path
    for tok, code in ((token(http, "alice@acme.example"), 4403), ("nonsense", 4401)):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            http.websocket_connect(f"/api/ws?token={tok}"),
        ):
            pass
        assert refused.value.code == code


def test_an_admin_defines_call_scripts_and_agents_may_only_read_them(
    http: TestClient, phone: PhoneDesk
) -> None:
    phone.desk.admin.update(ADMIN, lookup("agents"), phone.desk.agent.id, {"role": "admin"}, None)
    admin_headers = bearer(http, "sam@msp.example")
    body = {
        "name": "Acme first line",
        "client_ids": [phone.desk.client_a.id],
        "questions": [
            {
                "id": "printer",
                "text": "Is it the printer?",
                "kind": "yes_no",
                "branches": {"no": "end"},
            },
            {"id": "model", "text": "Which model?"},
        ],
    }
    created = http.post("/api/admin/call-scripts", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    script = created.json()
    kim = bearer(http, "kim@msp.example")
    assert http.post("/api/admin/call-scripts", json=body, headers=kim).status_code == 403
    assert [s["id"] for s in http.get("/api/admin/call-scripts", headers=kim).json()] == [
        script["id"]
    ]
    stale = http.put(
        f"/api/admin/call-scripts/{script['id']}",
        json={**body, "name": "Renamed"},
        headers={**admin_headers, "If-Match": "7"},
    )
    assert stale.status_code == 409
    looping = {**body, "questions": [{"id": "a", "text": "A", "next": "a"}]}
    assert (
        http.post("/api/admin/call-scripts", json=looping, headers=admin_headers).status_code == 422
    )


PHONE_ROUTES = (
    "/api/calls",
    "/api/major-incidents",
    "/api/problems",
    "/api/admin/call-scripts",
    "/api/admin/cti/",
)
# A valid body per route with one, so that a refusal is about who asks (the same entries are
# proposed for tests/e2e/test_isolation.py's SAMPLE_BODIES).
PHONE_BODIES: dict[tuple[str, str], Any] = {
    ("patch", "/api/calls/{call_id}"): {"notes": "n"},
    ("put", "/api/calls/{call_id}/script-answers"): {"script_id": "cs_x", "answers": {}},
    ("post", "/api/major-incidents/{incident_id}/problem"): {},
    ("post", "/api/problems"): {"subject": "s", "body": "b", "ticket_numbers": [1]},
    ("post", "/api/problems/{number}/links"): {"ticket_numbers": [1]},
    ("post", "/api/admin/call-scripts"): {"name": "x", "questions": [{"id": "q", "text": "Q?"}]},
    ("put", "/api/admin/call-scripts/{script_id}"): {
        "name": "x",
        "questions": [{"id": "q", "text": "Q?"}],
    },
    ("put", "/api/admin/cti/directory"): {"extensions": {}, "numbers": {}, "version": 1},
}


def test_every_phone_route_answers_404_to_an_end_user(quiet: Quiet) -> None:
    http = quiet.http
    alice = bearer(http, "alice@acme.example")
    openapi = http.get("/openapi.json").json()
    called = []
    for template, operations in openapi["paths"].items():
        if not template.startswith(PHONE_ROUTES):
            continue
        for method, operation in operations.items():
            body = PHONE_BODIES[(method, template)] if "requestBody" in operation else None
            # As tests/e2e/test_isolation.py calls them: only {number} is filled in.
            url = template.replace("{number}", "1")
            answer = http.request(method.upper(), url, json=body, headers=alice)
            assert answer.status_code == 404, (method, template, answer.text)
            called.append((method, template))
    assert len(called) >= 17


def test_a_screen_pop_reaches_a_real_websocket_on_the_local_server(
    phone: PhoneDesk, settings: Settings
) -> None:
    """The same call as `make dev` serves it: uvicorn, a real socket, a real HTTP request."""
    app = create_app(settings, phone.desk.deps)
    app.state.cti = phone.context  # the phone routes create_app mounted serve this desk
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # connections wait in the backlog until uvicorn accepts them
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as client:
            secret = client.get("/api/dev/settings").json()["webhooks"]["generic"]["secret"]
            agent = client.post("/api/dev/token", json={"email": "sam@msp.example"}).json()
            url = f"ws://127.0.0.1:{port}/api/ws?token={agent['access_token']}"
            with connect(url, open_timeout=10) as pops:
                assert json.loads(pops.recv(timeout=10))["type"] == "hello"
                body = zammad("newCall", "real-1", **{"user[]": EXTENSION})
                sent = client.post(
                    "/cti/generic", content=body, headers=signed(secret, body, phone.clock)
                )
                assert sent.status_code == 200, sent.text
                pop = json.loads(pops.recv(timeout=10))
        assert (pop["stage"], pop["caller"]["name"]) == ("ringing", "Alice")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
