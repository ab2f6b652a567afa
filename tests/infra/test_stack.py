"""The dev stack as `make synth` builds it, with the route table as it is today."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match

from infra.components.http_api import PROTECTED_PATHS, PUBLIC_PATHS
from infra.components.identity import GROUPS
from mspdesk.store import table as definition
from tests.infra.support import Synth, arn_of, ref, synth

pytestmark = pytest.mark.infra

API_HANDLER = "functions.api.handler.handler"
SLA_HANDLER = "functions.sla_monitor.handler.handler"


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(
        tmp_path_factory.mktemp("cdk.out"), context={"stage": "dev", "region": "eu-west-2"}
    )


def desk_layer(dev: Synth) -> tuple[str, dict[str, Any]]:
    """The shared library's layer (the web deployment's handler brings the AWS CLI's)."""
    (found,) = [
        (logical_id, layer)
        for logical_id, layer in dev.resources("AWS::Lambda::LayerVersion").items()
        if layer["Properties"].get("Description", "").startswith("mspdesk")
    ]
    return found


def statements(dev: Synth, role_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in dev.resources("AWS::IAM::Policy").values():
        if ref(role_id) in policy["Properties"]["Roles"]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def nag_acknowledgments(dev: Synth) -> Iterator[tuple[str, str, str]]:
    for resource in dev.template.to_json()["Resources"].values():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            yield resource["Type"], rule["id"], rule["reason"]


# --- the table -----------------------------------------------------------------------------


def test_table_keys_and_attributes_come_from_the_store_definition(dev: Synth) -> None:
    request = definition.create_table_request("any")
    _, table = dev.one("AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["KeySchema"] == request["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        request["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )


def test_every_index_of_the_store_is_a_gsi_projecting_all_attributes(dev: Synth) -> None:
    _, table = dev.one("AWS::DynamoDB::Table")
    indexes = {i["IndexName"]: i for i in table["Properties"]["GlobalSecondaryIndexes"]}
    assert set(indexes) == {index.name for index in definition.INDEXES}
    for index in definition.INDEXES:
        assert indexes[index.name]["KeySchema"] == [
            {"AttributeName": index.pk, "KeyType": "HASH"},
            {"AttributeName": index.sk, "KeyType": "RANGE"},
        ]
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}


def test_table_is_on_demand_with_pitr_and_ttl(dev: Synth) -> None:
    dev.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "TimeToLiveSpecification": {
                "AttributeName": definition.TTL_ATTRIBUTE,
                "Enabled": True,
            },
        },
    )


def test_table_is_encrypted_with_its_own_rotating_key(dev: Synth) -> None:
    key_id, _ = dev.one("AWS::KMS::Key")
    dev.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    dev.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "SSESpecification": {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": arn_of(key_id),
            }
        },
    )


def test_dev_table_goes_with_the_stack(dev: Synth) -> None:
    _, table = dev.one("AWS::DynamoDB::Table")
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"].get("DeletionProtectionEnabled") in (None, False)


# --- events --------------------------------------------------------------------------------


def test_event_bus_is_named_after_the_stage(dev: Synth) -> None:
    dev.template.has_resource_properties("AWS::Events::EventBus", {"Name": "mspdesk-dev"})


def test_the_bus_has_one_rule_per_consumer_of_the_route_table(dev: Synth) -> None:
    from mspdesk.routes import ROUTES, event_types_of

    on_bus = [
        rule["Properties"]["EventPattern"]["detail-type"]
        for rule in dev.resources("AWS::Events::Rule").values()
        if "EventBusName" in rule["Properties"]
    ]
    consumers = {c for targets in ROUTES.values() for c in targets}
    assert sorted(map(sorted, on_bus)) == sorted(event_types_of(c) for c in consumers)


# --- identity ------------------------------------------------------------------------------


def test_user_pool_signs_in_by_email_with_strong_passwords_and_optional_mfa(dev: Synth) -> None:
    dev.template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UsernameAttributes": ["email"],
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "MfaConfiguration": "OPTIONAL",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": Match.any_value(),
                    "RequireLowercase": True,
                    "RequireUppercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": True,
                }
            },
            "UserPoolTier": "PLUS",
            "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
        },
    )
    _, pool = dev.one("AWS::Cognito::UserPool")
    assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12


def test_user_pool_has_the_admin_agent_and_end_user_groups(dev: Synth) -> None:
    pool_id, _ = dev.one("AWS::Cognito::UserPool")
    groups = dev.resources("AWS::Cognito::UserPoolGroup").values()
    assert {g["Properties"]["GroupName"] for g in groups} == {"admin", "agent", "end-user"}
    assert set(GROUPS) == {"admin", "agent", "end-user"}
    assert all(g["Properties"]["UserPoolId"] == ref(pool_id) for g in groups)


def test_web_client_has_no_secret_and_signs_in_with_srp(dev: Synth) -> None:
    _, client = dev.one("AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    assert props.get("GenerateSecret") in (None, False)
    assert "ALLOW_USER_SRP_AUTH" in props["ExplicitAuthFlows"]
    assert props["PreventUserExistenceErrors"] == "ENABLED"


# --- the HTTP API --------------------------------------------------------------------------


def route(dev: Synth, route_key: str) -> dict[str, Any]:
    for resource in dev.resources("AWS::ApiGatewayV2::Route").values():
        if resource["Properties"]["RouteKey"] == route_key:
            return dict(resource["Properties"])
    raise AssertionError(f"no route {route_key}")


def test_api_portal_and_catch_all_routes_need_a_cognito_jwt(dev: Synth) -> None:
    authorizer_id, _ = dev.one("AWS::ApiGatewayV2::Authorizer")
    for route_key in (*(f"ANY {path}" for path in PROTECTED_PATHS), "$default"):
        props = route(dev, route_key)
        assert props["AuthorizationType"] == "JWT", route_key
        assert props["AuthorizerId"] == ref(authorizer_id), route_key
    assert set(PROTECTED_PATHS) == {"/api/{proxy+}", "/portal/api/{proxy+}"}


def test_health_and_openapi_answer_without_a_token(dev: Synth) -> None:
    assert set(PUBLIC_PATHS) == {"/health", "/openapi.json"}
    for path in PUBLIC_PATHS:
        assert route(dev, f"GET {path}")["AuthorizationType"] == "NONE"


def test_jwt_authorizer_trusts_the_pool_and_the_web_client_only(dev: Synth) -> None:
    pool_id, _ = dev.one("AWS::Cognito::UserPool")
    client_id, _ = dev.one("AWS::Cognito::UserPoolClient")
    _, authorizer = dev.one("AWS::ApiGatewayV2::Authorizer")
    props = authorizer["Properties"]
    assert props["AuthorizerType"] == "JWT"
    assert props["IdentitySource"] == ["$request.header.Authorization"]
    assert props["JwtConfiguration"]["Audience"] == [ref(client_id)]
    assert props["JwtConfiguration"]["Issuer"] == {
        "Fn::Join": ["", ["https://cognito-idp.eu-west-2.amazonaws.com/", ref(pool_id)]]
    }


def _http_api(dev: Synth) -> str:
    (api_id,) = [
        logical_id
        for logical_id, api in dev.resources("AWS::ApiGatewayV2::Api").items()
        if api["Properties"].get("ProtocolType") == "HTTP"
    ]
    return api_id


def test_the_api_function_serves_every_http_route_but_the_phone_webhooks(dev: Synth) -> None:
    api_id, _ = dev.function(API_HANDLER)
    webhook_id, _ = dev.function("functions.cti_webhook.handler.handler")
    on_http_api = [
        integration["Properties"]
        for integration in dev.resources("AWS::ApiGatewayV2::Integration").values()
        if integration["Properties"]["ApiId"] == ref(_http_api(dev))
    ]
    targets = [props["IntegrationUri"] for props in on_http_api]
    assert arn_of(api_id) in targets
    assert set(map(str, targets)) == {str(arn_of(api_id)), str(arn_of(webhook_id))}
    assert all(props["PayloadFormatVersion"] == "2.0" for props in on_http_api)


def test_stage_logs_every_request_without_personal_data_and_throttles(dev: Synth) -> None:
    (stage,) = [
        stage
        for stage in dev.resources("AWS::ApiGatewayV2::Stage").values()
        if stage["Properties"]["ApiId"] == ref(_http_api(dev))
    ]
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    fields = json.loads(props["AccessLogSettings"]["Format"])
    assert fields["requestId"] == "$context.requestId"
    assert not any("sourceIp" in v or "claims" in v for v in fields.values())
    assert props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][1] == "Arn"


# --- functions -----------------------------------------------------------------------------


def test_api_function_runs_the_fastapi_handler_with_its_settings(dev: Synth) -> None:
    table_id, _ = dev.one("AWS::DynamoDB::Table")
    bus_id, _ = dev.one("AWS::Events::EventBus")
    client_id, _ = dev.one("AWS::Cognito::UserPoolClient")
    layer_id, _ = desk_layer(dev)
    _, api = dev.function(API_HANDLER)
    props = api["Properties"]
    assert props["Runtime"] == "python3.11"
    assert props["Layers"] == [ref(layer_id)]
    env = props["Environment"]["Variables"]
    assert env["MSPDESK_TABLE_NAME"] == ref(table_id)
    assert env["MSPDESK_EVENT_BUS_NAME"] == ref(bus_id)
    # A JSON list, as pydantic-settings reads list[str] from the environment.
    assert env["MSPDESK_COGNITO_CLIENT_IDS"] == {"Fn::Join": ["", ['["', ref(client_id), '"]']]}
    assert "MSPDESK_LOCAL_MODE" not in env
    assert "MSPDESK_DEV_TOKEN_SECRET" not in env


def test_api_function_expects_the_issuer_the_authorizer_checks(dev: Synth) -> None:
    _, api = dev.function(API_HANDLER)
    _, authorizer = dev.one("AWS::ApiGatewayV2::Authorizer")
    issuer = api["Properties"]["Environment"]["Variables"]["MSPDESK_COGNITO_ISSUER"]
    assert issuer == authorizer["Properties"]["JwtConfiguration"]["Issuer"]


def test_api_asset_holds_the_api_function_and_nothing_else(dev: Synth) -> None:
    _, api = dev.function(API_HANDLER)
    asset = dev.outdir / f"asset.{api['Properties']['Code']['S3Key'].removesuffix('.zip')}"
    files = {str(p.relative_to(asset)) for p in asset.rglob("*") if p.is_file()}
    assert "functions/__init__.py" in files
    assert "functions/api/handler.py" in files
    assert all(f == "functions/__init__.py" or f.startswith("functions/api/") for f in files)
    assert not any("__pycache__" in f for f in files)


def test_layer_holds_the_shared_library(dev: Synth) -> None:
    _, layer = desk_layer(dev)
    asset = dev.outdir / f"asset.{layer['Properties']['Content']['S3Key'].removesuffix('.zip')}"
    assert (asset / "python" / "mspdesk" / "store" / "table.py").is_file()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.11"]


def test_sla_monitor_runs_every_five_minutes_with_retries_and_a_dead_letter_queue(
    dev: Synth,
) -> None:
    sla_id, sla = dev.function(SLA_HANDLER)
    queue_id = sla["Properties"]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
    dev.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(5 minutes)",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": arn_of(sla_id),
                        "DeadLetterConfig": {"Arn": arn_of(queue_id)},
                        "RetryPolicy": Match.object_like({"MaximumRetryAttempts": 2}),
                    }
                )
            ],
        },
    )
    dev.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"FunctionName": ref(sla_id), "MaximumRetryAttempts": 1},
    )
    env = sla["Properties"]["Environment"]["Variables"]
    assert {"MSPDESK_TABLE_NAME", "MSPDESK_EVENT_BUS_NAME"} <= env.keys()


def test_dead_letter_queues_are_encrypted_and_refuse_plain_http(dev: Synth) -> None:
    queues = dev.resources("AWS::SQS::Queue")
    assert queues
    for queue_id, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        dev.template.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [ref(queue_id)],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                },
            },
        )


def _lambda_roles(dev: Synth) -> list[str]:
    """The functions' roles (schedulers and state machines have roles of their own, and the
    web app's deployment handler, the CDK's BucketDeployment, only copies files)."""
    return [
        role_id
        for role_id, role in dev.resources("AWS::IAM::Role").items()
        if "lambda.amazonaws.com" in str(role["Properties"]["AssumeRolePolicyDocument"])
        and not role_id.startswith("WebDeployRole")
    ]


def test_functions_may_use_the_table_and_its_indexes_by_name_but_never_scan(dev: Synth) -> None:
    table_id, _ = dev.one("AWS::DynamoDB::Table")
    for role_id in _lambda_roles(dev):
        table_statements = [
            s
            for s in statements(dev, role_id)
            if any(a.startswith("dynamodb:") for a in actions(s))
        ]
        assert len(table_statements) == 1, role_id
        (statement,) = table_statements
        assert "dynamodb:Scan" not in actions(statement)
        assert not any(a.endswith("*") for a in actions(statement))
        index_arns = [
            {"Fn::Join": ["", [arn_of(table_id), f"/index/{index.name}"]]}
            for index in definition.INDEXES
        ]
        assert statement["Resource"] == [arn_of(table_id), *index_arns]


def test_functions_may_put_events_on_the_desk_bus_only(dev: Synth) -> None:
    bus_id, _ = dev.one("AWS::Events::EventBus")
    for role_id in _lambda_roles(dev):
        put = [s for s in statements(dev, role_id) if "events:PutEvents" in actions(s)]
        assert [s["Resource"] for s in put] == [arn_of(bus_id)], role_id


def test_roles_use_no_managed_policy(dev: Synth) -> None:
    for role in dev.resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


# --- checks --------------------------------------------------------------------------------


def test_cdk_nag_reports_no_finding_left(dev: Synth) -> None:
    findings = [
        (violation["ruleName"], [c["constructPath"] for c in violation["violatingConstructs"]])
        for report in dev.validation_report()["pluginReports"]
        for violation in report["violations"]
    ]
    assert findings == []


def test_cdk_nag_acknowledgments_are_the_reasoned_few(dev: Synth) -> None:
    acknowledged = list(nag_acknowledgments(dev))
    assert {(cfn_type, rule) for cfn_type, rule, _ in acknowledged} == {
        ("AWS::Cognito::UserPool", "AwsSolutions-COG2"),
        ("AWS::Lambda::Function", "AwsSolutions-L1"),
        ("AWS::ApiGatewayV2::Route", "AwsSolutions-APIG4"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Resource::*]"),
        ("AWS::SecretsManager::Secret", "AwsSolutions-SMG4"),
        ("AWS::S3::Bucket", "AwsSolutions-S1"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Resource::<MailBucketC2C0137B.Arn>/inbound/*]"),
        (
            "AWS::IAM::Policy",
            "AwsSolutions-IAM5[Resource::<MailBucketC2C0137B.Arn>/attachments/*]",
        ),
        (
            "AWS::IAM::Policy",
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:eu-west-2:"
            "<AWS::AccountId>:<CtiScreenPops6AF1DAD5>/live/POST/@connections/*]",
        ),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Resource::<TriageBucketF2EDC38C.Arn>/*]"),
        # The web app (infra/components/web.py): the distribution and the CDK's deployment.
        ("AWS::CloudFront::Distribution", "AwsSolutions-CFR1"),
        ("AWS::CloudFront::Distribution", "AwsSolutions-CFR2"),
        ("AWS::CloudFront::Distribution", "AwsSolutions-CFR3"),
        ("AWS::CloudFront::Distribution", "AwsSolutions-CFR4"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Action::s3:GetObject*]"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Action::s3:GetBucket*]"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Action::s3:List*]"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Action::s3:DeleteObject*]"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Action::s3:Abort*]"),
        (
            "AWS::IAM::Policy",
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::"
            "cdk-hnb659fds-assets-<AWS::AccountId>-eu-west-2/*]",
        ),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Resource::<WebBucketE51352C0.Arn>/*]"),
    }
    assert all(len(reason) > 40 for _, _, reason in acknowledged)


def test_assets_from_the_sources_carry_a_warning_against_deploying_them(dev: Synth) -> None:
    Annotations.from_stack(dev.stack).has_warning(
        "*", Match.string_like_regexp("run `make package` before deploying")
    )


def test_outputs_give_what_the_web_app_and_operators_need(dev: Synth) -> None:
    outputs = dev.template.to_json()["Outputs"]
    assert {
        "ApiUrl",
        "UserPoolId",
        "WebClientId",
        "TableName",
        "EventBusName",
        "WebUrl",
    } <= set(outputs)


def test_stack_is_named_after_stage_and_region(dev: Synth) -> None:
    assert dev.stack.stack_name == "mspdesk-dev-eu-west-2"
    assert dev.stack.region == "eu-west-2"
    assert isinstance(dev.outdir, Path)
