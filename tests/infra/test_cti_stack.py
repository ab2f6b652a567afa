"""The phone features in the dev stack: the webhook function behind public /cti routes, the
screen-pop WebSocket API, the secrets, and the event consumer. cdk-nag runs at synth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from functions.cti_events.consumer import EVENT_TYPES
from infra.app import build_app
from infra.sources import LambdaSources

pytestmark = pytest.mark.infra

WEBHOOK = "functions.cti_webhook.handler.handler"
CONSUMER = "functions.cti_events.handler.handler"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The stack as infra/stack.py builds it, with the phone consumer routed as
    mspdesk.routes routes it."""
    outdir: Path = tmp_path_factory.mktemp("cdk.out")
    app, stack = build_app(
        context={"stage": "dev", "region": "eu-west-2"},
        outdir=str(outdir),
        sources=LambdaSources.from_source(),
        routes={event_type: ("cti_events",) for event_type in EVENT_TYPES},
    )
    app.synth()  # fails on any unacknowledged cdk-nag finding
    return Template.from_stack(stack)


def resources(template: Template, cfn_type: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = template.find_resources(cfn_type)
    return found


def function(template: Template, handler: str) -> tuple[str, dict[str, Any]]:
    for logical_id, resource in resources(template, "AWS::Lambda::Function").items():
        if resource["Properties"]["Handler"] == handler:
            return logical_id, resource
    raise AssertionError(f"no function with handler {handler}")


def integration_targets(template: Template, api_type: str) -> dict[str, str]:
    """Route key -> the logical id of the function its integration calls."""
    integrations = resources(template, "AWS::ApiGatewayV2::Integration")
    out = {}
    for route in resources(template, "AWS::ApiGatewayV2::Route").values():
        props = route["Properties"]
        target = props.get("Target")
        if not target:
            continue
        integration_id = json.dumps(target).split('"Ref": "')[1].split('"')[0]
        uri = json.dumps(integrations[integration_id]["Properties"]["IntegrationUri"])
        api = json.dumps(props["ApiId"])
        if api_type in api:
            out[props["RouteKey"]] = uri
    return out


def test_webhook_routes_are_public_and_reach_the_webhook_function(template: Template) -> None:
    webhook_id, _ = function(template, WEBHOOK)
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    }
    for key in ("GET /cti/{proxy+}", "POST /cti/{proxy+}"):
        assert routes[key]["AuthorizationType"] == "NONE"
    assert routes["ANY /api/{proxy+}"]["AuthorizationType"] == "JWT"
    targets = integration_targets(template, "ApiHttpApi")
    assert webhook_id in targets["POST /cti/{proxy+}"]


def test_screen_pop_socket_routes_reach_the_webhook_function(template: Template) -> None:
    webhook_id, _ = function(template, WEBHOOK)
    [api] = [
        a["Properties"]
        for a in resources(template, "AWS::ApiGatewayV2::Api").values()
        if a["Properties"].get("ProtocolType") == "WEBSOCKET"
    ]
    assert api["Name"] == "mspdesk-dev-screen-pops"
    targets = integration_targets(template, "CtiScreenPops")
    assert set(targets) == {"$connect", "$disconnect", "$default"}
    assert all(webhook_id in uri for uri in targets.values())


def test_webhook_function_reads_its_secret_and_pushes_through_the_stage(template: Template) -> None:
    _, webhook = function(template, WEBHOOK)
    environment = webhook["Properties"]["Environment"]["Variables"]
    [secret_id] = [
        logical_id
        for logical_id in resources(template, "AWS::SecretsManager::Secret")
        if logical_id.startswith("Cti")
    ]
    assert environment["MSPDESK_CTI_SECRET_ARN"] == {"Ref": secret_id}
    assert "execute-api" in json.dumps(environment["MSPDESK_CTI_WEBSOCKET_ENDPOINT"])
    assert "MSPDESK_COGNITO_ISSUER" in environment
    role = webhook["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    pushes = [s for s in statements if s["Action"] == "execute-api:ManageConnections"]
    assert len(pushes) == 1
    assert "/live/POST/@connections/*" in json.dumps(pushes[0]["Resource"])
    reads = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    assert reads and reads[0]["Resource"] == {"Ref": secret_id}


def test_event_consumer_runs_one_container_and_hears_its_event_types(template: Template) -> None:
    consumer_id, consumer = function(template, CONSUMER)
    assert consumer["Properties"]["ReservedConcurrentExecutions"] == 1
    assert "MSPDESK_CTI_WEBSOCKET_ENDPOINT" in consumer["Properties"]["Environment"]["Variables"]
    rules = [
        r["Properties"]
        for r in resources(template, "AWS::Events::Rule").values()
        if consumer_id in json.dumps(r["Properties"].get("Targets", []))
    ]
    assert len(rules) == 1
    assert sorted(rules[0]["EventPattern"]["detail-type"]) == sorted(EVENT_TYPES)
