"""The HTTP API: the api function (FastAPI through Mangum) behind API Gateway v2, with
Cognito's JWTs checked at the gateway before a request costs an invocation."""

from __future__ import annotations

import json

import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.components.identity import DeskIdentity
from infra.config import StageConfig
from infra.nag import acknowledge

# Agents' API and the end-users' portal API: a valid token of the web client or nothing.
PROTECTED_PATHS = ("/api/{proxy+}", "/portal/api/{proxy+}")
# Health checks and the API description answer without a token.
PUBLIC_PATHS = ("/health", "/openapi.json")
# Request facts only: no bodies, no source IP, no identity (DESIGN section 10).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTimeEpoch",
    "routeKey": "$context.routeKey",
    "method": "$context.httpMethod",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "responseLatency": "$context.responseLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class AccessLogSettings:
    """JSON access logs of an API Gateway v2 stage (HTTP or WebSocket) into a log group."""

    def __init__(self, log_group: logs.ILogGroup, fields: dict[str, str]) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)
        self._format = apigateway.AccessLogFormat.custom(json.dumps(fields))

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return self._format


class DeskHttpApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        function: lambda_.IFunction,
        identity: DeskIdentity,
    ) -> None:
        super().__init__(scope, construct_id)
        integration = integrations.HttpLambdaIntegration("Api", function)
        self.authorizer = authorizers.HttpUserPoolAuthorizer(
            "Cognito", identity.user_pool, user_pool_clients=[identity.web_client]
        )
        # Every route, the catch-all $default included, needs a token unless listed public.
        self.api = apigwv2.HttpApi(
            self,
            "HttpApi",
            api_name=config.prefix,
            default_integration=integration,
            default_authorizer=self.authorizer,
            create_default_stage=False,
        )
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        self.stage = self.api.add_stage(
            "DefaultStage",
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit
            ),
            access_log_settings=AccessLogSettings(access_logs, ACCESS_LOG_FIELDS),
        )
        for path in PROTECTED_PATHS:
            self.api.add_routes(
                path=path,
                methods=[apigwv2.HttpMethod.ANY],
                integration=integration,
                authorizer=self.authorizer,
            )
        for path in PUBLIC_PATHS:
            for route in self.api.add_routes(
                path=path,
                methods=[apigwv2.HttpMethod.GET],
                integration=integration,
                authorizer=apigwv2.HttpNoneAuthorizer(),
            ):
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    f"GET {path} is public by design: a health probe and the API "
                    "description carry no client data.",
                )

    @property
    def url(self) -> str:
        return self.api.api_endpoint
