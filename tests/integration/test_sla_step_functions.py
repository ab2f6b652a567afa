"""The Step Functions timer adapter against moto's server: one execution per ticket, clock and
SLA version, a second start of the same timer refused, an ended one repaired."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from mspdesk.adapters.sla_timers import StepFunctionsTimers, execution_input, timestamp
from mspdesk.config import Settings
from mspdesk.domain.sla import SlaTimer
from mspdesk.runtime import aws_client

WARN = datetime(2026, 3, 2, 11, 30, 0, 250_000, tzinfo=UTC)
BREACH = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def sfn(settings: Settings) -> Any:
    return aws_client("stepfunctions", settings)


@pytest.fixture
def machine(sfn: Any, settings: Settings) -> str:
    arn: str = sfn.create_state_machine(
        name=f"{settings.table_name}-sla-timers",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/sla-timers",
    )["stateMachineArn"]
    return arn


def executions(sfn: Any, machine: str) -> dict[str, str]:
    listed = sfn.list_executions(stateMachineArn=machine)["executions"]
    return {e["name"]: e["status"] for e in listed}


def test_a_timer_starts_one_execution_named_after_its_ticket_clock_and_version(
    sfn: Any, machine: str
) -> None:
    timers = StepFunctionsTimers(sfn, machine)
    timer = SlaTimer(42, "response", 3, WARN, BREACH)
    assert timers.start(timer)
    assert executions(sfn, machine) == {"ticket-42-response-v3": "RUNNING"}
    arn = machine.replace(":stateMachine:", ":execution:") + ":ticket-42-response-v3"
    started = json.loads(sfn.describe_execution(executionArn=arn)["input"])
    assert started == {
        "number": 42,
        "clock": "response",
        "version": 3,
        "warn_at": "2026-03-02T11:30:01Z",  # rounded up: a Wait never ends early
        "breach_at": "2026-03-02T12:00:00Z",
    }
    assert started == execution_input(timer)


def test_the_next_sla_version_is_a_new_execution_beside_the_stale_one(
    sfn: Any, machine: str
) -> None:
    timers = StepFunctionsTimers(sfn, machine)
    assert timers.start(SlaTimer(42, "response", 1, WARN, BREACH))
    assert timers.start(SlaTimer(42, "response", 2, WARN, BREACH))
    assert set(executions(sfn, machine)) == {"ticket-42-response-v1", "ticket-42-response-v2"}


def test_ensure_leaves_a_waiting_timer_alone_and_replaces_an_ended_one(
    sfn: Any, machine: str
) -> None:
    timers = StepFunctionsTimers(sfn, machine)
    timer = SlaTimer(7, "resolution", 1, WARN, BREACH)
    timers.start(timer)
    assert not timers.ensure(timer, NOW)
    assert len(executions(sfn, machine)) == 1
    arn = machine.replace(":stateMachine:", ":execution:") + ":" + timer.name
    sfn.stop_execution(executionArn=arn)  # lost: aborted, failed or timed out
    assert not timers.start(timer)  # its name stays taken
    assert timers.ensure(timer, NOW)
    repair = f"{timer.name}-r{int(NOW.timestamp())}"
    assert executions(sfn, machine) == {timer.name: "ABORTED", repair: "RUNNING"}


def test_timestamps_are_rfc3339_utc_whole_seconds() -> None:
    assert timestamp(datetime(2026, 3, 2, 11, 30, tzinfo=UTC)) == "2026-03-02T11:30:00Z"
    assert timestamp(datetime(2026, 3, 2, 11, 59, 59, 1, tzinfo=UTC)) == "2026-03-02T12:00:00Z"
