"""The event bus, and one rule per consumer from the route table (mspdesk.routes), which the
local runtime reads too: a new entry there is a new rule here on the next deploy."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.components.functions import DeskFunctions, construct_name
from infra.config import StageConfig
from mspdesk.domain.events import SOURCE
from mspdesk.routes import ROUTES, event_types_of

Routes = Mapping[str, tuple[str, ...]]


def consumers(routes: Routes) -> list[str]:
    return sorted({consumer for names in routes.values() for consumer in names})


class DeskEvents(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=config.prefix)
        self.rules: dict[str, events.Rule] = {}

    def route(self, functions: DeskFunctions, routes: Routes = ROUTES) -> None:
        """One rule per consumer, matching every event type routed to it."""
        for consumer in consumers(routes):
            function = functions.consumer(consumer)
            self.rules[consumer] = events.Rule(
                self,
                f"{construct_name(consumer)}Rule",
                event_bus=self.bus,
                description=f"mspdesk events for {consumer}",
                event_pattern=events.EventPattern(
                    source=[SOURCE], detail_type=event_types_of(consumer, routes)
                ),
                targets=[
                    # Events EventBridge cannot hand to Lambda land in the consumer's DLQ, as
                    # do those the function fails on after its own retries.
                    targets.LambdaFunction(
                        function.function,
                        dead_letter_queue=function.dead_letter_queue,
                        retry_attempts=8,
                        max_event_age=Duration.hours(6),
                    )
                ],
            )
