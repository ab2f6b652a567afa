"""infra.nag on a stack of its own: the checks fail synth on an unacknowledged error, and an
acknowledgment with its reason lets synth through and is kept in the template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs

from infra.nag import acknowledge, add_checks

pytestmark = pytest.mark.infra

RULES = ("AwsSolutions-SQS2", "AwsSolutions-SQS3", "AwsSolutions-SQS4")


def app_with_a_plain_queue(outdir: Path) -> tuple[App, sqs.Queue]:
    app = App(outdir=str(outdir))
    add_checks(app)
    queue = sqs.Queue(Stack(app, "Plain"), "Queue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    return app, queue


def test_an_unacknowledged_error_fails_synth_with_the_rule(tmp_path: Path) -> None:
    app, _ = app_with_a_plain_queue(tmp_path)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for r in report["pluginReports"] for v in r["violations"]}
    assert set(RULES) <= rules


def test_an_acknowledged_finding_passes_and_keeps_its_reason(tmp_path: Path) -> None:
    app, queue = app_with_a_plain_queue(tmp_path)
    for rule in RULES:
        acknowledge(queue, rule, f"{rule} does not apply to this test queue")
    app.synth()
    template = json.loads((tmp_path / "Plain.template.json").read_text())
    (resource,) = template["Resources"].values()
    assert resource["Metadata"]["cdk_nag"]["rules_to_suppress"] == [
        {"id": rule, "reason": f"{rule} does not apply to this test queue"} for rule in RULES
    ]
