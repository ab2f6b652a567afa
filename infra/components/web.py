"""The web app (issue 8): the console and the portal that `make web` builds into web/dist, in a
private S3 bucket behind CloudFront, with the HTTP API on the same domain.

- The bucket is reached through Origin Access Control only: its policy lets CloudFront read
  objects for this distribution (`AWS:SourceArn`) and nobody else; TLS only, encrypted.
- The API's paths (`/api/*`, `/portal/api/*`, `/health`, `/openapi.json`) go to the HTTP API
  uncached with every viewer header but Host (Authorization included), so the apps call
  relative URLs: no CORS. The screen-pop WebSocket API keeps its own address (`wsUrl`).
- A CloudFront Function sends a path without a file extension to the app that owns it
  (`/portal/...` to /portal/index.html, anything else to /index.html). Not error responses:
  those would turn the API's 403 and 404 into HTML.
- `/config.json` (web/src/shared/config.ts) is written at deploy time, so one build serves
  every stage.
- Every response carries the security headers (HSTS, nosniff, DENY, a strict CSP).

Without web/dist (a synth in CI without `make web`) a placeholder page is deployed instead and
the stack warns, as it does for Lambda assets without build/.

Context: `web_domain` with `web_certificate_arn` (an ACM certificate in us-east-1 for that
name): the distribution also answers on that name, by SNI, with TLS 1.2 at least (the 2021
policy); point the name at the distribution in DNS. `web_acl_arn`: a WAF web ACL (scope
CLOUDFRONT, made in us-east-1) to attach.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import (
    Annotations,
    CfnElement,
    CfnOutput,
    DefaultStackSynthesizer,
    Duration,
    Stack,
    Token,
)
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct, Node

from infra.components.http_api import PROTECTED_PATHS, PUBLIC_PATHS, DeskHttpApi
from infra.components.identity import DeskIdentity
from infra.config import StageConfig
from infra.layout import REPO
from infra.nag import acknowledge

WEB_DIST = REPO / "web" / "dist"
CONFIG_FILE = "config.json"
# The HTTP API's routes as CloudFront path patterns: "/api/{proxy+}" is "/api/*".
API_PATHS = tuple(path.replace("{proxy+}", "*") for path in (*PROTECTED_PATHS, *PUBLIC_PATHS))
ASSET_PATH = "/assets/*"
# Two years, as the HSTS preload list asks (not preloaded: the name may be CloudFront's).
HSTS_SECONDS = 63_072_000
# Vite hashes every file under /assets/: a new build is new names, so a year is safe.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
# The pages and config.json change with every deployment: browsers revalidate them (ETag).
PAGE_CACHE_CONTROL = "no-cache"
# API answers carry people's tickets: never stored, unless the API says otherwise.
API_CACHE_CONTROL = "no-store"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
DEPLOY_HANDLER_ID = "Custom::CDKBucketDeployment"
BOOTSTRAP_QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"

# CloudFront Functions, JavaScript runtime 2.0. Files (a dot in the last segment) and the API's
# paths pass unchanged; any other path is a page of the console or, under /portal, the portal.
VIEWER_REQUEST_TEMPLATE = """\
var PORTAL_HOSTS = __PORTAL_HOSTS__;
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === "/api" || uri.startsWith("/api/") ||
      uri === "/portal/api" || uri.startsWith("/portal/api/")) {
    return request;
  }
  var last = uri.substring(uri.lastIndexOf("/") + 1);
  if (last.indexOf(".") !== -1) {
    return request;
  }
  var portal = uri === "/portal" || uri.startsWith("/portal/");
  var host = request.headers && request.headers.host ? request.headers.host.value : "";
  if (!portal && PORTAL_HOSTS.indexOf(host.toLowerCase()) !== -1) {
    // A client's own portal host: its end-users never see the console's pages.
    var query = [];
    var params = request.querystring || {};
    for (var name in params) {
      var values = params[name].multiValue || [params[name]];
      for (var i = 0; i < values.length; i++) {
        query.push(name + (values[i].value ? "=" + values[i].value : ""));
      }
    }
    var location = "/portal" + uri + (query.length ? "?" + query.join("&") : "");
    return {statusCode: 302, statusDescription: "Found",
            headers: {location: {value: location}}};
  }
  request.uri = portal ? "/portal/index.html" : "/index.html";
  return request;
}
"""


def viewer_request_js(portal_hosts: Sequence[str] = ()) -> str:
    """The CloudFront Function: extension-less paths to the console's or the portal's page;
    on a client's portal host, the console's paths to the portal."""
    return VIEWER_REQUEST_TEMPLATE.replace("__PORTAL_HOSTS__", json.dumps(list(portal_hosts)))


PLACEHOLDER_HTML = """\
<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>mspdesk</title></head>
  <body><p>The mspdesk web app was not built when this stack was synthesized: run
  <code>make web</code>, then deploy again.</p></body>
</html>
"""
PLACEHOLDER_WARNING = (
    "The web app is a placeholder page (no web/dist): run `make web` before deploying."
)


@dataclass(frozen=True)
class WebSite:
    """What the bucket deployment copies: web/dist, else a placeholder and a warning."""

    sources: tuple[s3deploy.ISource, ...]
    warning: str | None


def site_sources(dist: Path) -> WebSite:
    if (dist / "index.html").is_file():
        # config.json is the deployment's own (below), whatever a build left there.
        return WebSite((s3deploy.Source.asset(str(dist), exclude=[CONFIG_FILE]),), None)
    placeholder = tuple(
        s3deploy.Source.data(key, PLACEHOLDER_HTML) for key in ("index.html", "portal/index.html")
    )
    return WebSite(placeholder, PLACEHOLDER_WARNING)


@dataclass(frozen=True)
class CustomDomain:
    name: str
    certificate_arn: str
    # Clients' own portal host names (support.client.example): the certificate covers them.
    portal_hosts: tuple[str, ...] = ()


def custom_domain(node: Node) -> CustomDomain | None:
    name = str(node.try_get_context("web_domain") or "").strip().lower()
    certificate = str(node.try_get_context("web_certificate_arn") or "").strip()
    portal_hosts = _context_names(node.try_get_context("portal_domains"))
    if bool(name) != bool(certificate):
        raise ValueError("web_domain and web_certificate_arn go together: give both or neither")
    if portal_hosts and not name:
        raise ValueError(
            "portal_domains need web_domain and a web_certificate_arn that covers them all"
        )
    if not name:
        return None
    if not certificate.startswith("arn:") or ":us-east-1:" not in certificate:
        raise ValueError(
            f"web_certificate_arn {certificate!r}: CloudFront takes ACM certificates from "
            "us-east-1 only"
        )
    return CustomDomain(name, certificate, tuple(h for h in portal_hosts if h != name))


def _context_names(value: object) -> list[str]:
    """Host names from context: a list, or one comma-separated string (`-c a,b`)."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    names = [str(item).strip().lower().rstrip(".") for item in items]
    return list(dict.fromkeys(n for n in names if n))


class DeskWeb(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        http_api: DeskHttpApi,
        identity: DeskIdentity,
        access_logs: s3.IBucket,
        screen_pops: apigwv2.WebSocketStage | None = None,
        browser_uploads: bool = False,
        dist: Path = WEB_DIST,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.domain = custom_domain(self.node)
        web_acl_arn = str(self.node.try_get_context("web_acl_arn") or "").strip() or None
        api_host = _execute_api_host(stack, http_api.api.api_id)
        self.screen_pops_url = screen_pops.url if screen_pops is not None else None

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # Not versioned: every object is rebuilt from the repository by `make web` and
            # written again by each deployment, so an earlier version is a redeploy of an
            # earlier commit away; versions would only pile up (each deployment replaces and
            # prunes every file) and keep a non-prod bucket from being deleted with its stack.
            versioned=False,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="web/",
            removal_policy=config.removal_policy,
        )
        site_origin = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        api_origin = origins.HttpOrigin(
            api_host,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )

        sign_in = identity.sign_in_url
        connect = ["'self'", sign_in]
        if screen_pops is not None:
            connect.append(f"wss://{_execute_api_host(stack, screen_pops.api.api_id)}")
        if browser_uploads:
            # Files go straight to the mail bucket (a presigned POST). Its name would make a
            # cycle (the bucket's CORS names this distribution), so any bucket of the region:
            # img-src already lets a page reach any https host.
            connect.append(f"https://*.s3.{stack.region}.amazonaws.com")
        self.content_security_policy = "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                # Clients' logos in the portal come from their own sites.
                "img-src 'self' data: https:",
                "font-src 'self'",
                # The hosted UI's token endpoint (the PKCE code exchange) and the screen pops.
                f"connect-src {' '.join(connect)}",
                f"form-action 'self' {sign_in}",
                "frame-ancestors 'none'",
                "base-uri 'none'",
                "object-src 'none'",
            ]
        )
        pages = self._headers("PageHeaders", PAGE_CACHE_CONTROL, override_cache_control=False)
        assets = self._headers("AssetHeaders", ASSET_CACHE_CONTROL, override_cache_control=True)
        api = self._headers("ApiHeaders", API_CACHE_CONTROL, override_cache_control=False)

        self.viewer_request = cloudfront.Function(
            self,
            "SpaRoutes",
            code=cloudfront.FunctionCode.from_inline(
                viewer_request_js(self.domain.portal_hosts if self.domain else ())
            ),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="mspdesk: extension-less paths to the console's or the portal's page",
        )
        api_behavior = cloudfront.BehaviorOptions(
            origin=api_origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            # With caching disabled this forwards Authorization too; Host stays the API's.
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=api,
        )
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", self.domain.certificate_arn)
            if self.domain is not None
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{config.prefix}: the web app and its API",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=site_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=pages,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=self.viewer_request,
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                    )
                ],
            ),
            additional_behaviors={
                **{path: api_behavior for path in API_PATHS},
                ASSET_PATH: cloudfront.BehaviorOptions(
                    origin=site_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                    cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                    response_headers_policy=assets,
                ),
            },
            certificate=certificate,
            domain_names=(
                [self.domain.name, *self.domain.portal_hosts] if self.domain is not None else None
            ),
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None
            ),
            ssl_support_method=cloudfront.SSLMethod.SNI if certificate else None,
            web_acl_id=web_acl_arn,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            # North America and Europe: the cheapest class; viewers elsewhere are served from
            # the nearest of its edges.
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        self._acknowledge_distribution(certificate is not None, web_acl_arn is not None)

        web_origins = [f"https://{self.distribution.distribution_domain_name}"]
        if self.domain is not None:
            web_origins[:0] = [
                f"https://{host}" for host in (self.domain.name, *self.domain.portal_hosts)
            ]
        for origin in web_origins:
            identity.add_web_origin(origin)
        self.origins = web_origins
        self.url = web_origins[0]

        site = site_sources(dist)
        if site.warning:
            Annotations.of(self).add_warning_v2("mspdesk:web", site.warning)
        runtime_config = {
            "auth": "cognito",
            "cognitoDomain": sign_in,
            "clientId": identity.web_client.user_pool_client_id,
            "apiBase": "",
        }
        if self.screen_pops_url is not None:
            runtime_config["wsUrl"] = self.screen_pops_url
        self.deployment = self._deploy(
            config, [*site.sources, s3deploy.Source.json_data(CONFIG_FILE, runtime_config)]
        )

        CfnOutput(scope, "WebUrl", value=self.url)
        CfnOutput(scope, "WebDistributionId", value=self.distribution.distribution_id)

    # --- response headers --------------------------------------------------------------------

    def _headers(
        self, construct_id: str, cache_control: str, *, override_cache_control: bool
    ) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            construct_id,
            comment=f"mspdesk: security headers, Cache-Control {cache_control}",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.seconds(HSTS_SECONDS),
                    include_subdomains=True,
                    preload=False,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override=True
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=self.content_security_policy, override=True
                ),
                # "0": the legacy XSS auditor is off; the CSP is the protection.
                xss_protection=cloudfront.ResponseHeadersXSSProtection(
                    protection=False, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(
                        header="Cache-Control",
                        value=cache_control,
                        override=override_cache_control,
                    ),
                    cloudfront.ResponseCustomHeader(
                        header="Permissions-Policy", value=PERMISSIONS_POLICY, override=True
                    ),
                ]
            ),
        )

    # --- cdk-nag ------------------------------------------------------------------------------

    def _acknowledge_distribution(self, custom_certificate: bool, web_acl: bool) -> None:
        distribution = self.distribution
        acknowledge(
            distribution,
            "AwsSolutions-CFR1",
            "No geo restriction: the MSP's agents and its clients' staff sign in from wherever "
            "they work; every page and API call needs a Cognito sign-in instead.",
        )
        if not web_acl:
            acknowledge(
                distribution,
                "AwsSolutions-CFR2",
                "No WAF by default: a CloudFront web ACL must live in us-east-1, outside this "
                "regional stack, and costs a monthly fee per ACL and rule plus per request. The "
                "API behind it throttles per stage, checks Cognito JWTs at the gateway and "
                "Cognito's threat protection guards sign-in; `-c web_acl_arn=...` attaches one.",
            )
        acknowledge(
            distribution,
            "AwsSolutions-CFR3",
            "No CloudFront access logs: standard logging (legacy) needs a log bucket with ACLs, "
            "which the stack's access-log bucket disables (bucket owner enforced), and its "
            "lines always carry the viewer's IP address, which the desk keeps out of its logs. "
            "Every API call is logged by the HTTP API's stage; the static files are the "
            "public app.",
        )
        if not custom_certificate:
            acknowledge(
                distribution,
                "AwsSolutions-CFR4",
                "The *.cloudfront.net name uses CloudFront's default certificate, whose "
                "security policy cannot be chosen. With `-c web_domain=... -c "
                "web_certificate_arn=...` the distribution serves TLS 1.2 (2021 policy) by SNI.",
            )

    # --- deployment ---------------------------------------------------------------------------

    def _deploy(
        self, config: StageConfig, sources: list[s3deploy.ISource]
    ) -> s3deploy.BucketDeployment:
        """The CDK's BucketDeployment (a Lambda-backed custom resource) with a role and a log
        group of ours: no managed policy, logs kept as long as the stage keeps logs."""
        role = iam.Role(
            self,
            "DeployRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{config.prefix}: copies the web app into its bucket",
        )
        log_group = logs.LogGroup(
            self,
            "DeployLogs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        log_group.grant_write(role)
        deployment = s3deploy.BucketDeployment(
            self,
            "Deploy",
            destination_bucket=self.bucket,
            sources=sources,
            distribution=self.distribution,
            distribution_paths=["/*"],
            role=role,
            log_group=log_group,
            # Other stages empty the bucket on delete, so that it goes with the stack.
            retain_on_delete=config.is_prod,
        )
        self._acknowledge_deploy_grants(role)
        for handler in _deploy_handlers(Stack.of(self)):
            acknowledge(
                handler,
                "AwsSolutions-L1",
                "The CDK's own BucketDeployment handler: aws-cdk-lib chooses its runtime and "
                "moves it forward with each release.",
            )
        return deployment

    def _acknowledge_deploy_grants(self, role: iam.Role) -> None:
        """The grants BucketDeployment gives its handler, as cdk-nag names them."""
        stack = Stack.of(self)
        policy = role.node.find_child("DefaultPolicy")
        bucket = f"<{_logical_id(self.bucket)}.Arn>"
        reasons = {
            "Action::s3:GetObject*": "read",
            "Action::s3:GetBucket*": "read",
            "Action::s3:List*": "read",
            "Action::s3:DeleteObject*": "prune",
            "Action::s3:Abort*": "write",
        }
        why = {
            "read": "BucketDeployment's own read grant (grantRead) on the deployment's asset "
            "objects and on the web bucket: the handler lists and reads them to sync.",
            "prune": "BucketDeployment's own write grant (grantReadWrite) on the web bucket: "
            "the handler deletes the files a new build no longer has (prune).",
            "write": "BucketDeployment's own write grant (grantReadWrite) on the web bucket: "
            "the handler's large uploads are multipart and may be aborted.",
        }
        for finding, kind in reasons.items():
            acknowledge(policy, f"AwsSolutions-IAM5[{finding}]", why[kind])
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{_asset_objects(stack)}]",
            "The CDK's asset bucket: the handler reads the deployment's zip files, whose keys "
            "are content hashes known only at synth; the grant is read-only.",
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{bucket}/*]",
            "The web bucket holds nothing but the built app and config.json, all written by "
            "this deployment: only the object key is a wildcard.",
        )
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "BucketDeployment grants CreateInvalidation and GetInvalidation on every "
            "distribution (its own statement); the handler invalidates only this one, after "
            "each deployment.",
        )


def _execute_api_host(stack: Stack, api_id: str) -> str:
    """The default host name of an API Gateway API (HTTP or WebSocket) of the stack."""
    return f"{api_id}.execute-api.{stack.region}.{stack.url_suffix}"


def _logical_id(construct: Construct) -> str:
    """The logical id of a construct's resource, as cdk-nag names its ARN in a finding."""
    cfn = construct.node.default_child
    if not isinstance(cfn, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    logical_id = Stack.of(construct).resolve(cfn.logical_id)
    if Token.is_unresolved(logical_id):
        raise TypeError(f"the logical id of {construct.node.path} is not known at synth")
    return str(logical_id)


def _asset_objects(stack: Stack) -> str:
    """The objects of the CDK's bootstrap asset bucket, as cdk-nag spells them."""
    qualifier = (
        stack.node.try_get_context(BOOTSTRAP_QUALIFIER_CONTEXT)
        or DefaultStackSynthesizer.DEFAULT_QUALIFIER
    )
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    return f"arn:<AWS::Partition>:s3:::cdk-{qualifier}-assets-{account}-{region}/*"


def _deploy_handlers(stack: Stack) -> list[lambda_.Function]:
    """The BucketDeployment's singleton function: a child of the stack, not of this construct."""
    return [
        child
        for child in stack.node.children
        if isinstance(child, lambda_.Function) and child.node.id.startswith(DEPLOY_HANDLER_ID)
    ]
