"""The phone features: the cti_webhook function behind the HTTP API's /cti routes (each
provider's own check authenticates them, not Cognito), the screen-pop WebSocket API it also
serves, the webhook secrets, and the cti_events consumer that keeps the lateral window (one
container: its concurrency is one)."""

from __future__ import annotations

import json

from aws_cdk import CfnElement, CfnOutput, Duration, Stack, Token
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.components.functions import DeskFunction, DeskFunctions
from infra.components.http_api import AccessLogSettings, DeskHttpApi
from infra.components.identity import DeskIdentity
from infra.config import StageConfig
from infra.nag import acknowledge

WEBHOOK_PATH = "/cti/{proxy+}"
CONSUMER = "cti_events"
# What the admin adds to the secret once the providers have issued it; `master` is generated
# and our own secrets are derived from it (mspdesk.adapters.cti_secrets).
SECRET_TEMPLATE = {
    "aircall_token": "",
    "graph_tenant_id": "",
    "graph_client_id": "",
    "graph_client_secret": "",
}
# Connection facts only: no message bodies, no source IP, no identity.
SOCKET_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTimeEpoch",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "connectionId": "$context.connectionId",
    "integrationError": "$context.integrationErrorMessage",
}


class DeskCti(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: DeskFunctions,
        http_api: DeskHttpApi,
        identity: DeskIdentity,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "WebhookSecrets",
            description=f"{config.prefix}: phone webhook secrets (JSON; see docs/cti.md)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(SECRET_TEMPLATE),
                generate_string_key="master",
                exclude_punctuation=True,
                password_length=48,
            ),
            removal_policy=config.removal_policy,
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "Rotated by hand: the derived secrets are configured in each phone system (3CX "
            "template, Graph subscription, PBX bridges), so an automatic rotation would cut "
            "them off. The functions re-read the secret every five minutes.",
        )

        self.sockets = apigwv2.WebSocketApi(
            self,
            "ScreenPops",
            api_name=f"{config.prefix}-screen-pops",
            description="mspdesk screen pops: caller, client and tickets pushed to agents",
        )
        socket_logs = logs.LogGroup(
            self,
            "ScreenPopLogs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        self.stage = apigwv2.WebSocketStage(
            self,
            "ScreenPopStage",
            web_socket_api=self.sockets,
            stage_name="live",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit
            ),
            access_log_settings=AccessLogSettings(socket_logs, SOCKET_LOG_FIELDS),
        )

        self.webhook: DeskFunction = functions.add(
            "cti_webhook",
            asynchronous=False,
            # FastAPI's import at cold start is CPU-bound, as for the API.
            memory_size=1024,
            timeout=Duration.seconds(15),
            environment={
                "MSPDESK_CTI_SECRET_ARN": self.secret.secret_arn,
                "MSPDESK_CTI_WEBSOCKET_ENDPOINT": self.stage.callback_url,
                "MSPDESK_COGNITO_ISSUER": identity.issuer,
                "MSPDESK_COGNITO_CLIENT_IDS": identity.client_ids_json,
            },
        )
        self.secret.grant_read(self.webhook.role)
        self._may_push(self.webhook)
        sockets = integrations.WebSocketLambdaIntegration("ScreenPops", self.webhook.function)
        for route_key in ("$connect", "$disconnect", "$default"):
            route = self.sockets.add_route(route_key, integration=sockets)
            acknowledge(
                route,
                "AwsSolutions-APIG4",
                "WebSocket APIs offer no JWT authorizer: $connect checks the agent's Cognito ID "
                "token itself (functions/cti_webhook/ws_auth.py) and refuses everyone else; "
                "the other routes only exist on a connection $connect accepted.",
            )

        hooks = integrations.HttpLambdaIntegration("PhoneWebhooks", self.webhook.function)
        for route in http_api.api.add_routes(
            path=WEBHOOK_PATH,
            methods=[apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST],
            integration=hooks,
            authorizer=apigwv2.HttpNoneAuthorizer(),
        ):
            acknowledge(
                route,
                "AwsSolutions-APIG4",
                "Phone systems cannot present Cognito tokens: each webhook authenticates its "
                "provider (our HMAC signature with a replay window, the 3CX API key, Aircall's "
                "token, Graph's clientState) and answers 401 before anything changes.",
            )

        self.consumer = self._consumer(functions)
        self._may_push(self.consumer)
        CfnOutput(scope, "ScreenPopUrl", value=self.stage.url)
        CfnOutput(scope, "PhoneWebhookSecretArn", value=self.secret.secret_arn)

    def _may_push(self, function: DeskFunction) -> None:
        """postToConnection on this stage's connections, and nothing else of the API."""
        stack = Stack.of(self)
        policy = iam.Policy(
            self,
            f"{function.node.id}PushesScreenPops",
            roles=[function.role],
            statements=[
                iam.PolicyStatement(
                    actions=["execute-api:ManageConnections"],
                    resources=[
                        stack.format_arn(
                            service="execute-api",
                            resource=self.sockets.api_id,
                            resource_name=f"{self.stage.stage_name}/POST/@connections/*",
                        )
                    ],
                )
            ],
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{self._nag_arn(stack)}]",
            "Connection ids are made by API Gateway as agents connect: the grant names this "
            "API, its stage and the postToConnection method; only the connection is a wildcard.",
        )

    def _nag_arn(self, stack: Stack) -> str:
        """The grant's resource as cdk-nag spells it in the finding to acknowledge."""
        cfn = self.sockets.node.default_child
        if not isinstance(cfn, CfnElement):
            raise TypeError("the WebSocket API has no CloudFormation resource")
        region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
        account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
        return (
            f"arn:<AWS::Partition>:execute-api:{region}:{account}:<{stack.get_logical_id(cfn)}>"
            f"/{self.stage.stage_name}/POST/@connections/*"
        )

    def _consumer(self, functions: DeskFunctions) -> DeskFunction:
        """cti_events: the same function whether the event rules made it first or not."""
        environment = {"MSPDESK_CTI_WEBSOCKET_ENDPOINT": self.stage.callback_url}
        if CONSUMER in functions.names:
            consumer = functions[CONSUMER]
            for key, value in environment.items():
                consumer.function.add_environment(key, value)
        else:
            consumer = functions.add(
                CONSUMER,
                asynchronous=True,
                timeout=Duration.minutes(1),
                environment=environment,
            )
        # The lateral window lives in the container's memory: one container sees every event.
        cfn = consumer.function.node.default_child
        if not isinstance(cfn, lambda_.CfnFunction):
            raise TypeError("cti_events has no CfnFunction")
        cfn.reserved_concurrent_executions = 1
        return consumer
