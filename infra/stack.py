"""One mspdesk deployment: a stack per stage and region."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Duration, Stack, Tags
from constructs import Construct

from infra.components.cti import DeskCti
from infra.components.events import DeskEvents, Routes
from infra.components.functions import DeskFunctions
from infra.components.http_api import DeskHttpApi
from infra.components.identity import DeskIdentity
from infra.components.mail import DeskMail
from infra.components.sla_monitor import SlaMonitor
from infra.components.table import DeskTable
from infra.components.time_billing import TimeBilling
from infra.components.triage import DeskTriage
from infra.components.web import DeskWeb
from infra.config import StageConfig
from infra.sources import LambdaSources
from mspdesk.routes import ROUTES


class MspdeskStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        sources: LambdaSources,
        routes: Routes = ROUTES,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"mspdesk service desk ({config.stage})",
            termination_protection=config.is_prod,
            **kwargs,
        )
        Tags.of(self).add("app", "mspdesk")
        Tags.of(self).add("stage", config.stage)
        for warning in sources.warnings():
            Annotations.of(self).add_warning_v2("mspdesk:assets", warning)

        self.data = DeskTable(self, "Data", config=config)
        self.events = DeskEvents(self, "Events", config=config)
        self.identity = DeskIdentity(self, "Identity", config=config)
        self.functions = DeskFunctions(
            self,
            "Functions",
            config=config,
            sources=sources,
            table=self.data,
            bus=self.events.bus,
        )
        api_function = self.functions.add(
            "api",
            asynchronous=False,
            # More memory is more CPU: FastAPI's import at cold start is CPU-bound.
            memory_size=1024,
            timeout=Duration.seconds(29),
            environment={
                "MSPDESK_COGNITO_ISSUER": self.identity.issuer,
                "MSPDESK_COGNITO_CLIENT_IDS": self.identity.client_ids_json,
            },
        )
        self.http_api = DeskHttpApi(
            self, "Api", config=config, function=api_function.function, identity=self.identity
        )
        self.sla_monitor = SlaMonitor(self, "SlaMonitor", functions=self.functions, config=config)
        self.time_billing = TimeBilling(self, "TimeBilling", functions=self.functions)
        self.cti = DeskCti(
            self,
            "Cti",
            config=config,
            functions=self.functions,
            http_api=self.http_api,
            identity=self.identity,
        )
        self.mail = DeskMail(self, "Mail", config=config, functions=self.functions)
        self.triage = DeskTriage(
            self,
            "Triage",
            config=config,
            functions=self.functions,
            access_logs=self.mail.access_logs,
        )
        self.web = DeskWeb(
            self,
            "Web",
            config=config,
            http_api=self.http_api,
            identity=self.identity,
            access_logs=self.mail.access_logs,
            screen_pops=self.cti.stage,
            browser_uploads=True,
        )
        self.mail.serve_files(api_function, self.web.origins)
        # Last: a consumer may be a function defined above (the SLA monitor, say).
        self.events.route(self.functions, routes)

        CfnOutput(self, "ApiUrl", value=self.http_api.url)
        CfnOutput(self, "UserPoolId", value=self.identity.user_pool.user_pool_id)
        CfnOutput(self, "WebClientId", value=self.identity.web_client.user_pool_client_id)
        CfnOutput(self, "TableName", value=self.data.table.table_name)
        CfnOutput(self, "EventBusName", value=self.events.bus.event_bus_name)
