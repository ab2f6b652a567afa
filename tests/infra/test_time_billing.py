"""The nightly billing construct on a stack of its own (table, bus, functions, TimeBilling), as
infra/stack.py wires it, synthesized with cdk-nag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Match, Template

from infra.components.events import DeskEvents
from infra.components.functions import DeskFunctions
from infra.components.table import DeskTable
from infra.components.time_billing import MAX_RECEIVES, TimeBilling
from infra.config import StageConfig
from infra.nag import add_checks
from infra.sources import LambdaSources
from tests.infra.support import arn_of, ref

pytestmark = pytest.mark.infra

HANDLER = "functions.time_billing.handler.handler"


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Template, dict[str, Any]]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(outdir), context={"time_zone": "Europe/Dublin"})
    add_checks(app)
    config = StageConfig(stage="test")
    stack = Stack(app, "Billing", env=Environment(region=config.region))
    table = DeskTable(stack, "Data", config=config)
    bus = DeskEvents(stack, "Events", config=config).bus
    functions = DeskFunctions(
        stack,
        "Functions",
        config=config,
        sources=LambdaSources.from_source(),
        table=table,
        bus=bus,
    )
    TimeBilling(stack, "TimeBilling", functions=functions)
    app.synth()  # fails with cdk-nag's report on any unacknowledged finding
    report = json.loads((Path(outdir) / "validation-report.json").read_text())
    return Template.from_stack(stack), report


def _function(template: Template) -> tuple[str, dict[str, Any]]:
    for logical_id, resource in template.find_resources("AWS::Lambda::Function").items():
        if resource["Properties"]["Handler"] == HANDLER:
            return logical_id, resource
    raise AssertionError("no time_billing function")


def _queues(template: Template) -> tuple[str, str]:
    """(jobs queue, its dead-letter queue) logical ids."""
    for logical_id, queue in template.find_resources("AWS::SQS::Queue").items():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            return logical_id, redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
    raise AssertionError("no queue with a redrive policy")


def _statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if ref(role_id) in policy["Properties"]["Roles"]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_cdk_nag_has_no_finding_and_nothing_is_acknowledged(
    synth: tuple[Template, dict[str, Any]],
) -> None:
    template, report = synth
    findings = [v["ruleName"] for r in report["pluginReports"] for v in r["violations"]]
    assert findings == []
    acknowledged = [
        (resource["Type"], rule["id"])
        for resource in template.to_json()["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert acknowledged == [("AWS::Lambda::Function", "AwsSolutions-L1")]


def test_nightly_schedule_runs_in_the_msps_time_zone_with_retries_and_a_dlq(
    synth: tuple[Template, dict[str, Any]],
) -> None:
    template, _ = synth
    function_id, function = _function(template)
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "cron(30 1 * * ? *)",
            "ScheduleExpressionTimezone": "Europe/Dublin",
            "State": "ENABLED",
            "Target": {
                "Arn": arn_of(function_id),
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 21600},
                "DeadLetterConfig": {"Arn": Match.any_value()},
            },
        },
    )
    # The schedule's failed deliveries go where the function's own failed invocations go.
    schedule = next(iter(template.find_resources("AWS::Scheduler::Schedule").values()))
    dead_letters = schedule["Properties"]["Target"]["DeadLetterConfig"]["Arn"]
    assert dead_letters == {
        "Fn::GetAtt": [
            function["Properties"]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0],
            "Arn",
        ]
    }


def test_jobs_queue_is_encrypted_and_dead_letters_after_a_few_receives(
    synth: tuple[Template, dict[str, Any]],
) -> None:
    template, _ = synth
    queue_id, dlq_id = _queues(template)
    queue = template.find_resources("AWS::SQS::Queue")[queue_id]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
    assert queue["SqsManagedSseEnabled"] is True
    _, function = _function(template)
    # Six times the function's timeout: a batch in flight is never handed out twice.
    assert queue["VisibilityTimeout"] == 6 * function["Properties"]["Timeout"]
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
            "Threshold": 1,
        },
    )


def test_worker_consumes_the_queue_in_batches_reporting_failed_messages_only(
    synth: tuple[Template, dict[str, Any]],
) -> None:
    template, _ = synth
    function_id, function = _function(template)
    queue_id, _ = _queues(template)
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": arn_of(queue_id),
            "FunctionName": ref(function_id),
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": 10},
        },
    )
    assert function["Properties"]["Environment"]["Variables"]["MSPDESK_BILLING_QUEUE_URL"] == ref(
        queue_id
    )


def test_function_may_send_to_and_consume_its_queue_only(
    synth: tuple[Template, dict[str, Any]],
) -> None:
    template, _ = synth
    _, function = _function(template)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    queue_id, _ = _queues(template)
    sqs_statements = [
        s for s in _statements(template, role_id) if any(a.startswith("sqs:") for a in _actions(s))
    ]
    granted = {a for s in sqs_statements for a in _actions(s)}
    assert {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"} <= granted
    assert not any(a.endswith("*") for a in granted)
    resources = {json.dumps(s["Resource"], sort_keys=True) for s in sqs_statements}
    dlq_sends = [s for s in sqs_statements if s["Resource"] != arn_of(queue_id)]
    # Besides its own queue, only the function's dead-letter queue (async invokes) for sends.
    assert all(_actions(s) == ["sqs:SendMessage"] for s in dlq_sends)
    assert json.dumps(arn_of(queue_id), sort_keys=True) in resources


def test_scheduler_role_may_only_invoke_the_billing_function(
    synth: tuple[Template, dict[str, Any]],
) -> None:
    template, _ = synth
    function_id, _ = _function(template)
    roles = {
        logical_id: role
        for logical_id, role in template.find_resources("AWS::IAM::Role").items()
        if "scheduler.amazonaws.com" in json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
    }
    assert len(roles) == 1
    (role_id,) = roles
    invoke = [s for s in _statements(template, role_id) if "lambda:InvokeFunction" in _actions(s)]
    assert invoke
    for statement in invoke:
        targets = statement["Resource"]
        targets = targets if isinstance(targets, list) else [targets]
        assert all(function_id in json.dumps(t) for t in targets)
