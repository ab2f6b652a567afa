"""The LLM triage method through the real anthropic SDK against a fake Messages API on
127.0.0.1, and its API key read from moto's Secrets Manager."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mspdesk.config import Settings
from mspdesk.domain.enums import ContractKind, TicketSource
from mspdesk.runtime import aws_client
from mspdesk.triage.llm import (
    TOOL_NAME,
    AnthropicTriage,
    LlmAgent,
    LlmCatalogue,
    LlmCategory,
    LlmContract,
    LlmNotConfigured,
    LlmTeam,
    LlmTicket,
    LlmTriageAnswer,
    secret_api_key,
)
from mspdesk.triage.ports import TriageUnavailable
from tests.conftest import REPO
from tests.fakes.fake_anthropic import API_KEY, USAGE, FakeAnthropic, api_key_of

MODEL = "claude-test-model"

CATALOGUE = LlmCatalogue(
    categories=[
        LlmCategory("cat-network", "Network"),
        LlmCategory("cat-vpn", "Remote access VPN", "Network"),
        LlmCategory("cat-m365", "Microsoft 365"),
    ],
    teams=[LlmTeam("team-infra", "Infrastructure"), LlmTeam("team-desk", "Service desk")],
    agents=[
        LlmAgent("agent-ana", "Ana Costa", ["team-infra"], ["FortiGate SSL-VPN", "Cisco"], 3),
        LlmAgent("agent-ben", "Ben Okafor", ["team-desk"], ["Exchange Online", "Intune"], 5),
    ],
)

TICKET = LlmTicket(
    subject="VPN down for everyone at the Leeds office",
    body="Since 9am nobody can connect to the VPN; the FortiClient says 'gateway unreachable'.",
    client_name="Northwind Traders",
    contract=LlmContract("Gold managed services", ContractKind.MANAGED),
    vip=True,
    source=TicketSource.EMAIL,
)

GOOD = {
    "reasoning": "Site-wide VPN outage on a FortiGate; Ana knows FortiGate SSL-VPN.",
    "category_id": "cat-vpn",
    "priority": "P1",
    "team_id": "team-infra",
    "agent_id": "agent-ana",
    "estimated_minutes": 90,
    "confidence": 0.82,
}


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    yield server
    server.close()


def llm(fake: FakeAnthropic, key: str | None = API_KEY, timeout: float = 10.0) -> AnthropicTriage:
    return AnthropicTriage(lambda: key, MODEL, timeout_seconds=timeout, base_url=fake.url)


def tool_result(request_body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = request_body["messages"][-1]["content"][0]
    return result


def test_tool_call_is_returned_validated_with_usage(fake: FakeAnthropic) -> None:
    fake.answer(GOOD)

    result = llm(fake).triage(CATALOGUE, TICKET)

    assert result.answer == LlmTriageAnswer.model_validate(GOOD)
    assert result.model == MODEL
    assert result.attempts == 1
    assert (result.input_tokens, result.output_tokens) == (
        USAGE["input_tokens"],
        USAGE["output_tokens"],
    )
    assert result.latency_ms >= 0


def test_request_carries_catalogue_ticket_and_forced_tool(fake: FakeAnthropic) -> None:
    fake.answer(GOOD)

    llm(fake).triage(CATALOGUE, TICKET)

    [request] = fake.requests
    assert request.path == "/v1/messages"
    assert api_key_of(request.headers) == API_KEY
    assert request.headers["anthropic-version"]
    body = request.body
    assert body["model"] == MODEL
    assert body["max_tokens"] == 1024
    system = body["system"][0]["text"]
    for fact in ("Remote access VPN", "FortiGate SSL-VPN", "Infrastructure", "agent-ana"):
        assert fact in system
    assert "whole business" in system  # the priorities' meanings
    [message] = body["messages"]
    assert message["role"] == "user"
    for fact in ("VIP end-user: yes", "Gold managed services (managed)", "Northwind Traders"):
        assert fact in message["content"]
    assert "gateway unreachable" in message["content"]
    [tool] = body["tools"]
    assert tool["name"] == TOOL_NAME
    assert tool["input_schema"] == LlmTriageAnswer.model_json_schema()
    assert "$defs" not in json.dumps(tool["input_schema"])
    assert body["tool_choice"] == {"type": "tool", "name": TOOL_NAME}


def test_long_body_is_truncated(fake: FakeAnthropic) -> None:
    fake.answer(GOOD)
    ticket = LlmTicket(
        subject="Logs attached",
        body="x" * 50_000,
        client_name="Northwind Traders",
        contract=None,
        vip=False,
        source=TicketSource.PORTAL,
    )

    llm(fake).triage(CATALOGUE, ticket)

    content = fake.requests[0].body["messages"][0]["content"]
    assert "[truncated]" in content
    assert len(content) < 8_500
    assert "Contract: none" in content
    assert "VIP end-user: no" in content


def test_malformed_answer_is_retried_once_with_a_tool_result_error(fake: FakeAnthropic) -> None:
    fake.answer({**GOOD, "priority": "urgent"})
    fake.answer(GOOD)

    result = llm(fake).triage(CATALOGUE, TICKET)

    assert result.answer.priority == "P1"
    assert result.attempts == 2
    assert result.input_tokens == 2 * USAGE["input_tokens"]
    first, second = (r.body["messages"] for r in fake.requests)
    user, assistant, reply = second
    assert user == first[0]
    [use] = assistant["content"]
    assert (use["type"], use["name"], use["input"]["priority"]) == ("tool_use", TOOL_NAME, "urgent")
    assert reply["role"] == "user"
    [error] = reply["content"]
    assert error["type"] == "tool_result"
    assert error["tool_use_id"] == use["id"]
    assert error["is_error"] is True
    assert "priority" in error["content"]


def test_two_malformed_answers_make_the_llm_unavailable(fake: FakeAnthropic) -> None:
    fake.answer({**GOOD, "confidence": 7})
    fake.answer({"priority": "P2"})

    with pytest.raises(TriageUnavailable, match="invalid answer twice"):
        llm(fake).triage(CATALOGUE, TICKET)
    assert len(fake.requests) == 2


def test_unknown_category_id_is_an_invalid_answer(fake: FakeAnthropic) -> None:
    fake.answer({**GOOD, "category_id": "cat-printers"})
    fake.answer(GOOD)

    result = llm(fake).triage(CATALOGUE, TICKET)

    assert result.answer.category_id == "cat-vpn"
    assert "cat-printers" in tool_result(fake.requests[1].body)["content"]


def test_unknown_agent_id_twice_makes_the_llm_unavailable(fake: FakeAnthropic) -> None:
    fake.answer({**GOOD, "agent_id": "agent-zed"})
    fake.answer({**GOOD, "agent_id": "agent-zed"})

    with pytest.raises(TriageUnavailable, match="agent-zed"):
        llm(fake).triage(CATALOGUE, TICKET)


def test_agent_outside_the_chosen_team_is_accepted(fake: FakeAnthropic) -> None:
    fake.answer({**GOOD, "agent_id": "agent-ben"})

    assert llm(fake).triage(CATALOGUE, TICKET).answer.agent_id == "agent-ben"


def test_reply_without_the_tool_call_is_asked_again(fake: FakeAnthropic) -> None:
    fake.say("I think this is a VPN problem.")
    fake.answer(GOOD)

    result = llm(fake).triage(CATALOGUE, TICKET)

    assert result.attempts == 2
    assert fake.requests[1].body["messages"] == fake.requests[0].body["messages"]


@pytest.mark.parametrize(
    ("status", "kind"),
    [(529, "overloaded_error"), (429, "rate_limit_error"), (500, "api_error")],
)
def test_api_error_makes_the_llm_unavailable_without_sdk_retries(
    fake: FakeAnthropic, status: int, kind: str
) -> None:
    fake.fail(status, kind, "try later")

    with pytest.raises(TriageUnavailable, match=f"HTTP {status} \\({kind}\\)"):
        llm(fake).triage(CATALOGUE, TICKET)
    assert len(fake.requests) == 1


def test_rejected_key_makes_the_llm_unavailable(fake: FakeAnthropic) -> None:
    with pytest.raises(TriageUnavailable, match="HTTP 401"):
        llm(fake, key="sk-ant-revoked").triage(CATALOGUE, TICKET)


def test_timeout_makes_the_llm_unavailable(fake: FakeAnthropic) -> None:
    fake.stall(2.0, GOOD)

    with pytest.raises(TriageUnavailable, match=r"did not answer within 0\.5 s"):
        llm(fake, timeout=0.5).triage(CATALOGUE, TICKET)
    assert len(fake.requests) == 1


def test_unreachable_api_makes_the_llm_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    triage = AnthropicTriage(lambda: API_KEY, MODEL, base_url=f"http://127.0.0.1:{port}")

    with pytest.raises(TriageUnavailable, match="could not be reached"):
        triage.triage(CATALOGUE, TICKET)


def test_no_key_means_not_configured_and_no_request(fake: FakeAnthropic) -> None:
    with pytest.raises(LlmNotConfigured):
        llm(fake, key=None).triage(CATALOGUE, TICKET)
    assert fake.requests == []


def test_rotated_key_is_used_on_the_next_call(fake: FakeAnthropic) -> None:
    keys = iter(["sk-ant-old", API_KEY])
    triage = AnthropicTriage(lambda: next(keys), MODEL, base_url=fake.url)
    fake.answer(GOOD)

    with pytest.raises(TriageUnavailable, match="HTTP 401"):
        triage.triage(CATALOGUE, TICKET)
    assert triage.triage(CATALOGUE, TICKET).answer.team_id == "team-infra"


# --- the key in Secrets Manager ----------------------------------------------------------------


@pytest.fixture
def secrets(settings: Settings) -> Any:
    return aws_client("secretsmanager", settings)


def test_secret_holding_the_raw_key_is_read_and_cached(settings: Settings, secrets: Any) -> None:
    name = f"{settings.table_name}/anthropic"
    secrets.create_secret(Name=name, SecretString="sk-ant-raw\n")
    read = secret_api_key(lambda: aws_client("secretsmanager", settings), name)

    assert read() == "sk-ant-raw"
    secrets.put_secret_value(SecretId=name, SecretString="sk-ant-rotated")
    assert read() == "sk-ant-raw"  # trusted for five minutes
    assert secret_api_key(lambda: secrets, name, seconds=0)() == "sk-ant-rotated"


def test_secret_holding_json_is_read(settings: Settings, secrets: Any) -> None:
    name = f"{settings.table_name}/anthropic"
    secrets.create_secret(Name=name, SecretString=json.dumps({"api_key": "sk-ant-json"}))

    assert secret_api_key(lambda: secrets, name)() == "sk-ant-json"


def test_missing_secret_or_key_reads_as_none(settings: Settings, secrets: Any) -> None:
    name = f"{settings.table_name}/anthropic"
    assert secret_api_key(lambda: secrets, name)() is None

    secrets.create_secret(Name=name, SecretString=json.dumps({"other": "x"}))
    assert secret_api_key(lambda: secrets, name)() is None


def test_secret_read_failure_makes_the_llm_unavailable() -> None:
    class Denied:
        def get_secret_value(self, SecretId: str) -> Any:  # noqa: N803 (boto3's spelling)
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetSecretValue"
            )

    with pytest.raises(TriageUnavailable, match="AccessDeniedException"):
        secret_api_key(Denied, "anthropic")()


# --- cold start --------------------------------------------------------------------------------


def test_importing_the_module_does_not_import_anthropic() -> None:
    code = (
        "import sys, mspdesk.triage.llm\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'anthropic'))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "shared")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"
