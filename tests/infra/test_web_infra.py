"""The web app in AWS (infra/components/web.py): web/dist in a private bucket behind CloudFront
with the API on the same domain. Two synths, cdk-nag included: the dev stack as infra/stack.py
builds it, and a small stack with a custom domain, a web ACL and no web/dist."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from infra.components.http_api import DeskHttpApi
from infra.components.identity import DeskIdentity
from infra.components.web import (
    API_PATHS,
    ASSET_CACHE_CONTROL,
    HSTS_SECONDS,
    PLACEHOLDER_WARNING,
    DeskWeb,
    custom_domain,
    site_sources,
    viewer_request_js,
)
from infra.config import StageConfig
from infra.layout import REPO
from infra.nag import acknowledge, add_checks
from tests.infra.support import Synth, ref, synth

pytestmark = pytest.mark.infra

DISTRIBUTION = "AWS::CloudFront::Distribution"
DEPLOYMENT = "Custom::CDKBucketDeployment"
CACHING_DISABLED = cloudfront.CachePolicy.CACHING_DISABLED.cache_policy_id
CACHING_OPTIMIZED = cloudfront.CachePolicy.CACHING_OPTIMIZED.cache_policy_id
ALL_VIEWER_EXCEPT_HOST = (
    cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.origin_request_policy_id
)
DOMAIN = "desk.msp.example"
PORTAL_HOST = "support.client-a.example"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000000"
WEB_ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/mspdesk/0a1b2c3d"
# The keys web/src/shared/config.ts reads, and the screen pops' address.
CONFIG_KEYS = {"auth", "apiBase", "cognitoDomain", "clientId"}


# --- the two synths ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(
        tmp_path_factory.mktemp("cdk.out"), context={"stage": "dev", "region": "eu-west-2"}
    )


class Small:
    """DeskWeb on a stack of its own with the identity and an HTTP API in front of an
    imported function: a custom domain, a web ACL, a fixed account, no web/dist."""

    def __init__(self, stack: Stack, outdir: Path) -> None:
        self.stack = stack
        self.outdir = outdir
        self.template = Template.from_stack(stack)
        self.json: dict[str, Any] = dict(self.template.to_json())
        self.report = json.loads((outdir / "validation-report.json").read_text())


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Small:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(
        outdir=str(outdir),
        context={
            "web_domain": DOMAIN,
            "web_certificate_arn": CERTIFICATE,
            "portal_domains": f"{PORTAL_HOST}, {DOMAIN}",
            "web_acl_arn": WEB_ACL,
            "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
        },
    )
    add_checks(app)
    config = StageConfig(stage="test", region="eu-west-1", account="123456789012")
    stack = Stack(app, "Web", env=Environment(account=config.account, region=config.region))
    identity = DeskIdentity(stack, "Identity", config=config)
    function = lambda_.Function.from_function_attributes(
        stack,
        "ApiFunction",
        function_arn="arn:aws:lambda:eu-west-1:123456789012:function:mspdesk-test-api",
        same_environment=True,
    )
    http_api = DeskHttpApi(stack, "Api", config=config, function=function, identity=identity)
    logs = s3.Bucket(
        stack,
        "Logs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
    )
    acknowledge(logs, "AwsSolutions-S1", "The access-log bucket of this test stack itself.")
    DeskWeb(
        stack,
        "Web",
        config=config,
        http_api=http_api,
        identity=identity,
        access_logs=logs,
        dist=outdir / "no-web-dist",
    )
    app.synth()  # fails with cdk-nag's report on any unacknowledged finding
    return Small(stack, outdir)


# --- helpers -------------------------------------------------------------------------------


def one(template: dict[str, Any], cfn_type: str) -> tuple[str, dict[str, Any]]:
    found = [(i, r) for i, r in template["Resources"].items() if r["Type"] == cfn_type]
    assert len(found) == 1, f"{len(found)} {cfn_type}"
    return found[0]


def web_resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """DeskWeb's resources and the BucketDeployment's handler (a child of the stack)."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if logical_id.startswith(("Web", "CustomCDKBucketDeployment"))
    }


def render(value: Any) -> str:
    """A CloudFormation string value as text: `{Ref}` and `{Resource.Attribute}` for tokens."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "{" + value["Ref"] + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "{" + ".".join(value["Fn::GetAtt"]) + "}"
    raise AssertionError(f"cannot render {value!r}")


def distribution_config(template: dict[str, Any]) -> dict[str, Any]:
    _, distribution = one(template, DISTRIBUTION)
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def behaviors(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Path pattern -> cache behaviour, the default one under "*"."""
    config = distribution_config(template)
    found = {b["PathPattern"]: b for b in config.get("CacheBehaviors", [])}
    found["*"] = config["DefaultCacheBehavior"]
    return found


def origin(template: dict[str, Any], origin_id: str) -> dict[str, Any]:
    (found,) = [o for o in distribution_config(template)["Origins"] if o["Id"] == origin_id]
    return dict(found)


def headers_policy(template: dict[str, Any], behavior: dict[str, Any]) -> dict[str, Any]:
    policy_id = behavior["ResponseHeadersPolicyId"]["Ref"]
    config: dict[str, Any] = template["Resources"][policy_id]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]
    return config


def acknowledged(template: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (resource["Type"], rule["id"])
        for resource in web_resources(template).values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }


def findings(report: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (violation["ruleName"], [c["constructPath"] for c in violation["violatingConstructs"]])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
    ]


def deployed_config(outdir: Path, template: dict[str, Any]) -> dict[str, str]:
    """config.json as the deployment writes it: its markers replaced by their rendered values."""
    _, deployment = one(template, DEPLOYMENT)
    props = deployment["Properties"]
    for key, markers in zip(props["SourceObjectKeys"], props["SourceMarkers"], strict=True):
        folder = outdir / f"asset.{key.removesuffix('.zip')}"
        if (folder / "config.json").is_file():
            text = (folder / "config.json").read_text()
            for marker, value in markers.items():
                text = text.replace(marker, json.dumps(render(value).strip('"')))
            loaded: dict[str, str] = json.loads(text)
            return loaded
    raise AssertionError("no source of the deployment holds config.json")


def references(value: Any) -> Iterator[str]:
    """The logical ids a CloudFormation value refers to (Ref, GetAtt, ${...} in Fn::Sub)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                yield inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                yield from (m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text))
                if isinstance(inner, list):
                    yield from references(inner[1])
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


# --- the bucket ----------------------------------------------------------------------------


def test_the_bucket_is_private_encrypted_tls_only_unversioned_and_logged(dev: Synth) -> None:
    template = dev.template.to_json()
    bucket_id = origin(template, behaviors(template)["*"]["TargetOriginId"])["DomainName"][
        "Fn::GetAtt"
    ][0]
    props = template["Resources"][bucket_id]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"),
        True,
    )
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "VersioningConfiguration" not in props
    assert props["LoggingConfiguration"]["LogFilePrefix"] == "web/"
    assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"].startswith(
        "MailAccessLogs"
    )


def test_the_bucket_policy_lets_only_this_distribution_read_through_oac(dev: Synth) -> None:
    template = dev.template.to_json()
    distribution_id, _ = one(template, DISTRIBUTION)
    oac_id, oac = one(template, "AWS::CloudFront::OriginAccessControl")
    assert oac["Properties"]["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningProtocol"] == "sigv4"
    site = origin(template, behaviors(template)["*"]["TargetOriginId"])
    assert site["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert site["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    bucket_id = site["DomainName"]["Fn::GetAtt"][0]

    (policy,) = [
        p
        for p in dev.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == ref(bucket_id)
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert allows == [
        {
            "Action": "s3:GetObject",
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":cloudfront::",
                                {"Ref": "AWS::AccountId"},
                                ":distribution/",
                                ref(distribution_id),
                            ],
                        ]
                    }
                }
            },
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
        }
    ]
    assert [d["Condition"] for d in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]


# --- the distribution ----------------------------------------------------------------------


def test_viewers_come_over_https_only(dev: Synth) -> None:
    found = behaviors(dev.template.to_json())
    assert found["*"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert found["/assets/*"]["ViewerProtocolPolicy"] == "redirect-to-https"
    # The API is never reached over HTTP: a redirected POST would lose its body.
    assert all(found[path]["ViewerProtocolPolicy"] == "https-only" for path in API_PATHS)


def test_the_api_is_on_the_same_domain_uncached_with_the_viewers_headers(dev: Synth) -> None:
    template = dev.template.to_json()
    http_api_id = next(
        i
        for i, r in template["Resources"].items()
        if r["Type"] == "AWS::ApiGatewayV2::Api" and r["Properties"].get("ProtocolType") == "HTTP"
    )
    assert set(API_PATHS) == {"/api/*", "/portal/api/*", "/health", "/openapi.json"}
    found = behaviors(template)
    for path in API_PATHS:
        behavior = found[path]
        assert behavior["CachePolicyId"] == CACHING_DISABLED, path
        assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST, path
        assert set(behavior["AllowedMethods"]) == {
            "GET",
            "HEAD",
            "OPTIONS",
            "PUT",
            "PATCH",
            "POST",
            "DELETE",
        }
        assert "FunctionAssociations" not in behavior, path
        api = origin(template, behavior["TargetOriginId"])
        assert render(api["DomainName"]) == (
            "{" + http_api_id + "}.execute-api.eu-west-2.{AWS::URLSuffix}"
        )
        assert api["CustomOriginConfig"] == {
            "OriginProtocolPolicy": "https-only",
            "OriginSSLProtocols": ["TLSv1.2"],
        }
        assert headers_policy(template, behavior)["CustomHeadersConfig"]["Items"][0] == {
            "Header": "Cache-Control",
            "Override": False,
            "Value": "no-store",
        }
    # The pages and the hashed assets are cached; only the pages are rewritten.
    assert found["*"]["CachePolicyId"] == CACHING_OPTIMIZED
    assert found["/assets/*"]["CachePolicyId"] == CACHING_OPTIMIZED
    assert "FunctionAssociations" not in found["/assets/*"]
    # No error-response pages: they would turn the API's 403 and 404 into HTML.
    assert "CustomErrorResponses" not in distribution_config(template)


def test_every_response_carries_the_security_headers(dev: Synth) -> None:
    template = dev.template.to_json()
    pool_domain_id, _ = one(template, "AWS::Cognito::UserPoolDomain")
    sockets_id = next(
        i
        for i, r in template["Resources"].items()
        if r["Type"] == "AWS::ApiGatewayV2::Api"
        and r["Properties"].get("ProtocolType") == "WEBSOCKET"
    )
    sign_in = "https://{" + pool_domain_id + "}.auth.eu-west-2.amazoncognito.com"
    for path, behavior in behaviors(template).items():
        security = headers_policy(template, behavior)["SecurityHeadersConfig"]
        assert security["StrictTransportSecurity"] == {
            "AccessControlMaxAgeSec": HSTS_SECONDS,
            "IncludeSubdomains": True,
            "Preload": False,
            "Override": True,
        }, path
        assert HSTS_SECONDS >= 31_536_000
        assert security["ContentTypeOptions"] == {"Override": True}
        assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
        assert security["ReferrerPolicy"] == {"ReferrerPolicy": "same-origin", "Override": True}
        assert security["XSSProtection"] == {"Protection": False, "Override": True}
        csp = security["ContentSecurityPolicy"]
        assert csp["Override"] is True
        directives = dict(
            d.strip().split(" ", 1) for d in render(csp["ContentSecurityPolicy"]).split(";")
        )
        assert directives == {
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": "'self' data: https:",
            "font-src": "'self'",
            "connect-src": (
                f"'self' {sign_in} wss://{{{sockets_id}}}.execute-api.eu-west-2.{{AWS::URLSuffix}}"
                " https://*.s3.eu-west-2.amazonaws.com"
            ),
            "form-action": f"'self' {sign_in}",
            "frame-ancestors": "'none'",
            "base-uri": "'none'",
            "object-src": "'none'",
        }, path


def test_hashed_assets_are_cached_a_year_and_pages_revalidated(dev: Synth) -> None:
    template = dev.template.to_json()
    found = behaviors(template)

    def cache_control(path: str) -> dict[str, Any]:
        items = headers_policy(template, found[path])["CustomHeadersConfig"]["Items"]
        (header,) = [h for h in items if h["Header"] == "Cache-Control"]
        return dict(header)

    assert cache_control("/assets/*") == {
        "Header": "Cache-Control",
        "Value": ASSET_CACHE_CONTROL,
        "Override": True,
    }
    assert cache_control("*") == {"Header": "Cache-Control", "Value": "no-cache", "Override": False}


def test_spa_routes_run_on_viewer_request_of_the_default_behaviour(dev: Synth) -> None:
    template = dev.template.to_json()
    function_id, function = one(template, "AWS::CloudFront::Function")
    assert function["Properties"]["FunctionCode"] == viewer_request_js()
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["Properties"]["AutoPublish"] is True
    assert behaviors(template)["*"]["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]}}
    ]
    assert distribution_config(template)["DefaultRootObject"] == "index.html"


# Request path -> the object CloudFront asks the bucket for.
REWRITES = {
    "/": "/index.html",
    "/tickets/42": "/index.html",
    "/tickets/42/": "/index.html",
    "/queue": "/index.html",
    "/index.html": "/index.html",
    "/config.json": "/config.json",
    "/assets/console-Bq4WjwE8.js": "/assets/console-Bq4WjwE8.js",
    "/favicon.ico": "/favicon.ico",
    "/portal": "/portal/index.html",
    "/portal/": "/portal/index.html",
    "/portal/new": "/portal/index.html",
    "/portal/tickets/7": "/portal/index.html",
    "/portal/acme/tickets/7": "/portal/index.html",
    "/portal/index.html": "/portal/index.html",
    "/portalx/page": "/index.html",
    # The API's paths (their own behaviours catch them first) pass unchanged.
    "/api/tickets": "/api/tickets",
    "/api": "/api",
    "/portal/api/tickets": "/portal/api/tickets",
    "/portal/api": "/portal/api",
    "/apis": "/index.html",
}


def _run_viewer_request(code: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The CloudFront Function's answers, run by node (the same JavaScript engine family)."""
    harness = (
        code
        + "\nconst requests = JSON.parse(process.argv[1]);\n"
        + "console.log(JSON.stringify(requests.map((request) => handler({request}))));\n"
    )
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run(
        [node, "-e", harness, json.dumps(requests)],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    answers: list[dict[str, Any]] = json.loads(result.stdout)
    return answers


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_viewer_request_function_rewrites_pages_and_leaves_files() -> None:
    answers = _run_viewer_request(viewer_request_js(), [{"uri": uri} for uri in REWRITES])
    assert dict(zip(REWRITES, [a["uri"] for a in answers], strict=True)) == REWRITES


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_clients_portal_host_sends_the_consoles_pages_to_the_portal() -> None:
    code = viewer_request_js([PORTAL_HOST])
    on_portal_host = {"value": PORTAL_HOST.upper()}
    answers = _run_viewer_request(
        code,
        [
            {"uri": "/", "headers": {"host": on_portal_host}},
            {
                "uri": "/tickets/7",
                "headers": {"host": on_portal_host},
                "querystring": {"a": {"value": "1"}, "b": {"value": "x%20y"}},
            },
            {"uri": "/portal/tickets/7", "headers": {"host": on_portal_host}},
            {"uri": "/assets/portal-x.js", "headers": {"host": on_portal_host}},
            {"uri": "/", "headers": {"host": {"value": DOMAIN}}},
        ],
    )
    assert [a.get("statusCode") for a in answers] == [302, 302, None, None, None]
    assert answers[0]["headers"]["location"]["value"] == "/portal/"
    assert answers[1]["headers"]["location"]["value"] == "/portal/tickets/7?a=1&b=x%20y"
    assert [a.get("uri") for a in answers[2:]] == [
        "/portal/index.html",
        "/assets/portal-x.js",
        "/index.html",
    ]


# --- config.json and sign-in ---------------------------------------------------------------


def test_config_json_is_written_at_deploy_time_with_the_keys_the_app_reads(dev: Synth) -> None:
    template = dev.template.to_json()
    client_id, _ = one(template, "AWS::Cognito::UserPoolClient")
    pool_domain_id, _ = one(template, "AWS::Cognito::UserPoolDomain")
    sockets_id = next(
        i
        for i, r in template["Resources"].items()
        if r["Type"] == "AWS::ApiGatewayV2::Api"
        and r["Properties"].get("ProtocolType") == "WEBSOCKET"
    )
    assert deployed_config(dev.outdir, template) == {
        "auth": "cognito",
        "cognitoDomain": "https://{" + pool_domain_id + "}.auth.eu-west-2.amazoncognito.com",
        "clientId": "{" + client_id + "}",
        "apiBase": "",
        "wsUrl": "wss://{" + sockets_id + "}.execute-api.eu-west-2.{AWS::URLSuffix}/live",
    }
    reader = (REPO / "web" / "src" / "shared" / "config.ts").read_text()
    for key in CONFIG_KEYS:
        assert re.search(rf"\b{key}\b", reader), key


def test_the_deployment_invalidates_the_distribution_and_empties_a_dev_bucket(dev: Synth) -> None:
    template = dev.template.to_json()
    distribution_id, _ = one(template, DISTRIBUTION)
    _, deployment = one(template, DEPLOYMENT)
    props = deployment["Properties"]
    assert props["DistributionId"] == ref(distribution_id)
    assert props["DistributionPaths"] == ["/*"]
    assert props["Prune"] is True
    assert props["RetainOnDelete"] is False  # prod keeps it (StageConfig.is_prod)
    # web/dist (this checkout has it) or the placeholder, then config.json.
    assert len(props["SourceObjectKeys"]) == 2


def test_the_deployment_handler_has_its_own_role_and_log_group(dev: Synth) -> None:
    template = dev.template.to_json()
    handlers = [
        r
        for i, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and i.startswith("CustomCDKBucketDeployment")
    ]
    (handler,) = handlers
    role_id = handler["Properties"]["Role"]["Fn::GetAtt"][0]
    assert role_id.startswith("WebDeployRole")
    assert "ManagedPolicyArns" not in template["Resources"][role_id]["Properties"]
    log_group = handler["Properties"]["LoggingConfig"]["LogGroup"]
    assert ref(log_group["Ref"]) == log_group and log_group["Ref"].startswith("WebDeployLogs")
    assert template["Resources"][log_group["Ref"]]["Properties"]["RetentionInDays"] == 14


def test_the_hosted_ui_sends_people_back_to_the_console_and_the_portal(dev: Synth) -> None:
    template = dev.template.to_json()
    distribution_id, _ = one(template, DISTRIBUTION)
    _, client = one(template, "AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    host = "https://{" + distribution_id + ".DomainName}"
    assert [render(url) for url in props["CallbackURLs"]] == [f"{host}/", f"{host}/portal/"]
    assert [render(url) for url in props["LogoutURLs"]] == [f"{host}/", f"{host}/portal/"]
    assert props["AllowedOAuthFlows"] == ["code"]
    assert props["AllowedOAuthFlowsUserPoolClient"] is True
    assert props["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert props["SupportedIdentityProviders"] == ["COGNITO"]
    assert props["GenerateSecret"] is False


def test_no_circular_dependency_between_the_client_and_the_distribution(dev: Synth) -> None:
    resources = dev.template.to_json()["Resources"]
    graph = {
        logical_id: {
            target for target in references(resource.get("Properties", {})) if target in resources
        }
        | set(
            [resource["DependsOn"]]
            if isinstance(resource.get("DependsOn"), str)
            else resource.get("DependsOn", [])
        )
        for logical_id, resource in resources.items()
    }
    # Kahn's algorithm: every resource can be created after what it refers to.
    waiting = {node: set(targets) for node, targets in graph.items()}
    ready = [node for node, targets in waiting.items() if not targets]
    created = 0
    while ready:
        done = ready.pop()
        created += 1
        for node, targets in waiting.items():
            if done in targets:
                targets.discard(done)
                if not targets:
                    ready.append(node)
    assert created == len(graph), sorted(n for n, t in waiting.items() if t)


# --- checks and outputs --------------------------------------------------------------------


def test_cdk_nag_leaves_no_finding(dev: Synth) -> None:
    assert findings(dev.validation_report()) == []


def test_the_acknowledgments_are_the_reasoned_few(dev: Synth) -> None:
    template = dev.template.to_json()
    bucket_id = next(
        i for i, r in web_resources(template).items() if r["Type"] == "AWS::S3::Bucket"
    )
    assets = "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-eu-west-2/*"
    assert acknowledged(template) == {
        (DISTRIBUTION, "AwsSolutions-CFR1"),  # no geo restriction
        (DISTRIBUTION, "AwsSolutions-CFR2"),  # no WAF unless web_acl_arn
        (DISTRIBUTION, "AwsSolutions-CFR3"),  # no CloudFront access logs
        (DISTRIBUTION, "AwsSolutions-CFR4"),  # CloudFront's default certificate
        ("AWS::Lambda::Function", "AwsSolutions-L1"),  # the CDK's deployment handler
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Action::s3:GetObject*]"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Action::s3:GetBucket*]"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Action::s3:List*]"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Action::s3:DeleteObject*]"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Action::s3:Abort*]"),
        ("AWS::IAM::Policy", f"AwsSolutions-IAM5[Resource::{assets}]"),
        ("AWS::IAM::Policy", f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]"),
        ("AWS::IAM::Policy", "AwsSolutions-IAM5[Resource::*]"),  # invalidations
    }
    reasons = [
        rule["reason"]
        for resource in web_resources(template).values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert all(len(reason) > 40 for reason in reasons)


def test_the_stack_gives_the_web_url(dev: Synth) -> None:
    template = dev.template.to_json()
    distribution_id, _ = one(template, DISTRIBUTION)
    outputs = template["Outputs"]
    assert render(outputs["WebUrl"]["Value"]) == "https://{" + distribution_id + ".DomainName}"
    assert outputs["WebDistributionId"]["Value"] == ref(distribution_id)


# --- a custom domain, a web ACL, no web/dist -----------------------------------------------


def test_a_custom_domain_serves_tls_1_2_by_sni_with_the_web_acl(small: Small) -> None:
    config = distribution_config(small.json)
    assert config["Aliases"] == [DOMAIN, PORTAL_HOST]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    assert config["WebACLId"] == WEB_ACL


def test_with_a_custom_domain_and_a_web_acl_nag_needs_fewer_acknowledgments(small: Small) -> None:
    assert findings(small.report) == []
    on_distribution = {rule for t, rule in acknowledged(small.json) if t == DISTRIBUTION}
    assert on_distribution == {"AwsSolutions-CFR1", "AwsSolutions-CFR3"}
    # The asset bucket as cdk-nag names it with a fixed account and region.
    assert (
        "AWS::IAM::Policy",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::"
        "cdk-hnb659fds-assets-123456789012-eu-west-1/*]",
    ) in acknowledged(small.json)


def test_the_hosted_ui_knows_the_custom_domain_first(small: Small) -> None:
    _, client = one(small.json, "AWS::Cognito::UserPoolClient")
    distribution_id, _ = one(small.json, DISTRIBUTION)
    host = "https://{" + distribution_id + ".DomainName}"
    assert [render(url) for url in client["Properties"]["CallbackURLs"]] == [
        f"https://{DOMAIN}/",
        f"https://{DOMAIN}/portal/",
        f"https://{PORTAL_HOST}/",
        f"https://{PORTAL_HOST}/portal/",
        f"{host}/",
        f"{host}/portal/",
    ]
    assert render(small.json["Outputs"]["WebUrl"]["Value"]) == f"https://{DOMAIN}"


def test_without_web_dist_a_placeholder_is_deployed_with_a_warning(small: Small) -> None:
    Annotations.from_stack(small.stack).has_warning(
        "/Web/Web", Match.string_like_regexp("run `make web` before deploying")
    )
    _, deployment = one(small.json, DEPLOYMENT)
    # Two placeholder pages, then config.json.
    assert len(deployment["Properties"]["SourceObjectKeys"]) == 3


def test_without_screen_pops_config_json_has_no_ws_url(small: Small) -> None:
    config = deployed_config(small.outdir, small.json)
    assert set(config) == CONFIG_KEYS
    policies = [
        r
        for r in small.json["Resources"].values()
        if r["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    ]
    assert policies
    for policy in policies:
        csp = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
            "ContentSecurityPolicy"
        ]["ContentSecurityPolicy"]
        assert "wss://" not in render(csp)


# --- without a synth -----------------------------------------------------------------------


def test_site_sources_are_web_dist_when_built_else_a_placeholder(tmp_path: Path) -> None:
    missing = site_sources(tmp_path / "dist")
    assert missing.warning == PLACEHOLDER_WARNING
    assert len(missing.sources) == 2
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("<!doctype html>")
    built = site_sources(tmp_path / "dist")
    assert built.warning is None
    assert len(built.sources) == 1


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"web_domain": DOMAIN}, "go together"),
        ({"portal_domains": PORTAL_HOST}, "need web_domain"),
        ({"web_certificate_arn": CERTIFICATE}, "go together"),
        (
            {
                "web_domain": DOMAIN,
                "web_certificate_arn": CERTIFICATE.replace("us-east-1", "eu-west-2"),
            },
            "us-east-1 only",
        ),
    ],
)
def test_a_custom_domain_needs_its_us_east_1_certificate(
    context: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        custom_domain(App(context=context).node)
    assert custom_domain(App().node) is None
