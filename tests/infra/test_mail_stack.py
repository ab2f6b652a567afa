"""The mail construct (infra/components/mail.py) in a stack of its own with the table, the bus
and the functions, synthesized with cdk-nag, and the mail routes wired to mail_outbound."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Match, Template

from infra.components.events import DeskEvents
from infra.components.functions import DeskFunctions
from infra.components.mail import ATTACHMENT_PREFIX, INBOUND_PREFIX, DeskMail
from infra.components.table import DeskTable
from infra.config import StageConfig
from infra.nag import add_checks
from infra.sources import LambdaSources

pytestmark = pytest.mark.infra

MAIL_ROUTES = {"TicketCreated": ("mail_outbound",), "ActionAdded": ("mail_outbound",)}
INGEST = "functions.ingest_email.handler.handler"
OUTBOUND = "functions.mail_outbound.handler.handler"
API = "functions.api.handler.handler"
WEB_ORIGIN = "https://desk.msp.example"


def _synth(outdir: Path, context: dict[str, Any]) -> tuple[Template, dict[str, Any]]:
    app = App(outdir=str(outdir), context=context)
    add_checks(app)
    config = StageConfig(stage="dev", region="eu-west-2")
    stack = Stack(app, "MailTest", env=Environment(region=config.region))
    table = DeskTable(stack, "Data", config=config)
    events = DeskEvents(stack, "Events", config=config)
    functions = DeskFunctions(
        stack,
        "Functions",
        config=config,
        sources=LambdaSources.from_source(),
        table=table,
        bus=events.bus,
    )
    mail = DeskMail(stack, "Mail", config=config, functions=functions)
    mail.serve_files(functions.add("api", asynchronous=False), [WEB_ORIGIN])
    events.route(functions, MAIL_ROUTES)
    app.synth()  # raises with cdk-nag's report on any unacknowledged finding
    report = json.loads((outdir / "validation-report.json").read_text())
    return Template.from_stack(stack), report


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Template, dict[str, Any]]:
    return _synth(
        tmp_path_factory.mktemp("cdk.out"),
        {"mail_from": "support@msp.example", "mail_recipients": "help@msp.example"},
    )


def _function(template: Template, handler: str) -> tuple[str, dict[str, Any]]:
    for logical_id, resource in template.find_resources("AWS::Lambda::Function").items():
        if resource["Properties"]["Handler"] == handler:
            return logical_id, dict(resource)
    raise AssertionError(f"no function {handler}")


def test_cdk_nag_reports_no_finding_left(synthesized: tuple[Template, dict[str, Any]]) -> None:
    _, report = synthesized
    violations = [v for r in report["pluginReports"] for v in r["violations"]]
    assert violations == []


def test_the_mail_bucket_is_encrypted_private_versioned_and_expires_mail(
    synthesized: tuple[Template, dict[str, Any]],
) -> None:
    template, _ = synthesized
    buckets = template.find_resources(
        "AWS::S3::Bucket", {"Properties": {"VersioningConfiguration": {"Status": "Enabled"}}}
    )
    assert len(buckets) == 1
    (bucket,) = buckets.values()
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["keep-raw"]["Prefix"] == INBOUND_PREFIX
    assert rules["keep-raw"]["ExpirationInDays"] == 730
    assert rules["keep-files"]["Prefix"] == ATTACHMENT_PREFIX
    assert "LoggingConfiguration" in props
    # Log delivery by bucket policy: no bucket of the construct uses the legacy ACLs.
    assert all(
        "AccessControl" not in b["Properties"]
        for b in template.find_resources("AWS::S3::Bucket").values()
    )


def test_the_receipt_rule_stores_the_mail_then_invokes_ingest_asynchronously(
    synthesized: tuple[Template, dict[str, Any]],
) -> None:
    template, _ = synthesized
    ingest_id, _ = _function(template, INGEST)
    (rule,) = template.find_resources("AWS::SES::ReceiptRule").values()
    spec = rule["Properties"]["Rule"]
    assert spec["Recipients"] == ["help@msp.example"]
    assert spec["ScanEnabled"] is True
    assert spec["TlsPolicy"] == "Require"
    first, second = spec["Actions"]
    assert first["S3Action"]["ObjectKeyPrefix"] == INBOUND_PREFIX
    assert second["LambdaAction"]["InvocationType"] == "Event"
    assert second["LambdaAction"]["FunctionArn"] == {"Fn::GetAtt": [ingest_id, "Arn"]}
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {"Principal": "ses.amazonaws.com", "FunctionName": {"Fn::GetAtt": [ingest_id, "Arn"]}},
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:PutObject",
                                "Principal": {"Service": "ses.amazonaws.com"},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_ingest_has_a_dead_letter_queue_and_reads_only_received_mail(
    synthesized: tuple[Template, dict[str, Any]],
) -> None:
    template, _ = synthesized
    _, ingest = _function(template, INGEST)
    props = ingest["Properties"]
    assert "TargetArn" in props["DeadLetterConfig"]
    env = props["Environment"]["Variables"]
    assert env["MSPDESK_INBOUND_PREFIX"] == INBOUND_PREFIX
    assert "MSPDESK_INGEST_DLQ_URL" in env
    assert _object_grants(template, INGEST) == {
        ("s3:GetObject", f"/{INBOUND_PREFIX}*"),
        ("s3:PutObject", f"/{ATTACHMENT_PREFIX}*"),
    }


def test_the_api_signs_uploads_and_downloads_and_reads_mail_it_assigns(
    synthesized: tuple[Template, dict[str, Any]],
) -> None:
    template, _ = synthesized
    _, api = _function(template, API)
    env = api["Properties"]["Environment"]["Variables"]
    assert env["MSPDESK_ATTACHMENT_PREFIX"] == ATTACHMENT_PREFIX
    assert "MSPDESK_MAIL_BUCKET" in env
    assert _object_grants(template, API) == {
        ("s3:GetObject", f"/{INBOUND_PREFIX}*"),
        ("s3:GetObject", f"/{ATTACHMENT_PREFIX}*"),
        ("s3:PutObject", f"/{ATTACHMENT_PREFIX}*"),
    }
    assert _object_grants(template, OUTBOUND) == {("s3:GetObject", f"/{ATTACHMENT_PREFIX}*")}
    (bucket,) = [
        b
        for b in template.find_resources("AWS::S3::Bucket").values()
        if "CorsConfiguration" in b["Properties"]
    ]
    (rule,) = bucket["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["POST"]
    assert rule["AllowedOrigins"] == [WEB_ORIGIN]
    unclaimed = next(
        r
        for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]
        if r["Id"] == "unclaimed-uploads"
    )
    assert (unclaimed["Prefix"], unclaimed["ExpirationInDays"]) == (
        f"{ATTACHMENT_PREFIX}uploads/",
        2,
    )
    # A missing file must be a 404 to the API (an upload never sent), not S3's 403.
    lists = [
        s
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "s3:ListBucket"
    ]
    assert lists


def _object_grants(template: Template, handler: str) -> set[tuple[str, str]]:
    """(action, key pattern) of the S3 object grants of one function's role."""
    _, function = _function(template, handler)
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return {
        (statement["Action"], statement["Resource"]["Fn::Join"][1][-1])
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] in ("s3:GetObject", "s3:PutObject")
    }


def test_mail_outbound_consumes_ticket_events_and_may_send_from_the_identity_only(
    synthesized: tuple[Template, dict[str, Any]],
) -> None:
    template, _ = synthesized
    outbound_id, outbound = _function(template, OUTBOUND)
    assert outbound["Properties"]["Environment"]["Variables"]["MSPDESK_MAIL_FROM"] == (
        "support@msp.example"
    )
    (rule,) = template.find_resources(
        "AWS::Events::Rule",
        {
            "Properties": {
                "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [outbound_id, "Arn"]}})]
            }
        },
    ).values()
    assert sorted(rule["Properties"]["EventPattern"]["detail-type"]) == [
        "ActionAdded",
        "TicketCreated",
    ]
    sends = [
        s
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "ses:SendRawEmail"
    ]
    assert len(sends) == 1
    text = json.dumps(sends[0]["Resource"])
    assert "identity/support@msp.example" in text
    assert "identity/msp.example" in text
