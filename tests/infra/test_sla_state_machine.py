"""The SLA timers' state machine as the CDK app synthesizes it: the waits and checks of
DESIGN section 5, logging and tracing for cdk-nag, and exactly the permissions each side
needs (no reference cycle between the function and the state machine)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.infra.support import Synth, arn_of, ref, synth

pytestmark = pytest.mark.infra

SLA_HANDLER = "functions.sla_monitor.handler.handler"
MACHINE_ARN = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":states:eu-west-2:",
            {"Ref": "AWS::AccountId"},
            ":stateMachine:mspdesk-dev-eu-west-2-sla-timers",
        ],
    ]
}


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(
        tmp_path_factory.mktemp("cdk.out"),
        context={"stage": "dev", "region": "eu-west-2", "sla_sender": "sla@msp.example"},
    )


def states(dev: Synth) -> dict[str, Any]:
    _, machine = dev.one("AWS::StepFunctions::StateMachine")
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else "X" for p in parts)
    found: dict[str, Any] = json.loads(text)["States"]
    return found


def test_the_timer_waits_until_the_warning_checks_then_waits_until_the_breach(dev: Synth) -> None:
    found = states(dev)
    assert found["UntilWarning"] == {
        "Type": "Wait",
        "TimestampPath": "$.warn_at",
        "Next": "CheckWarning",
    }
    assert found["CheckWarning"]["Next"] == "AfterWarning"
    assert found["CheckWarning"]["Parameters"]["Payload"] == {
        "sla_check": {
            "number.$": "$.number",
            "clock.$": "$.clock",
            "version.$": "$.version",
            "stage": "warning",
        }
    }
    assert found["CheckWarning"]["ResultPath"] == "$.check"
    choices = {c["StringEquals"]: c["Next"] for c in found["AfterWarning"]["Choices"]}
    assert choices == {"continue": "UntilBreach", "early": "EarlyForWarning"}
    assert found["EarlyForWarning"] == {"Type": "Wait", "Seconds": 5, "Next": "UntilWarning"}
    assert found[found["AfterWarning"]["Default"]]["Type"] == "Succeed"  # stale, paused, met
    assert found["UntilBreach"]["TimestampPath"] == "$.breach_at"
    assert found["CheckBreach"]["Parameters"]["Payload"]["sla_check"]["stage"] == "breach"
    assert {c["StringEquals"]: c["Next"] for c in found["AfterBreach"]["Choices"]} == {
        "early": "EarlyForBreach"
    }
    assert found["EarlyForBreach"]["Next"] == "UntilBreach"
    retried = {e for r in found["CheckBreach"]["Retry"] for e in r["ErrorEquals"]}
    assert "States.TaskFailed" in retried


def test_the_timer_is_a_standard_workflow_that_logs_everything_and_traces(dev: Synth) -> None:
    _, machine = dev.one("AWS::StepFunctions::StateMachine")
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["StateMachineName"] == "mspdesk-dev-eu-west-2-sla-timers"
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["TracingConfiguration"] == {"Enabled": True}
    (log_group_id,) = [
        i
        for i, g in dev.resources("AWS::Logs::LogGroup").items()
        if str(g["Properties"].get("LogGroupName", "")).startswith("/aws/vendedlogs/states/")
    ]
    assert props["LoggingConfiguration"]["Destinations"] == [
        {"CloudWatchLogsLogGroup": {"LogGroupArn": arn_of(log_group_id)}}
    ]


def test_the_state_machine_may_invoke_the_monitor_and_nothing_else_by_name(dev: Synth) -> None:
    sla_id, _ = dev.function(SLA_HANDLER)
    _, machine = dev.one("AWS::StepFunctions::StateMachine")
    role_id = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    policies = [
        p
        for p in dev.resources("AWS::IAM::Policy").values()
        if ref(role_id) in p["Properties"]["Roles"]
    ]
    (policy,) = policies
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    invoke = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
    assert [s["Resource"] for s in invoke] == [arn_of(sla_id)]
    wildcard = [s for s in statements if s["Resource"] == "*"]
    assert all(a.startswith(("logs:", "xray:")) for s in wildcard for a in s["Action"]), (
        "only log delivery and X-Ray take Resource *"
    )


def test_the_monitor_knows_the_state_machine_by_a_fixed_arn_and_may_start_it(dev: Synth) -> None:
    _, sla = dev.function(SLA_HANDLER)
    env = sla["Properties"]["Environment"]["Variables"]
    assert env["MSPDESK_SLA_STATE_MACHINE_ARN"] == MACHINE_ARN
    assert env["MSPDESK_SLA_SENDER"] == "sla@msp.example"
    role_id = sla["Properties"]["Role"]["Fn::GetAtt"][0]
    dev.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [ref(role_id)],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Action": "states:StartExecution", "Resource": MACHINE_ARN}
                        ),
                        Match.object_like({"Action": "ses:SendEmail"}),
                    ]
                )
            },
        },
    )


def test_the_sla_monitor_leaves_no_cdk_nag_finding(dev: Synth) -> None:
    findings = [
        v["ruleName"]
        for report in dev.validation_report()["pluginReports"]
        for v in report["violations"]
    ]
    assert findings == []


def test_the_one_acknowledgment_is_for_logging_and_tracing(dev: Synth) -> None:
    acknowledged = [
        (resource["Type"], rule["id"])
        for logical_id, resource in dev.template.to_json()["Resources"].items()
        if logical_id.startswith("SlaMonitor")
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert acknowledged == [("AWS::IAM::Policy", "AwsSolutions-IAM5[Resource::*]")]
